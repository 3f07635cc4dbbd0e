import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../api/meta.js';
import { findResource } from '../../api/resources.js';
import { RestClient } from '../rest-client.js';
import { FakeApiServer } from '../testing/fake-api-server.js';
import { waitFor } from '../testing/wait-for.js';
import { InformerFactory } from './informer-factory.js';
import { SharedInformer } from './shared-informer.js';

const pods = findResource('', 'pods')!;
const services = findResource('', 'services')!;
const pod = (name: string, labels: Record<string, string> = {}, ns = 'default'): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels }, spec: { nodeName: labels.node } });

async function setup(t: { after(fn: () => unknown): void }) {
  const server = new FakeApiServer();
  await server.start();
  const client = new RestClient({ server: server.url });
  t.after(async () => {
    client.close();
    await server.close();
  });
  return { server, client };
}

function recorder() {
  const log: string[] = [];
  return {
    log,
    handlers: {
      onAdd: (o: KubeObject) => log.push(`add ${o.metadata.name}`),
      onUpdate: (a: KubeObject, b: KubeObject) => log.push(`update ${b.metadata.name} ${a.metadata.resourceVersion}->${b.metadata.resourceVersion}`),
      onDelete: (o: KubeObject) => log.push(`delete ${o.metadata.name}`),
    },
  };
}

test('informer: list (paged), then watch; indexes; handlers in order', async (t) => {
  const { server, client } = await setup(t);
  for (let i = 0; i < 7; i++) server.put('pods', pod(`p${i}`, { node: i % 2 ? 'n1' : 'n2' }));
  server.put('pods', pod('other', {}, 'kube-system'));
  const inf = new SharedInformer<KubeObject>({ client, resource: pods, pageSize: 3 });
  t.after(() => inf.stop());
  inf.addIndex('node', (o) => [String((o.spec as { nodeName?: string }).nodeName ?? '')]);
  const r = recorder();
  const order: string[] = [];
  inf.addEventHandler(r.handlers);
  inf.addEventHandler({ onAdd: (o) => order.push(`second saw ${o.metadata.name} stored=${!!inf.store.get(`${o.metadata.namespace}/${o.metadata.name}`)}`) });
  assert.equal(inf.hasSynced(), false);
  inf.start();
  await inf.whenSynced();
  assert.equal(server.listCalls, 3, 'three pages of 3');
  assert.equal(inf.store.list().length, 8);
  assert.equal(r.log.length, 8);
  assert.ok(order.every((s) => s.endsWith('stored=true')));
  assert.equal(inf.store.byIndex('namespace', 'kube-system').length, 1);
  assert.equal(inf.store.byIndex('node', 'n1').length, 3);
  await waitFor(() => server.activeWatches() === 1, 'watch open');
  server.put('pods', pod('p1', { node: 'n2' }));
  server.remove('pods', 'default', 'p2');
  await waitFor(() => r.log.length === 10, 'two more events');
  assert.match(r.log[8], /^update p1 \d+->\d+$/);
  assert.equal(r.log[9], 'delete p2');
  assert.equal(inf.store.byIndex('node', 'n1').length, 2);
  assert.equal(inf.store.get('default/p2'), undefined);
  // a late handler gets the current state as adds
  const late = recorder();
  inf.addEventHandler(late.handlers);
  assert.equal(late.log.length, 7);
});

