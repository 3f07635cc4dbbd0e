// nftables and iptables modes against real kernels, inside namespaces this test creates
// (see netns-topology.ts). Needs root; skipped with a message otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EndpointSlice, Service } from '../../../src/api/types.js';
import { systemClock } from '../../../src/util/clock.js';
import { realExec } from '../../../src/util/exec.js';
import { execInNetns } from '../../../src/proxy/netns-exec.js';
import { ProxyCore } from '../../../src/proxy/proxy-core.js';
import { FakeInformer, makeService, makeSlice, type EpOptions } from '../../../src/proxy/testing.js';
import { NftablesBackend } from '../../../src/proxy/nftables/nftables-backend.js';
import { NftSession } from '../../../src/proxy/nftables/nft-session.js';
import { IptablesBackend } from '../../../src/proxy/iptables/iptables-backend.js';
import type { ProxyBackend } from '../../../src/proxy/types.js';
import { Topology } from './netns-topology.js';
import { tally, until } from './helpers.js';

const isRoot = process.getuid?.() === 0;
const NODE_IP = '198.19.128.1';
const CLUSTER_CIDR = '198.18.0.0/16';

for (const mode of ['nftables', 'iptables'] as const) {
  test(`${mode}: ClusterIP/NodePort spread, unready, no endpoints, affinity, Local policies, UDP 3→0→3, cleanup`, { skip: isRoot ? false : 'needs root (network namespaces, kernel rules)', timeout: 90_000 }, async (t) => {
    const topo = new Topology(mode === 'nftables' ? 'n' : 'i');
    t.after(() => topo.destroy());
    await topo.create(4);
    const exec = execInNetns(realExec, topo.node);
    const backend: ProxyBackend =
      mode === 'nftables'
        ? new NftablesBackend({ exec, nodeIPs: [NODE_IP], clusterCIDR: CLUSTER_CIDR, session: new NftSession(['nsenter', `--net=/run/netns/${topo.node}`, 'nft', '-i']) })
        : new IptablesBackend({ exec, clusterCIDR: CLUSTER_CIDR });
    const core = new ProxyCore({ backend, nodeName: 'node-a', clock: systemClock, exec, minSyncIntervalMs: 10, healthCheckBindAddress: '127.0.0.1' });
    const svcs = new FakeInformer<Service>();
    const slices = new FakeInformer<EndpointSlice>();
    core.attach(svcs, slices);
    svcs.start();
    slices.start();
    core.start();
    let cleaned = false;
    t.after(async () => {
      await core.stop();
      if (!cleaned) await backend.cleanup();
    });
    await until('the first sync', () => core.syncCount > 0, 10_000);
    const synced = async (fn: () => void) => {
      const n = core.syncCount;
      fn();
      await until('a sync', () => core.syncCount > n, 10_000);
    };
    await Promise.all([0, 1, 2, 3].map((i) => topo.serve(i, `pod${i}`)));
    const ep = (i: number, o: Partial<EpOptions> = {}): EpOptions => ({ ip: topo.podIP(i), nodeName: i === 0 ? 'node-a' : 'node-b', ...o });
    const web = makeService({ name: 'web', clusterIP: '198.19.0.10', type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] });
    const webSlice = (eps: EpOptions[]) => makeSlice({ service: 'web', ports: [{ port: 8080 }], endpoints: eps });
    await synced(() => {
      svcs.set(web);
      slices.set(webSlice([ep(0), ep(1), ep(2), ep(3, { ready: false, serving: false })]));
    });

    // --- spread over ready endpoints, from outside (client netns) and from a pod --------------
    const fromClient = tally(await topo.http('198.19.0.10', 80, 45));
    assert.deepEqual(Object.keys(fromClient).sort(), ['pod0', 'pod1', 'pod2'], JSON.stringify(fromClient));
    for (const n of ['pod0', 'pod1', 'pod2']) assert.ok(fromClient[n]! >= 5, `spread: ${JSON.stringify(fromClient)}`);
    const viaNodePort = tally(await topo.http(NODE_IP, 30080, 24));
    assert.deepEqual(Object.keys(viaNodePort).sort(), ['pod0', 'pod1', 'pod2'], JSON.stringify(viaNodePort));
    // pod3 (unready) as the client: pod→service→pod on one bridge, including itself (hairpin).
    const fromPod = tally(await topo.http('198.19.0.10', 80, 24, { netns: topo.pods[3] }));
    assert.deepEqual(Object.keys(fromPod).sort(), ['pod0', 'pod1', 'pod2'], `from a pod: ${JSON.stringify(fromPod)}`);
    await synced(() => slices.set(webSlice([ep(3)])));
    assert.deepEqual(await topo.http('198.19.0.10', 80, 3, { netns: topo.pods[3] }), ['pod3', 'pod3', 'pod3'], 'hairpin');

    // --- no endpoints: refused at once -----------------------------------------------------
    await synced(() => slices.set(webSlice([])));
    const t0 = Date.now();
    const refused = await topo.http('198.19.0.10', 80, 2);
    assert.ok(refused.every((r) => r === 'ERR:ECONNREFUSED'), JSON.stringify(refused));
    assert.deepEqual(await topo.http(NODE_IP, 30080, 1), ['ERR:ECONNREFUSED']);
    assert.ok(Date.now() - t0 < 3000, 'rejected without hanging');

    // --- ClientIP affinity: holds, then expires (timeout 1 s) ------------------------------
    await synced(() => {
      svcs.set(makeService({ name: 'sticky', clusterIP: '198.19.0.11', ports: [{ port: 80 }], affinitySeconds: 1 }));
      slices.set(makeSlice({ service: 'sticky', ports: [{ port: 8080 }], endpoints: [ep(0), ep(1), ep(2)] }));
    });
    const held = await topo.http('198.19.0.11', 80, 20);
    assert.equal(new Set(held).size, 1, `affinity holds: ${JSON.stringify(held)}`);
    const afterExpiry = await topo.http('198.19.0.11', 80, 6, { pauseMs: 1300 });
    assert.ok(new Set(afterExpiry).size > 1, `affinity expires: ${JSON.stringify(afterExpiry)}`);

    // --- externalIPs ---------------------------------------------------------------------
    await synced(() => {
      svcs.set(makeService({ name: 'ext', clusterIP: '198.19.0.14', ports: [{ port: 8000 }], externalIPs: ['198.19.100.1'] }));
      slices.set(makeSlice({ service: 'ext', ports: [{ port: 8080 }], endpoints: [ep(1), ep(2)] }));
    });
    assert.deepEqual(new Set(await topo.http('198.19.100.1', 8000, 12)), new Set(['pod1', 'pod2']), 'externalIP');

    // --- externalTrafficPolicy Local (+ health check) and internalTrafficPolicy Local --------
    await synced(() => {
      svcs.set(makeService({ name: 'loc', clusterIP: '198.19.0.12', type: 'NodePort', ports: [{ port: 80, nodePort: 30081 }], externalTrafficPolicy: 'Local', healthCheckNodePort: 32100 }));
      slices.set(makeSlice({ service: 'loc', ports: [{ port: 8080 }], endpoints: [ep(0), ep(1), ep(2)] }));
      svcs.set(makeService({ name: 'iloc', clusterIP: '198.19.0.13', ports: [{ port: 80 }], internalTrafficPolicy: 'Local' }));
      slices.set(makeSlice({ service: 'iloc', ports: [{ port: 8080 }], endpoints: [ep(0), ep(1), ep(2)] }));
    });
    assert.deepEqual(new Set(await topo.http(NODE_IP, 30081, 8)), new Set(['pod0']), 'external Local: local endpoint only');
    assert.deepEqual(await topo.http(NODE_IP, 30081, 1, { path: '/ip' }), ['198.19.128.2'], 'external Local keeps the client address');
    assert.deepEqual(new Set(await topo.http('198.19.0.13', 80, 8)), new Set(['pod0']), 'internal Local');
    const hc = await fetch('http://127.0.0.1:32100/');
    assert.equal(hc.status, 200);
    assert.deepEqual(await hc.json(), { service: { namespace: 'default', name: 'loc' }, localEndpoints: 1, serviceProxyHealthy: true });
    await synced(() => slices.set(makeSlice({ service: 'loc', ports: [{ port: 8080 }], endpoints: [ep(1), ep(2)] })));
    assert.equal((await fetch('http://127.0.0.1:32100/')).status, 503);
    assert.deepEqual(await topo.http(NODE_IP, 30081, 1), ['ERR:TIMEOUT'], 'no local endpoint: dropped');
    // NodePort with Cluster policy masquerades: the pod sees the node, not the client.
    await synced(() => slices.set(webSlice([ep(1)])));
    assert.deepEqual(await topo.http(NODE_IP, 30080, 1, { path: '/ip' }), ['198.18.0.1']);

    // --- UDP client through 3 → 0 → 3 with new pod addresses (conntrack must be flushed) ---
    const dnsSlice = (ips: number[]) => makeSlice({ service: 'dns', ports: [{ port: 5353, protocol: 'UDP' }], endpoints: ips.map((i) => ep(i)) });
    await synced(() => {
      svcs.set(makeService({ name: 'dns', clusterIP: '198.19.0.53', ports: [{ port: 53, protocol: 'UDP' }] }));
      slices.set(dnsSlice([0, 1, 2]));
    });
    const udp = topo.udpLoop('198.19.0.53', 53);
    t.after(() => udp.stop());
    await until('UDP replies', () => udp.lines.some((l) => /^reply pod[012]$/.test(l)), 10_000);
    // Scale to 0: pods 0-2 lose their addresses (gone for good), then come back as new pods.
    await synced(() => slices.set(dnsSlice([])));
    for (const i of [0, 1, 2]) await topo.inNs(topo.pods[i]!, 'ip', 'addr', 'del', `${topo.podIP(i)}/24`, 'dev', 'eth0');
    const mark = udp.lines.length;
    await new Promise((r) => setTimeout(r, 300)); // the client keeps sending meanwhile
    const newIPs = [0, 1, 2].map((i) => `198.18.0.${21 + i}`);
    for (const i of [0, 1, 2]) {
      await topo.inNs(topo.pods[i]!, 'ip', 'addr', 'add', `${newIPs[i]}/24`, 'dev', 'eth0');
      await topo.inNs(topo.pods[i]!, 'ip', 'route', 'replace', 'default', 'via', '198.18.0.1');
      await topo.serve(i, `new${i}`);
    }
    await synced(() => slices.set(makeSlice({ service: 'dns', ports: [{ port: 5353, protocol: 'UDP' }], endpoints: newIPs.map((ip) => ({ ip, nodeName: 'node-b' })) })));
    await until('UDP replies from the new pods', () => udp.lines.slice(mark).some((l) => /^reply new[012]$/.test(l)), 5000);
    udp.stop();

    // --- metrics were recorded ------------------------------------------------------------
    const latency = await core.metrics.registry.getSingleMetricAsString('skiff_proxy_network_programming_duration_seconds');
    assert.match(latency, new RegExp(`_count\\{mode="${mode}"\\} [1-9]`));

    // --- cleanup removes everything ------------------------------------------------------
    await core.stop();
    await backend.cleanup();
    cleaned = true;
    if (mode === 'nftables') {
      const tables = await topo.inNs(topo.node, 'nft', 'list', 'tables');
      assert.doesNotMatch(tables, /skiff/);
    } else {
      const save = await topo.inNs(topo.node, 'iptables-save');
      assert.doesNotMatch(save, /KUBE-/);
    }
  });
}
