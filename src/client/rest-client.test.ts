import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject, WatchEvent } from '../api/meta.js';
import { findResource } from '../api/resources.js';
import { isConflict, isGone, isNotFound, StatusError } from '../api/status-error.js';
import { RestClient, resourcePath } from './rest-client.js';
import { FakeApiServer } from './testing/fake-api-server.js';
import { waitFor } from './testing/wait-for.js';

const pods = findResource('', 'pods')!;
const deployments = findResource('apps', 'deployments')!;
const nodes = findResource('', 'nodes')!;

async function setup(t: { after(fn: () => unknown): void }) {
  const server = new FakeApiServer();
  await server.start();
  const client = new RestClient({ server: server.url, token: 'abc' });
  t.after(async () => {
    client.close();
    await server.close();
  });
  return { server, client };
}

const pod = (name: string, ns = 'default'): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns }, spec: {} });

test('resourcePath: core, groups, namespaced, cluster-scoped, subresources', () => {
  assert.equal(resourcePath(pods), '/api/v1/pods');
  assert.equal(resourcePath(pods, { namespace: 'ns', name: 'p', subresource: 'binding' }), '/api/v1/namespaces/ns/pods/p/binding');
  assert.equal(resourcePath(deployments, { namespace: 'a' }), '/apis/apps/v1/namespaces/a/deployments');
  assert.equal(resourcePath(nodes, { namespace: 'ignored', name: 'n1' }), '/api/v1/nodes/n1');
});

test('rest client: CRUD, query params, bearer token, errors as StatusError', async (t) => {
  const { server, client } = await setup(t);
  const created = await client.create(pods, pod('a'));
  assert.equal(created.metadata.name, 'a');
  assert.ok(created.metadata.resourceVersion);
  const got = await client.get(pods, 'a', 'default');
  assert.equal(got.metadata.uid, created.metadata.uid);
  await assert.rejects(client.create(pods, pod('a')), (e) => e instanceof StatusError && e.reason === 'AlreadyExists' && e.code === 409);
  await assert.rejects(client.get(pods, 'zz', 'default'), (e) => isNotFound(e));
  const stale = { ...got, metadata: { ...got.metadata, resourceVersion: '1' } };
  await assert.rejects(client.update(pods, stale), (e) => isConflict(e));
  const updated = await client.update(pods, { ...got, spec: { nodeName: 'n1' } });
  assert.deepEqual(updated.spec, { nodeName: 'n1' });
  await client.list(pods, { namespace: 'default', labelSelector: 'app in (a,b)', fieldSelector: 'spec.nodeName=n1', limit: 5, resourceVersion: '0' });
  const listReq = server.requests.at(-1)!;
  assert.equal(listReq.url, '/api/v1/namespaces/default/pods?labelSelector=app%20in%20(a%2Cb)&fieldSelector=spec.nodeName%3Dn1&limit=5&resourceVersion=0');
  assert.equal(listReq.headers.authorization, 'Bearer abc');
  await client.delete(pods, 'a', 'default', { propagationPolicy: 'Foreground' });
  const del = server.requests.at(-1)!;
  assert.equal(del.method, 'DELETE');
  assert.deepEqual(JSON.parse(del.body), { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Foreground' });
  await client.patch(pods, 'a', 'default', { metadata: { labels: { x: 'y' } } }, 'strategic', { fieldManager: 'me', dryRun: true }).catch(() => undefined);
  const patch = server.requests.at(-1)!;
  assert.equal(patch.headers['content-type'], 'application/strategic-merge-patch+json');
  assert.equal(patch.url, '/api/v1/namespaces/default/pods/a?fieldManager=me&dryRun=All');
  await client.create(pods, { metadata: { name: 'a' }, target: { kind: 'Node', name: 'n1' } } as KubeObject, { namespace: 'default', subresource: 'binding' }).catch(() => undefined);
  assert.equal(server.requests.at(-1)!.url, '/api/v1/namespaces/default/pods/a/binding');
});

test('rest client: non-Status error bodies are synthesised', async (t) => {
  const { server, client } = await setup(t);
  server.failNext(503, 'upstream down');
  await assert.rejects(client.get(pods, 'a', 'default'), (e) => e instanceof StatusError && e.code === 503 && e.reason === 'ServiceUnavailable');
  server.failNext(422, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Invalid', code: 422, message: 'bad', details: { causes: [{ field: 'spec' }] } });
  await assert.rejects(client.get(pods, 'a', 'default'), (e) => e instanceof StatusError && e.reason === 'Invalid' && e.details?.causes?.[0]?.field === 'spec');
});

test('rest client: watch streams events, stop() ends it, 410 maps to Expired', async (t) => {
  const { server, client } = await setup(t);
  const rv = server.resourceVersion;
  const events: WatchEvent[] = [];
  let closed: Error | undefined | null = null;
  const h = client.watch(pods, { namespace: 'default', resourceVersion: rv }, { onEvent: (e) => events.push(e), onClose: (e) => (closed = e) });
  await waitFor(() => server.activeWatches() === 1, 'watch open');
  server.put('pods', pod('w1'));
  server.put('pods', pod('w2', 'other'));
  server.remove('pods', 'default', 'w1');
  await waitFor(() => events.length === 2, 'two events');
  assert.deepEqual(events.map((e) => [e.type, e.object.metadata.name]), [['ADDED', 'w1'], ['DELETED', 'w1']]);
  h.stop();
  await waitFor(() => server.activeWatches() === 0, 'watch closed by client');
  assert.equal(closed, null, 'no onClose after stop()');

  server.compact();
  let err: Error | undefined;
  let ended = false;
  client.watch(pods, { resourceVersion: rv }, { onEvent: () => undefined, onClose: (e) => ((err = e), (ended = true)) });
  await waitFor(() => ended, 'expired watch closed');
  assert.ok(isGone(err), `expected Gone/Expired, got ${err}`);

  // a dropped connection reports an error; a clean end reports none
  let dropErr: Error | undefined;
  let dropped = false;
  client.watch(pods, { resourceVersion: server.resourceVersion }, { onEvent: () => undefined, onClose: (e) => ((dropErr = e), (dropped = true)) });
  await waitFor(() => server.activeWatches() === 1, 'watch open');
  server.dropWatches();
  await waitFor(() => dropped, 'dropped watch closed');
  assert.ok(dropErr instanceof Error);
  let cleanEnded = false;
  let cleanErr: Error | undefined = new Error('unset');
  client.watch(pods, { resourceVersion: server.resourceVersion }, { onEvent: () => undefined, onClose: (e) => ((cleanErr = e), (cleanEnded = true)) });
  await waitFor(() => server.activeWatches() === 1, 'watch open');
  server.endWatches();
  await waitFor(() => cleanEnded, 'clean end');
  assert.equal(cleanErr, undefined);
});