test('informer: 410 re-lists and delivers the diff; bookmarks advance the resourceVersion', async (t) => {
  const { server, client } = await setup(t);
  server.put('pods', pod('keep'));
  server.put('pods', pod('change'));
  server.put('pods', pod('gone'));
  const inf = new SharedInformer<KubeObject>({ client, resource: pods, backoffBaseMs: 5 });
  t.after(() => inf.stop());
  const r = recorder();
  inf.addEventHandler(r.handlers);
  inf.start();
  await inf.whenSynced();
  await waitFor(() => server.activeWatches() === 1, 'watch open');
  server.bookmark();
  const rvAfterBookmark = server.resourceVersion;
  await waitFor(() => inf.lastResourceVersion === rvAfterBookmark, 'bookmark seen');
  r.log.length = 0;
  // changes the watch never sees, then history is compacted and the watch expires
  server.put('pods', pod('change', { v: '2' }), { silent: true });
  server.remove('pods', 'default', 'gone', { silent: true });
  server.put('pods', pod('new'), { silent: true });
  server.compact();
  server.expireWatches();
  await waitFor(() => inf.listCount === 2, 're-list');
  assert.deepEqual([...r.log].sort(), ['add new', 'delete gone', r.log.find((l) => l.startsWith('update change'))!].sort());
  assert.ok(r.log.some((l) => l.startsWith('update change')));
  assert.ok(!r.log.some((l) => l.includes('keep')), 'unchanged objects are not re-delivered');
  await waitFor(() => server.activeWatches() === 1, 'watch re-opened');
  server.put('pods', pod('after'));
  await waitFor(() => r.log.includes('add after'), 'event after re-list');
});

test('informer: dropped connection re-lists; clean close resumes from the last resourceVersion', async (t) => {
  const { server, client } = await setup(t);
  server.put('pods', pod('a'));
  const inf = new SharedInformer<KubeObject>({ client, resource: pods, backoffBaseMs: 5 });
  t.after(() => inf.stop());
  const r = recorder();
  inf.addEventHandler(r.handlers);
  inf.start();
  await inf.whenSynced();
  await waitFor(() => server.activeWatches() === 1, 'watch open');
  server.dropWatches();
  server.put('pods', pod('b')); // happens while disconnected
  await waitFor(() => r.log.includes('add b'), 'missed object found by re-list');
  assert.equal(inf.listCount, 2);
  await waitFor(() => server.activeWatches() === 1, 'watch re-opened');
  const watchesBefore = server.watchCalls;
  server.endWatches();
  await waitFor(() => server.watchCalls > watchesBefore, 'watch resumed');
  assert.equal(inf.listCount, 2, 'a clean close does not re-list');
  const lastWatch = server.requests.filter((q) => q.url.includes('watch=true')).at(-1)!;
  assert.match(lastWatch.url, new RegExp(`resourceVersion=${inf.lastResourceVersion}`));
  server.put('pods', pod('c'));
  await waitFor(() => r.log.includes('add c'), 'event on resumed watch');
});

test('informer: list failures retry with back-off until the server answers', async (t) => {
  const { server, client } = await setup(t);
  server.put('pods', pod('a'));
  server.failNext(500, { kind: 'Status', code: 500, reason: 'InternalError', message: 'boom' });
  server.failNext(503, 'nope');
  const inf = new SharedInformer<KubeObject>({ client, resource: pods, backoffBaseMs: 5 });
  t.after(() => inf.stop());
  inf.start();
  await inf.whenSynced();
  assert.equal(inf.store.list().length, 1);
});

test('informer factory: one informer per resource and scope, shared', async (t) => {
  const { server, client } = await setup(t);
  server.put('pods', pod('a'));
  server.put('pods', pod('b', {}, 'x'));
  server.put('services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'x' } });
  const f = new InformerFactory({ client });
  t.after(() => f.stop());
  const a = f.informerFor(pods);
  const b = f.informerFor(pods);
  const scoped = f.informerFor(pods, { namespace: 'x' });
  assert.equal(a, b);
  assert.notEqual(a, scoped);
  f.informerFor(services);
  f.start();
  await f.waitForSync();
  assert.equal(a.store.list().length, 2);
  assert.equal(scoped.store.list().length, 1);
  assert.equal(server.listCalls, 3);
  const lateInf = f.informerFor(services, { namespace: 'x' });
  await lateInf.whenSynced();
  assert.equal(lateInf.store.list().length, 1);
});
