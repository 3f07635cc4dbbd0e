// The proxy against the real API server (in process, memory storage): Services and
// EndpointSlices come through RestClient + informers, LoadBalancer addresses are written to
// status, and traffic flows through the nftables rules in a test netns. Needs root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findResource } from '../../../src/api/resources.js';
import type { EndpointSlice, Service } from '../../../src/api/types.js';
import { RestClient } from '../../../src/client/rest-client.js';
import { startProxy } from '../../../src/cmd/proxy.js';
import { silentLogger } from '../../../src/util/logger.js';
import { startInProcessServer } from '../harness/skiff-server.js';
import { Topology } from './netns-topology.js';
import { until } from './helpers.js';

const isRoot = process.getuid?.() === 0;
const SERVICES = findResource('', 'services')!;
const SLICES = findResource('discovery.k8s.io', 'endpointslices')!;

test('proxy + real API server: ClusterIP, NodePort and an allocated LoadBalancer IP follow EndpointSlice changes', { skip: isRoot ? false : 'needs root (network namespaces, nftables)', timeout: 60_000 }, async (t) => {
  const server = await startInProcessServer(t);
  const admin = await RestClient.fromKubeconfig(server.kubeconfig);
  const proxyClient = await RestClient.fromKubeconfig(server.componentKubeconfig('proxy'));
  t.after(() => {
    admin.close();
    proxyClient.close();
  });
  const topo = new Topology('a');
  t.after(() => topo.destroy());
  await topo.create(2);
  await Promise.all([0, 1].map((i) => topo.serve(i, `pod${i}`)));
  const proxy = await startProxy({
    mode: 'nftables',
    nodeName: 'node-a',
    client: proxyClient,
    netns: topo.node,
    nodeIPs: ['198.19.128.1'],
    clusterCIDR: '198.18.0.0/16',
    lbPool: '198.19.64.0/24',
    metricsListen: '127.0.0.1:0',
    healthCheckBindAddress: '127.0.0.1',
    minSyncIntervalMs: 10,
    cleanupOnStop: true,
    logger: silentLogger,
  });
  t.after(() => proxy.stop());

  const svc = await admin.create<Service>(SERVICES, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default' },
    spec: { type: 'LoadBalancer', ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] },
  });
  const clusterIP = svc.spec!.clusterIP!;
  const nodePort = svc.spec!.ports![0]!.nodePort!;
  assert.ok(clusterIP.startsWith('198.19.'), clusterIP);
  const slice = (ips: string[]): EndpointSlice => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'web-manual', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true }, nodeName: 'node-a' })),
  });
  await admin.create(SLICES, slice([topo.podIP(0), topo.podIP(1)]));

  const lbIP = await until('LoadBalancer ingress in status', async () => {
    const s = await admin.get<Service>(SERVICES, 'web', 'default');
    return s.status?.loadBalancer?.ingress?.[0]?.ip;
  }, 10_000);
  assert.equal(lbIP, '198.19.64.1');
  for (const [host, port] of [[clusterIP, 80], ['198.19.128.1', nodePort], [lbIP, 80]] as const) {
    const seen = await until(`both pods via ${host}:${port}`, async () => {
      const got = new Set(await topo.http(host, port, 12));
      return got.has('pod0') && got.has('pod1') && got.size === 2 ? got : undefined;
    }, 10_000);
    assert.equal(seen.size, 2);
  }

  const current = await admin.get<EndpointSlice>(SLICES, 'web-manual', 'default');
  await admin.update(SLICES, { ...slice([topo.podIP(1)]), metadata: current.metadata });
  await until('only pod1 after the slice update', async () => {
    const got = await topo.http(clusterIP, 80, 6);
    return got.every((g) => g === 'pod1');
  }, 10_000);

  const metrics = await (await fetch(`http://127.0.0.1:${proxy.metricsPort}/metrics`)).text();
  assert.match(metrics, /skiff_proxy_network_programming_duration_seconds_count\{mode="nftables"\} [1-9]/);
  assert.match(metrics, /skiff_proxy_sync_proxy_rules_duration_seconds_count\{mode="nftables",kind="full"\} [1-9]/);
  assert.equal((await fetch(`http://127.0.0.1:${proxy.metricsPort}/healthz`)).status, 200);
});
