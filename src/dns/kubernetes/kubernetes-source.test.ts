import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EndpointSlice, Pod, Service } from '../../api/types.js';
import { RecordStore } from '../answers/record-store.js';
import { FakeInformer } from '../testing/fake-informer.js';
import { clusterIPService, endpointSlice, headlessService, pod } from '../testing/builders.js';
import { RRType } from '../wire/constants.js';
import { KubernetesSource } from './kubernetes-source.js';
import { soaData } from './records.js';

function setup(): { src: KubernetesSource; store: RecordStore; services: FakeInformer<Service>; slices: FakeInformer<EndpointSlice>; pods: FakeInformer<Pod> } {
  const store = new RecordStore({ soa: { name: 'cluster.local', type: RRType.SOA, class: 1, ttl: 5, data: soaData('cluster.local', 5, 1) } });
  const services = new FakeInformer<Service>({ synced: true });
  const slices = new FakeInformer<EndpointSlice>({ synced: true });
  const pods = new FakeInformer<Pod>({ synced: true });
  const src = new KubernetesSource({ zone: 'cluster.local', ttl: 5, store, services, endpointSlices: slices, pods });
  src.start();
  return { src, store, services, slices, pods };
}

const addrs = (store: RecordStore, name: string): string[] => store.records(name, RRType.A).map((r) => r.data as string).sort();

test('slices arriving before their Service, a ClusterIP Service turning headless, slice label moves', () => {
  const { store, services, slices } = setup();
  slices.apply(endpointSlice('ns', 'db', [{ ip: '198.18.0.1' }]));
  assert.deepEqual(addrs(store, 'db.ns.svc.cluster.local'), [], 'no Service yet: nothing');
  services.apply(headlessService('ns', 'db'));
  assert.deepEqual(addrs(store, 'db.ns.svc.cluster.local'), ['198.18.0.1']);
  // ClusterIP: endpoints are not served (and their views are dropped) ...
  services.apply(clusterIPService('ns', 'db', ['198.19.0.5']));
  assert.deepEqual(addrs(store, 'db.ns.svc.cluster.local'), ['198.19.0.5']);
  assert.equal(store.exists('198-18-0-1.db.ns.svc.cluster.local'), false);
  // ... and read back from the informer's store when it becomes headless again.
  services.apply(headlessService('ns', 'db'));
  assert.deepEqual(addrs(store, 'db.ns.svc.cluster.local'), ['198.18.0.1']);
  // The slice is relabelled to another Service: it leaves db.
  services.apply(headlessService('ns', 'other'));
  const moved = endpointSlice('ns', 'other', [{ ip: '198.18.0.1' }], [], 'db-abc');
  slices.apply(moved);
  assert.deepEqual(addrs(store, 'db.ns.svc.cluster.local'), []);
  assert.deepEqual(addrs(store, 'other.ns.svc.cluster.local'), ['198.18.0.1']);
  slices.remove(moved);
  assert.equal(store.exists('other.ns.svc.cluster.local'), false);
  // A ClusterIP Service deleted and re-created as headless finds its existing slices.
  services.apply(clusterIPService('ns', 'c', ['198.19.0.6']));
  slices.apply(endpointSlice('ns', 'c', [{ ip: '198.18.0.9' }]));
  services.remove(clusterIPService('ns', 'c', ['198.19.0.6']));
  services.apply(headlessService('ns', 'c'));
  assert.deepEqual(addrs(store, 'c.ns.svc.cluster.local'), ['198.18.0.9']);
});

test('two slices of one Service merge; deleting one keeps the other; PTR shared by two Services', () => {
  const { store, services, slices } = setup();
  services.apply(headlessService('ns', 'a'));
  services.apply(headlessService('ns', 'b'));
  const s1 = endpointSlice('ns', 'a', [{ ip: '198.18.1.1' }], [], 'a-1');
  slices.apply(s1);
  slices.apply(endpointSlice('ns', 'a', [{ ip: '198.18.1.2' }], [], 'a-2'));
  slices.apply(endpointSlice('ns', 'b', [{ ip: '198.18.1.1' }], [], 'b-1'));
  assert.deepEqual(addrs(store, 'a.ns.svc.cluster.local'), ['198.18.1.1', '198.18.1.2']);
  const ptr = (): string[] => store.records('1.1.18.198.in-addr.arpa', RRType.PTR).map((r) => r.data as string).sort();
  assert.deepEqual(ptr(), ['198-18-1-1.a.ns.svc.cluster.local', '198-18-1-1.b.ns.svc.cluster.local']);
  slices.remove(s1);
  assert.deepEqual(addrs(store, 'a.ns.svc.cluster.local'), ['198.18.1.2']);
  assert.deepEqual(ptr(), ['198-18-1-1.b.ns.svc.cluster.local']);
});

test('pod IP index: update moves the IP, a replacement with the same IP survives the old pod delete', () => {
  const { src, pods } = setup();
  const p1 = pod('ns', 'p1', '198.18.2.1');
  pods.apply(p1);
  assert.equal(src.podNamespace('198.18.2.1'), 'ns');
  pods.apply(pod('ns', 'p1', '198.18.2.2'));
  assert.equal(src.podNamespace('198.18.2.1'), undefined);
  assert.equal(src.podExists('ns', '198.18.2.2'), true);
  // p2 takes p1's IP before p1's delete arrives.
  pods.apply(pod('other', 'p2', '198.18.2.2'));
  assert.equal(src.podNamespace('198.18.2.2'), undefined, 'ambiguous while both exist');
  assert.equal(src.podExists('other', '198.18.2.2'), true);
  pods.remove(pod('ns', 'p1', '198.18.2.2'));
  assert.equal(src.podNamespace('198.18.2.2'), 'other');
  assert.equal(src.podExists('ns', '198.18.2.2'), false);
});

test('the DNS Service drives the apex NS addresses', () => {
  const { store, services } = setup();
  assert.deepEqual(addrs(store, 'ns.dns.cluster.local'), []);
  assert.equal(store.exists('ns.dns.cluster.local'), true);
  services.apply(clusterIPService('kube-system', 'kube-dns', ['198.19.0.10']));
  assert.deepEqual(addrs(store, 'ns.dns.cluster.local'), ['198.19.0.10']);
});
