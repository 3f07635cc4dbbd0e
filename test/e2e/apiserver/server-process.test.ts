/**
 * `skiff server` as a real process over SQLite: kubeconfigs and PKI written, objects and
 * allocations (ClusterIP, NodePort, pod CIDR) survive a restart, the CA is reused.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { apiCall } from '../harness/api-call.js';
import { startSkiffServer } from '../harness/skiff-server.js';
import { tempDir } from '../harness/tmp.js';

test('skiff server over sqlite keeps state and allocations across restarts', async (t) => {
  const dataDir = tempDir(t, 'skt-as-proc-');
  const first = await startSkiffServer(t, { dataDir, storage: 'sqlite' });
  for (const f of ['kubeconfig', 'components/agent.kubeconfig', 'components/dns.kubeconfig', 'components/proxy.kubeconfig', 'components/controllers.kubeconfig', 'tokens.csv', 'pki/ca.key']) {
    assert.equal(statSync(join(dataDir, f)).mode & 0o077, 0, `${f} is private`);
  }
  const kc = readFileSync(first.kubeconfig, 'utf8');
  assert.match(kc, /certificate-authority-data: /);
  assert.match(kc, /token: /);
  const call = (s: typeof first, path: string, o: Parameters<typeof apiCall>[2] = {}) => apiCall(s, path, { token: s.token, ...o });
  const svc = (await call(first, '/api/v1/namespaces/default/services', {
    method: 'POST',
    body: { metadata: { name: 'keep' }, spec: { type: 'NodePort', ports: [{ port: 80, nodePort: 31000 }] } },
  })).json<{ spec: { clusterIP: string } }>();
  const node = (await call(first, '/api/v1/nodes', { method: 'POST', body: { metadata: { name: 'n1' } } })).json<{ spec: { podCIDR: string } }>();
  assert.equal(node.spec.podCIDR, '198.18.0.0/24');
  await first.stop();

  const second = await startSkiffServer(t, { dataDir, storage: 'sqlite' });
  assert.equal(second.caPem, first.caPem, 'CA reused');
  assert.equal(second.token, first.token, 'tokens reused');
  const got = (await call(second, '/api/v1/namespaces/default/services/keep')).json<{ spec: { clusterIP: string } }>();
  assert.equal(got.spec.clusterIP, svc.spec.clusterIP);
  const dupIp = await call(second, '/api/v1/namespaces/default/services', { method: 'POST', body: { metadata: { name: 'dup' }, spec: { clusterIP: svc.spec.clusterIP, ports: [{ port: 80 }] } } });
  assert.match(String(dupIp.json().message), /provided IP is already allocated/);
  const dupPort = await call(second, '/api/v1/namespaces/default/services', { method: 'POST', body: { metadata: { name: 'dup2' }, spec: { type: 'NodePort', ports: [{ port: 80, nodePort: 31000 }] } } });
  assert.match(String(dupPort.json().message), /provided port is already allocated/);
  const n2 = (await call(second, '/api/v1/nodes', { method: 'POST', body: { metadata: { name: 'n2' } } })).json<{ spec: { podCIDR: string } }>();
  assert.equal(n2.spec.podCIDR, '198.18.1.0/24');
  // The kubernetes Service points at the new port.
  const ep = (await call(second, '/api/v1/namespaces/default/endpoints/kubernetes')).json<{ subsets: { ports: { port: number }[] }[] }>();
  assert.equal(ep.subsets[0]!.ports[0]!.port, Number(new URL(second.url).port));
});
