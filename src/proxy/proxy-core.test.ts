import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../util/clock.js';
import { FakeExec } from '../util/exec.js';
import { ProxyCore } from './proxy-core.js';
import { usableEndpoints } from './endpoint-selection.js';
import { staleUdpDeletions } from './conntrack.js';
import { FakeInformer, makeService, makeSlice } from './testing.js';
import type { EndpointSlice, Service } from '../api/types.js';
import type { BackendSyncResult, ProxyBackend, ProxySnapshot, ServicePortChange } from './types.js';

class RecordingBackend implements ProxyBackend {
  readonly mode = 'nftables' as const;
  readonly usesConntrack = true;
  calls: { full: boolean; changes: ServicePortChange[]; snapshot: ProxySnapshot }[] = [];
  failNext = false;
  async sync(snapshot: ProxySnapshot, changes: readonly ServicePortChange[], full: boolean): Promise<BackendSyncResult> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('boom');
    }
    this.calls.push({ full, changes: [...changes], snapshot });
    return { rules: snapshot.ports.size };
  }
  async cleanup(): Promise<void> {}
  async stop(): Promise<void> {}
}

function setup() {
  const clock = new FakeClock(1_700_000_000_000);
  const backend = new RecordingBackend();
  const exec = new FakeExec();
  const core = new ProxyCore({ backend, nodeName: 'node-a', clock, exec: exec.exec, minSyncIntervalMs: 1000, syncPeriodMs: 60_000 });
  const svcs = new FakeInformer<Service>();
  const slices = new FakeInformer<EndpointSlice>();
  core.attach(svcs, slices);
  return { clock, backend, exec, core, svcs, slices };
}

test('endpoint selection: ready ones, else serving+terminating', () => {
  const e = (ready: boolean, serving: boolean, terminating: boolean) => ({ ip: '1.1.1.1', port: 1, ready, serving, terminating, isLocal: false });
  assert.equal(usableEndpoints([e(true, true, false), e(false, true, true)]).length, 1);
  assert.deepEqual(usableEndpoints([e(false, false, false), e(false, true, true)]).map((x) => x.terminating), [true]);
  assert.equal(usableEndpoints([e(false, false, true)]).length, 0);
});

test('core: first sync is full, later ones carry only the delta; Local policies and fallback per set', async () => {
  const { core, backend, svcs, slices } = setup();
  svcs.set(makeService({ name: 'web', clusterIP: '198.19.0.10', type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }], externalTrafficPolicy: 'Local' }));
  slices.set(makeSlice({ service: 'web', ports: [{ port: 8080 }], endpoints: [
    { ip: '198.18.0.3', nodeName: 'node-b' },
    { ip: '198.18.0.2', nodeName: 'node-a', ready: false, serving: true, terminating: true },
    { ip: '198.18.0.4', nodeName: 'node-b', ready: false, serving: false },
  ] }));
  svcs.start();
  slices.start();
  await core.sync();
  assert.equal(backend.calls.length, 1);
  assert.equal(backend.calls[0]!.full, true);
  const s = backend.calls[0]!.snapshot.ports.get('default/web:/TCP')!;
  assert.deepEqual(s.clusterEndpoints.map((e) => e.ip), ['198.18.0.3']);
  // Local: no ready local endpoint, so the local terminating-but-serving one is used.
  assert.deepEqual(s.externalEndpoints.map((e) => e.ip), ['198.18.0.2']);
  assert.equal(s.localEndpointCount, 1);
  assert.equal(s.nodePort, 30080);

  await core.sync();
  assert.equal(backend.calls[1]!.full, false);
  assert.equal(backend.calls[1]!.changes.length, 0, 'nothing changed, no delta');

  svcs.set(makeService({ name: 'other', clusterIP: '198.19.0.11', ports: [{ port: 53, protocol: 'UDP' }] }));
  await core.sync();
  assert.deepEqual(backend.calls[2]!.changes.map((c) => [c.id, !!c.old, !!c.new]), [['default/other:/UDP', false, true]]);

  svcs.remove(makeService({ name: 'web', clusterIP: '198.19.0.10', ports: [{ port: 80 }] }));
  await core.sync();
  assert.deepEqual(backend.calls[3]!.changes.map((c) => [c.id, !!c.old, !!c.new]), [['default/web:/TCP', true, false]]);
});

test('core: headless and ExternalName are not proxied; ports match slices by name and protocol', async () => {
  const { core, backend, svcs, slices } = setup();
  svcs.set({ ...makeService({ name: 'h', clusterIP: 'None', ports: [{ port: 80 }] }), spec: { clusterIP: 'None', ports: [{ port: 80 }] } });
  svcs.set({ metadata: { namespace: 'default', name: 'x' }, spec: { type: 'ExternalName', externalName: 'example.org' } });
  svcs.set(makeService({ name: 'multi', clusterIP: '198.19.0.12', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53 }] }));
  slices.set(makeSlice({ service: 'multi', ports: [{ name: 'dns', port: 5353, protocol: 'UDP' }, { name: 'dns-tcp', port: 5354 }], endpoints: [{ ip: '198.18.0.9' }] }));
  svcs.start();
  slices.start();
  await core.sync();
  const ports = backend.calls[0]!.snapshot.ports;
  assert.deepEqual([...ports.keys()].sort(), ['default/multi:dns-tcp/TCP', 'default/multi:dns/UDP']);
  assert.equal(ports.get('default/multi:dns/UDP')!.clusterEndpoints[0]!.port, 5353);
  assert.equal(ports.get('default/multi:dns-tcp/TCP')!.clusterEndpoints[0]!.port, 5354);
});

