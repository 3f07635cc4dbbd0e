/**
 * Object lifecycle rules: system metadata, generateName, generation, status subresource,
 * optimistic concurrency, dry-run, finalizers and deletionTimestamp, propagationPolicy,
 * graceful pod deletion, namespace termination, allocators, binding and scale.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apiCall } from '../harness/api-call.js';
import { startInProcessServer, type TestServer } from '../harness/skiff-server.js';

type Obj = { metadata: Record<string, unknown> & { name: string; resourceVersion: string; generation?: number; finalizers?: string[]; deletionTimestamp?: string }; spec?: Record<string, unknown>; status?: Record<string, unknown> };

const MERGE = { 'content-type': 'application/merge-patch+json' };

test('object lifecycle', async (t) => {
  const s: TestServer = await startInProcessServer(t, { nodePortRange: '30000-30099' });
  const call = (path: string, o: Parameters<typeof apiCall>[2] = {}) => apiCall(s, path, { token: s.token, ...o });
  const deploy = (name: string, extra: Record<string, unknown> = {}) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, ...extra },
    spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
  });
  const D = '/apis/apps/v1/namespaces/default/deployments';

  await t.test('create sets uid, timestamps, generation; generateName; dry-run stores nothing', async () => {
    const created = await call(D, { method: 'POST', body: deploy('gen') });
    assert.equal(created.status, 201);
    const o = created.json<Obj>();
    assert.match(String(o.metadata.uid), /^[0-9a-f-]{36}$/);
    assert.match(String(o.metadata.creationTimestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(o.metadata.generation, 1);
    assert.equal((await call(D, { method: 'POST', body: deploy('gen') })).json().reason, 'AlreadyExists');
    const g = (await call('/api/v1/namespaces/default/configmaps', { method: 'POST', body: { metadata: { generateName: 'cfg-' } } })).json<Obj>();
    assert.match(g.metadata.name, /^cfg-[a-z0-9]{5}$/);
    const dry = await call(`${D}?dryRun=All`, { method: 'POST', body: deploy('dry') });
    assert.equal(dry.status, 201);
    assert.equal((await call(`${D}/dry`)).status, 404);
  });

  await t.test('generation follows spec only; status subresource rules; 409 on stale writes', async () => {
    const cur = (await call(`${D}/gen`)).json<Obj>();
    const labelled = (await call(`${D}/gen`, { method: 'PATCH', headers: MERGE, body: { metadata: { labels: { x: 'y' } }, status: { replicas: 7 } } })).json<Obj>();
    assert.equal(labelled.metadata.generation, 1);
    assert.equal(labelled.status?.replicas, undefined, 'main resource ignores status');
    const scaled = (await call(`${D}/gen`, { method: 'PATCH', headers: MERGE, body: { spec: { replicas: 3 } } })).json<Obj>();
    assert.equal(scaled.metadata.generation, 2);
    const st = (await call(`${D}/gen/status`, { method: 'PATCH', headers: MERGE, body: { spec: { replicas: 9 }, status: { replicas: 3, observedGeneration: 2 } } })).json<Obj>();
    assert.equal(st.status?.replicas, 3);
    assert.equal((st.spec as { replicas: number }).replicas, 3, 'status writes ignore spec');
    assert.equal(st.metadata.generation, 2);
    const stale = await call(`${D}/gen`, { method: 'PUT', body: { ...deploy('gen'), metadata: { name: 'gen', resourceVersion: cur.metadata.resourceVersion } } });
    assert.equal(stale.status, 409);
    assert.match(String(stale.json().message), /Operation cannot be fulfilled on deployments.apps "gen": the object has been modified; please apply your changes to the latest version and try again/);
  });

  await t.test('scale subresource (autoscaling/v1)', async () => {
    const sc = (await call(`${D}/gen/scale`)).json<Obj & { kind: string; apiVersion: string }>();
    assert.equal(sc.kind, 'Scale');
    assert.equal(sc.apiVersion, 'autoscaling/v1');
    assert.equal((sc.status as { selector: string }).selector, 'app=gen');
    const patched = (await call(`${D}/gen/scale`, { method: 'PATCH', headers: MERGE, body: { spec: { replicas: 5 } } })).json<Obj>();
    assert.equal((patched.spec as { replicas: number }).replicas, 5);
    assert.equal(((await call(`${D}/gen`)).json<Obj>().spec as { replicas: number }).replicas, 5);
    assert.equal((await call(`${D}/gen/scale`, { method: 'PATCH', headers: MERGE, body: { spec: { replicas: -1 } } })).status, 422);
  });

  await t.test('finalizers hold deletion; removing the last one deletes; propagationPolicy adds finalizers', async () => {
    await call(D, { method: 'POST', body: deploy('fin', { finalizers: ['example.com/hold'] }) });
    const del = await call(`${D}/fin`, { method: 'DELETE', body: { propagationPolicy: 'Foreground' } });
    assert.equal(del.status, 200);
    const marked = del.json<Obj>();
    assert.ok(marked.metadata.deletionTimestamp);
    assert.deepEqual(marked.metadata.finalizers, ['example.com/hold', 'foregroundDeletion']);
    const refused = await call('/api/v1/namespaces/default/configmaps', { method: 'POST', body: { metadata: { name: 'ok-still' } } });
    assert.equal(refused.status, 201);
    await call(`${D}/fin`, { method: 'PATCH', headers: MERGE, body: { metadata: { finalizers: null } } });
    assert.equal((await call(`${D}/fin`)).status, 404);
    await call(D, { method: 'POST', body: deploy('orph') });
    const o = (await call(`${D}/orph?propagationPolicy=Orphan`, { method: 'DELETE' })).json<Obj>();
    assert.deepEqual(o.metadata.finalizers, ['orphan']);
    const pre = await call(`${D}/orph`, { method: 'DELETE', body: { preconditions: { uid: 'nope' } } });
    assert.equal(pre.status, 409);
  });

  await t.test('pods: binding, graceful deletion when bound, immediate when not', async () => {
    const P = '/api/v1/namespaces/default/pods';
    const pod = (name: string) => ({ metadata: { name }, spec: { containers: [{ name: 'c', image: 'x' }] } });
    const created = (await call(P, { method: 'POST', body: { ...pod('p1'), status: { phase: 'Running' } } })).json<Obj>();
    assert.equal(created.status?.phase, 'Pending');
    const bind = await call(`${P}/p1/binding`, { method: 'POST', body: { metadata: { name: 'p1' }, target: { kind: 'Node', name: 'n1' } } });
    assert.equal(bind.status, 201, bind.body);
    const bound = (await call(`${P}/p1`)).json<Obj>();
    assert.equal(bound.spec?.nodeName, 'n1');
    assert.equal((await call(`${P}/p1/binding`, { method: 'POST', body: { metadata: { name: 'p1' }, target: { kind: 'Node', name: 'n2' } } })).status, 409);
    const graceful = (await call(`${P}/p1`, { method: 'DELETE' })).json<Obj>();
    assert.ok(graceful.metadata.deletionTimestamp);
    assert.equal(graceful.metadata.deletionGracePeriodSeconds, 30);
    assert.equal((await call(`${P}/p1`)).status, 200);
    await call(`${P}/p1?gracePeriodSeconds=0`, { method: 'DELETE' });
    assert.equal((await call(`${P}/p1`)).status, 404);
    await call(P, { method: 'POST', body: pod('p2') });
    await call(`${P}/p2`, { method: 'DELETE' });
    assert.equal((await call(`${P}/p2`)).status, 404);
  });

  await t.test('services: ClusterIP and NodePort allocation, conflicts, release', async () => {
    const S = '/api/v1/namespaces/default/services';
    const svc = (name: string, spec: Record<string, unknown>) => ({ metadata: { name }, spec: { ports: [{ port: 80 }], ...spec } });
    const a = (await call(S, { method: 'POST', body: svc('a', { clusterIP: '198.19.0.50' }) })).json<{ spec: { clusterIP: string; clusterIPs: string[] } }>();
    assert.equal(a.spec.clusterIP, '198.19.0.50');
    assert.deepEqual(a.spec.clusterIPs, ['198.19.0.50']);
    const dup = await call(S, { method: 'POST', body: svc('b', { clusterIP: '198.19.0.50' }) });
    assert.equal(dup.status, 422);
    assert.match(String(dup.json().message), /provided IP is already allocated/);
    const out = await call(S, { method: 'POST', body: svc('c', { clusterIP: '10.0.0.1' }) });
    assert.match(String(out.json().message), /not in the valid range/);
    const headless = (await call(S, { method: 'POST', body: svc('h', { clusterIP: 'None' }) })).json<{ spec: { clusterIP: string } }>();
    assert.equal(headless.spec.clusterIP, 'None');
    const np = (await call(S, { method: 'POST', body: svc('np', { type: 'NodePort', ports: [{ port: 80, name: 'w', nodePort: 30042 }, { port: 81, name: 'x' }] }) })).json<{ spec: { ports: { nodePort: number }[] } }>();
    assert.equal(np.spec.ports[0]!.nodePort, 30042);
    assert.ok(np.spec.ports[1]!.nodePort >= 30000 && np.spec.ports[1]!.nodePort <= 30099);
    const clash = await call(S, { method: 'POST', body: svc('np2', { type: 'NodePort', ports: [{ port: 80, nodePort: 30042 }] }) });
    assert.match(String(clash.json().message), /provided port is already allocated/);
    const lb = (await call(S, { method: 'POST', body: svc('lb', { type: 'LoadBalancer', externalTrafficPolicy: 'Local' }) })).json<{ spec: { healthCheckNodePort: number } }>();
    assert.ok(lb.spec.healthCheckNodePort >= 30000);
    // An update without clusterIP/nodePort keeps them.
    const kept = (await call(`${S}/np`, { method: 'PUT', body: svc('np', { type: 'NodePort', ports: [{ port: 80, name: 'w' }, { port: 81, name: 'x' }] }) })).json<{ spec: { clusterIP: string; ports: { nodePort: number }[] } }>();
    assert.equal(kept.spec.ports[0]!.nodePort, 30042);
    await call(`${S}/a`, { method: 'DELETE' });
    await call(`${S}/np`, { method: 'DELETE' });
    assert.equal((await call(S, { method: 'POST', body: svc('a2', { clusterIP: '198.19.0.50', type: 'NodePort', ports: [{ port: 80, nodePort: 30042 }] }) })).status, 201);
  });

  await t.test('nodes get a /24 pod CIDR', async () => {
    const n1 = (await call('/api/v1/nodes', { method: 'POST', body: { metadata: { name: 'n1' } } })).json<{ spec: { podCIDR: string } }>();
    const n2 = (await call('/api/v1/nodes', { method: 'POST', body: { metadata: { name: 'n2' } } })).json<{ spec: { podCIDR: string } }>();
    assert.equal(n1.spec.podCIDR, '198.18.0.0/24');
    assert.equal(n2.spec.podCIDR, '198.18.1.0/24');
  });

  await t.test('namespaces: must exist; terminating refuses creates; finalize removes', async () => {
    assert.equal((await call('/api/v1/namespaces/nope/configmaps', { method: 'POST', body: { metadata: { name: 'x' } } })).json().message, 'namespaces "nope" not found');
    await call('/api/v1/namespaces', { method: 'POST', body: { metadata: { name: 'doomed' } } });
    const ns = (await call('/api/v1/namespaces/doomed', { method: 'DELETE' })).json<Obj>();
    assert.equal(ns.status?.phase, 'Terminating');
    const refused = await call('/api/v1/namespaces/doomed/configmaps', { method: 'POST', body: { metadata: { name: 'x' } } });
    assert.equal(refused.status, 403);
    assert.match(String(refused.json().message), /unable to create new content in namespace doomed because it is being terminated/);
    const fin = await call('/api/v1/namespaces/doomed/finalize', { method: 'PUT', body: { metadata: { name: 'doomed' }, spec: { finalizers: [] } } });
    assert.equal(fin.status, 200, fin.body);
    assert.equal((await call('/api/v1/namespaces/doomed')).status, 404);
    assert.equal((await call('/api/v1/namespaces/default', { method: 'DELETE' })).status, 403);
  });

  await t.test('deletecollection with a selector', async () => {
    for (const n of ['dc1', 'dc2', 'dc3']) await call('/api/v1/namespaces/default/configmaps', { method: 'POST', body: { metadata: { name: n, labels: { dc: n === 'dc3' ? 'keep' : 'go' } } } });
    const r = await call('/api/v1/namespaces/default/configmaps?labelSelector=dc%3Dgo', { method: 'DELETE' });
    assert.equal(r.status, 200);
    assert.equal(r.json<{ items: unknown[] }>().items.length, 2);
    assert.equal((await call('/api/v1/namespaces/default/configmaps/dc3')).status, 200);
    assert.equal((await call('/api/v1/namespaces/default/configmaps/dc1')).status, 404);
  });
});
