/**
 * Two `skiff server` processes over one etcd serve one cluster: an object written through one
 * is read and watched through the other, and allocations never collide across them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apiCall } from '../harness/api-call.js';
import { etcdSkipReason, startEtcd } from '../harness/etcd.js';
import { startSkiffServer, type TestServer } from '../harness/skiff-server.js';
import { openWatch } from '../harness/watch-stream.js';

test('two API servers over one etcd are one cluster', { skip: etcdSkipReason() ?? false }, async (t) => {
  const etcd = await startEtcd(t);
  const endpoints = etcd.endpoints.join(',');
  const [a, b] = await Promise.all([startSkiffServer(t, { storage: 'etcd', etcdEndpoints: endpoints }), startSkiffServer(t, { storage: 'etcd', etcdEndpoints: endpoints })]);
  const call = (s: TestServer, path: string, o: Parameters<typeof apiCall>[2] = {}) => apiCall(s, path, { token: s.token, ...o });
  const listed = (await call(b, '/api/v1/namespaces/default/configmaps')).json<{ metadata: { resourceVersion: string } }>();
  const w = await openWatch(b, `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${listed.metadata.resourceVersion}`, b.token);
  t.after(() => w.close());
  assert.equal((await call(a, '/api/v1/namespaces/default/configmaps', { method: 'POST', body: { metadata: { name: 'shared' }, data: { k: 'v' } } })).status, 201);
  const [ev] = await w.waitFor(1, 10_000);
  assert.equal(`${ev!.type} ${ev!.object.metadata!.name}`, 'ADDED shared');
  // A consistent list through B right after a write through A sees it.
  await call(a, '/api/v1/namespaces/default/configmaps', { method: 'POST', body: { metadata: { name: 'shared-2' } } });
  const names = (await call(b, '/api/v1/namespaces/default/configmaps')).json<{ items: { metadata: { name: string } }[] }>().items.map((i) => i.metadata.name);
  assert.ok(names.includes('shared-2'), names.join(','));
  // Allocations: an IP and a NodePort taken through A are refused through B.
  const svc = (await call(a, '/api/v1/namespaces/default/services', { method: 'POST', body: { metadata: { name: 's1' }, spec: { type: 'NodePort', ports: [{ port: 80, nodePort: 30500 }] } } })).json<{ spec: { clusterIP: string } }>();
  const ip = await call(b, '/api/v1/namespaces/default/services', { method: 'POST', body: { metadata: { name: 's2' }, spec: { clusterIP: svc.spec.clusterIP, ports: [{ port: 80 }] } } });
  assert.match(String(ip.json().message), /provided IP is already allocated/);
  const port = await call(b, '/api/v1/namespaces/default/services', { method: 'POST', body: { metadata: { name: 's3' }, spec: { type: 'NodePort', ports: [{ port: 80, nodePort: 30500 }] } } });
  assert.match(String(port.json().message), /provided port is already allocated/);
});