test('core: a failed sync keeps the trigger time and makes the next sync full', async () => {
  const { core, backend, svcs, slices, clock } = setup();
  svcs.start();
  slices.start();
  await core.sync();
  svcs.set(makeService({ name: 'a', clusterIP: '198.19.0.20', ports: [{ port: 80 }] }));
  slices.set(makeSlice({ service: 'a', ports: [{ port: 80 }], endpoints: [{ ip: '198.18.0.5' }], triggerTime: new Date(clock.now() - 2000).toISOString() }));
  backend.failNext = true;
  await assert.rejects(core.sync());
  clock.advance(500);
  await core.sync();
  assert.equal(backend.calls.at(-1)!.full, true);
  const metrics = await core.metrics.registry.getSingleMetricAsString('skiff_proxy_network_programming_duration_seconds');
  assert.match(metrics, /skiff_proxy_network_programming_duration_seconds_count\{mode="nftables"\} 1/);
  assert.match(metrics, /le="2",mode="nftables"\} 0/);
  assert.match(metrics, /_sum\{mode="nftables"\} 2.5\n/);
  const failures = await core.metrics.registry.getSingleMetricAsString('skiff_proxy_sync_failures_total');
  assert.match(failures, / 1$/m);
});

test('core: the runner syncs after events, rate limited, and retries failures', async () => {
  const { core, backend, svcs, slices, clock } = setup();
  svcs.start();
  slices.start();
  core.start();
  const flush = async () => { for (let i = 0; i < 20; i++) await Promise.resolve(); };
  clock.advance(0);
  await flush();
  assert.equal(backend.calls.length, 1);
  svcs.set(makeService({ name: 'a', clusterIP: '198.19.0.20', ports: [{ port: 80 }] }));
  clock.advance(0);
  await flush();
  assert.equal(backend.calls.length, 2, 'burst of 2 allows an immediate second sync');
  svcs.set(makeService({ name: 'b', clusterIP: '198.19.0.21', ports: [{ port: 80 }] }));
  svcs.set(makeService({ name: 'c', clusterIP: '198.19.0.22', ports: [{ port: 80 }] }));
  clock.advance(0);
  await flush();
  assert.equal(backend.calls.length, 2, 'burst spent: waits for a token');
  clock.advance(1000);
  await flush();
  assert.equal(backend.calls.length, 3);
  assert.equal(backend.calls[2]!.changes.length, 2, 'both events collapsed into one sync');
  backend.failNext = true;
  svcs.set(makeService({ name: 'd', clusterIP: '198.19.0.23', ports: [{ port: 80 }] }));
  clock.advance(1000);
  await flush();
  assert.equal(backend.calls.length, 3, 'failed');
  clock.advance(1000);
  await flush();
  assert.equal(backend.calls.length, 4, 'retried');
  assert.equal(backend.calls[3]!.full, true);
  await core.stop();
});

test('stale UDP conntrack: dead endpoints and 0→N transitions', async () => {
  const { core, exec, svcs, slices } = setup();
  svcs.set(makeService({ name: 'dns', clusterIP: '198.19.0.10', type: 'NodePort', ports: [{ port: 53, protocol: 'UDP', nodePort: 30053 }] }));
  svcs.start();
  slices.start();
  await core.sync();
  assert.equal(exec.calls.length, 0);
  slices.set(makeSlice({ service: 'dns', ports: [{ port: 5353, protocol: 'UDP' }], endpoints: [{ ip: '198.18.0.2' }, { ip: '198.18.0.3' }] }));
  await core.sync();
  assert.deepEqual(exec.calls.map((c) => c.args.join(' ')), [
    '-D -p udp --orig-dst 198.19.0.10 --orig-port-dst 53',
    '-D -p udp --orig-port-dst 30053',
  ]);
  exec.calls.length = 0;
  slices.set(makeSlice({ service: 'dns', ports: [{ port: 5353, protocol: 'UDP' }], endpoints: [{ ip: '198.18.0.3' }] }));
  await core.sync();
  assert.deepEqual(exec.calls.map((c) => `${c.file} ${c.args.join(' ')}`), [
    'conntrack -D -p udp --orig-dst 198.19.0.10 --orig-port-dst 53 --reply-src 198.18.0.2',
    'conntrack -D -p udp --orig-port-dst 30053 --reply-src 198.18.0.2',
  ]);
  assert.deepEqual(staleUdpDeletions([]), []);
});
