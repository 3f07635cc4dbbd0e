// `skiff proxy --mode userspace --netns NODE` as a real process against the real API server
// (reachable only from the root netns): the control plane stays outside, a dataplane child
// inside the node netns puts the ClusterIP on skiff-svc (or lo, this kernel having no dummy
// driver), proxies pod traffic, and removes the addresses on SIGTERM with --cleanup. Needs root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { findResource } from '../../../src/api/resources.js';
import type { Service } from '../../../src/api/types.js';
import { RestClient } from '../../../src/client/rest-client.js';
import { startInProcessServer } from '../harness/skiff-server.js';
import { Topology } from './netns-topology.js';
import { until } from './helpers.js';

const isRoot = process.getuid?.() === 0;
const CLI = fileURLToPath(new URL('./run-cli.ts', import.meta.url));

test('skiff proxy --mode userspace --netns: ClusterIP and NodePort inside the node netns, cleaned up on exit', { skip: isRoot ? false : 'needs root (network namespaces)', timeout: 60_000 }, async (t) => {
  const server = await startInProcessServer(t);
  const admin = await RestClient.fromKubeconfig(server.kubeconfig);
  t.after(() => admin.close());
  const topo = new Topology('u');
  t.after(() => topo.destroy());
  await topo.create(2);
  await Promise.all([0, 1].map((i) => topo.serve(i, `pod${i}`)));
  const svc = await admin.create<Service>(findResource('', 'services')!, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default' },
    spec: { type: 'NodePort', ports: [{ port: 80, targetPort: 8080 }] },
  });
  await admin.create(findResource('discovery.k8s.io', 'endpointslices')!, {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'web-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    ports: [{ port: 8080, protocol: 'TCP' }],
    endpoints: [0, 1].map((i) => ({ addresses: [topo.podIP(i)], conditions: { ready: true }, nodeName: 'node-a' })),
  });
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'proxy', '--kubeconfig', server.componentKubeconfig('proxy'), '--node-name', 'node-a',
    '--mode', 'userspace', '--netns', topo.node, '--node-ip', '198.19.128.1', '--metrics-listen', 'off', '--healthz-bind-address', '127.0.0.1', '--cleanup'],
  { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, SKIFF_LOG_LEVEL: 'warn' } });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  t.after(() => child.kill('SIGKILL'));
  const clusterIP = svc.spec!.clusterIP!;
  const nodePort = svc.spec!.ports![0]!.nodePort!;
  for (const [host, port] of [[clusterIP, 80], ['198.19.128.1', nodePort]] as const) {
    await until(`both pods via ${host}:${port} (proxy stderr: ${stderr.slice(-500)})`, async () => {
      const got = new Set(await topo.http(host, port, 8));
      return got.has('pod0') && got.has('pod1');
    }, 20_000, 200);
  }
  assert.match(await topo.inNs(topo.node, 'ip', '-4', 'addr'), new RegExp(`${clusterIP.replace(/\./g, '\\.')}/32`));
  child.kill('SIGTERM');
  assert.equal(await exited, 0, stderr);
  assert.doesNotMatch(await topo.inNs(topo.node, 'ip', '-4', 'addr'), new RegExp(`${clusterIP.replace(/\./g, '\\.')}/32`), 'address removed by --cleanup');
});
