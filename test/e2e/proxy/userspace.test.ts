// The userspace proxy in host network mode (no root): virtual IPs are 127.77.x addresses,
// the "node" address is 127.77.128.1, endpoints are servers on other 127.77.x addresses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EndpointSlice, Service } from '../../../src/api/types.js';
import { FakeClock, systemClock } from '../../../src/util/clock.js';
import { ProxyCore } from '../../../src/proxy/proxy-core.js';
import { FakeInformer, makeService, makeSlice } from '../../../src/proxy/testing.js';
import { UserspaceBackend } from '../../../src/proxy/userspace/userspace-backend.js';
import { connectOutcome, httpGet, nameServer, tally, udpClient, udpNameServer, until } from './helpers.js';

const NODE_IP = '127.77.128.1';

async function setup(t: import('node:test').TestContext, clock = new FakeClock(Date.now()), tcpEngine: 'libuv' | 'net' = 'libuv') {
  const backend = new UserspaceBackend({ addressMode: 'loopback', nodeIPs: [NODE_IP], clock, tcpEngine });
  const core = new ProxyCore({ backend, nodeName: 'node-a', clock: systemClock, minSyncIntervalMs: 10, healthCheckBindAddress: '127.77.128.1' });
  const svcs = new FakeInformer<Service>();
  const slices = new FakeInformer<EndpointSlice>();
  core.attach(svcs, slices);
  svcs.start();
  slices.start();
  core.start();
  t.after(async () => {
    await core.stop();
    await backend.cleanup();
  });
  await until('the first sync', () => core.syncCount > 0, 10_000);
  const synced = async (fn: () => void) => {
    const n = core.syncCount;
    fn();
    await until('a sync', () => core.syncCount > n);
  };
  return { backend, core, svcs, slices, clock, synced };
}

// Both TCP data paths: raw libuv handles (the default) and the net.Socket fallback.
for (const tcpEngine of ['libuv', 'net'] as const) {
  test(`userspace (${tcpEngine}): ClusterIP and NodePort spread over ready endpoints only; unready gets nothing; no endpoints rejects at once`, async (t) => {
    const port = 18080;
    const eps = await Promise.all(['a', 'b', 'c', 'd'].map((n, i) => nameServer(n, `127.77.1.${i + 1}`, port)));
    t.after(() => Promise.all(eps.map((s) => s.close())));
    const { svcs, slices, synced } = await setup(t, undefined, tcpEngine);
    await synced(() => {
      svcs.set(makeService({ name: 'web', clusterIP: '127.77.0.10', type: 'NodePort', ports: [{ port: 18000, nodePort: 31080 }] }));
      slices.set(makeSlice({ service: 'web', ports: [{ port }], endpoints: [
        { ip: '127.77.1.1' }, { ip: '127.77.1.2' }, { ip: '127.77.1.3' }, { ip: '127.77.1.4', ready: false, serving: false },
      ] }));
    });
    const viaCluster: string[] = [];
    for (let i = 0; i < 30; i++) viaCluster.push(await httpGet('127.77.0.10', 18000));
    const c = tally(viaCluster);
    assert.deepEqual(Object.keys(c).sort(), ['a', 'b', 'c'], `got ${JSON.stringify(c)}`);
    for (const n of ['a', 'b', 'c']) assert.ok(c[n]! >= 5, `round robin spreads: ${JSON.stringify(c)}`);
    assert.equal(eps[3]!.hits(), 0, 'the unready endpoint received nothing');
    const viaNodePort: string[] = [];
    for (let i = 0; i < 9; i++) viaNodePort.push(await httpGet(NODE_IP, 31080));
    assert.deepEqual(Object.keys(tally(viaNodePort)).sort(), ['a', 'b', 'c']);

    // Scale to zero: a connection is refused at once (reset), it does not hang.
    await synced(() => slices.set(makeSlice({ service: 'web', ports: [{ port }], endpoints: [] })));
    const r = await connectOutcome('127.77.0.10', 18000);
    assert.equal(r.ok, false);
    assert.ok(r.ms < 500, `rejected in ${r.ms} ms`);
    assert.ok(['ECONNRESET', 'ECONNREFUSED', 'RESET_AFTER_ACCEPT'].includes(r.code!), String(r.code));
  });

  test(`userspace (${tcpEngine}): connect failure retries the next endpoint; terminating endpoints serve when none is ready`, async (t) => {
    const port = 18081;
    const live = await nameServer('live', '127.77.2.2', port);
    t.after(() => live.close());
    const { svcs, slices, synced } = await setup(t, undefined, tcpEngine);
    await synced(() => {
      svcs.set(makeService({ name: 'retry', clusterIP: '127.77.0.11', ports: [{ port: 18000 }] }));
      // 127.77.2.1 has nothing listening: every connect there fails and must move on.
      slices.set(makeSlice({ service: 'retry', ports: [{ port }], endpoints: [{ ip: '127.77.2.1' }, { ip: '127.77.2.2' }] }));
    });
    for (let i = 0; i < 6; i++) assert.equal(await httpGet('127.77.0.11', 18000), 'live');
    await synced(() =>
      slices.set(makeSlice({ service: 'retry', ports: [{ port }], endpoints: [{ ip: '127.77.2.2', ready: false, serving: true, terminating: true }] })),
    );
    assert.equal(await httpGet('127.77.0.11', 18000), 'live', 'serving+terminating fallback');
  });

  test(`userspace (${tcpEngine}): ClientIP affinity holds, then expires`, async (t) => {
    const port = 18082;
    const eps = await Promise.all(['a', 'b', 'c'].map((n, i) => nameServer(n, `127.77.3.${i + 1}`, port)));
    t.after(() => Promise.all(eps.map((s) => s.close())));
    const clock = new FakeClock(Date.now());
    const { svcs, slices, synced } = await setup(t, clock, tcpEngine);
    await synced(() => {
      svcs.set(makeService({ name: 'sticky', clusterIP: '127.77.0.12', ports: [{ port: 18000 }], affinitySeconds: 30 }));
      slices.set(makeSlice({ service: 'sticky', ports: [{ port }], endpoints: [{ ip: '127.77.3.1' }, { ip: '127.77.3.2' }, { ip: '127.77.3.3' }] }));
    });
    const first = await httpGet('127.77.0.12', 18000, 2000, '127.0.0.5');
    for (let i = 0; i < 10; i++) {
      clock.advance(10_000); // each use refreshes the 30 s window
      assert.equal(await httpGet('127.77.0.12', 18000, 2000, '127.0.0.5'), first);
    }
    // Another client is balanced independently (round robin moves on).
    const other = await httpGet('127.77.0.12', 18000, 2000, '127.0.0.6');
    assert.notEqual(other, first);
    clock.advance(31_000);
    const seen = new Set<string>();
    for (let i = 0; i < 3; i++) {
      seen.add(await httpGet('127.77.0.12', 18000, 2000, '127.0.0.5'));
      clock.advance(31_000);
    }
    assert.ok(seen.size > 1, 'after expiry the client is balanced again');
  });
}

test('userspace: Local policies and the health check node port', async (t) => {
  const port = 18083;
  const eps = await Promise.all(['here', 'there'].map((n, i) => nameServer(n, `127.77.4.${i + 1}`, port)));
  t.after(() => Promise.all(eps.map((s) => s.close())));
  const { svcs, slices, synced } = await setup(t);
  await synced(() => {
    svcs.set(makeService({ name: 'loc', clusterIP: '127.77.0.13', type: 'NodePort', ports: [{ port: 18000, nodePort: 31083 }], externalTrafficPolicy: 'Local', healthCheckNodePort: 31999 }));
    svcs.set(makeService({ name: 'iloc', clusterIP: '127.77.0.14', ports: [{ port: 18000 }], internalTrafficPolicy: 'Local' }));
    const endpoints = [{ ip: '127.77.4.1', nodeName: 'node-a' }, { ip: '127.77.4.2', nodeName: 'node-b' }];
    slices.set(makeSlice({ service: 'loc', ports: [{ port }], endpoints }));
    slices.set(makeSlice({ service: 'iloc', ports: [{ port }], endpoints }));
  });
  const external = new Set<string>();
  const cluster = new Set<string>();
  const internalLocal = new Set<string>();
  for (let i = 0; i < 8; i++) {
    external.add(await httpGet(NODE_IP, 31083));
    cluster.add(await httpGet('127.77.0.13', 18000));
    internalLocal.add(await httpGet('127.77.0.14', 18000));
  }
  assert.deepEqual([...external], ['here'], 'externalTrafficPolicy Local: node-local endpoints only');
  assert.deepEqual([...cluster].sort(), ['here', 'there'], 'ClusterIP of that Service still uses all');
  assert.deepEqual([...internalLocal], ['here'], 'internalTrafficPolicy Local');
  const hc = await fetch('http://127.77.128.1:31999/');
  assert.equal(hc.status, 200);
  assert.deepEqual(await hc.json(), { service: { namespace: 'default', name: 'loc' }, localEndpoints: 1, serviceProxyHealthy: true });
  await synced(() => slices.set(makeSlice({ service: 'loc', ports: [{ port }], endpoints: [{ ip: '127.77.4.2', nodeName: 'node-b' }] })));
  const hc2 = await fetch('http://127.77.128.1:31999/');
  assert.equal(hc2.status, 503);
  assert.equal(((await hc2.json()) as { localEndpoints: number }).localEndpoints, 0);
  const r = await connectOutcome(NODE_IP, 31083);
  assert.equal(r.ok, false, 'no local endpoint: NodePort refuses');
});

test('userspace: UDP keeps working through 3 → 0 → 3', async (t) => {
  const port = 18084;
  let servers = await Promise.all(['u1', 'u2', 'u3'].map((n, i) => udpNameServer(n, `127.77.5.${i + 1}`, port)));
  t.after(() => Promise.all(servers.map((s) => s.close())));
  const { svcs, slices, synced, backend } = await setup(t);
  const three = makeSlice({ service: 'dns', ports: [{ port, protocol: 'UDP' }], endpoints: [{ ip: '127.77.5.1' }, { ip: '127.77.5.2' }, { ip: '127.77.5.3' }] });
  await synced(() => {
    svcs.set(makeService({ name: 'dns', clusterIP: '127.77.0.15', ports: [{ port: 5300, protocol: 'UDP' }] }));
    slices.set(three);
  });
  const client = await udpClient('127.0.0.7');
  t.after(() => client.close());
  const first = await client.ask('127.77.0.15', 5300);
  assert.ok(first && ['u1', 'u2', 'u3'].includes(first), String(first));
  await synced(() => slices.set(makeSlice({ service: 'dns', ports: [{ port, protocol: 'UDP' }], endpoints: [] })));
  await Promise.all(servers.map((s) => s.close()));
  assert.equal(await client.ask('127.77.0.15', 5300, 200), undefined, 'no endpoints: no answer');
  servers = await Promise.all(['v1', 'v2', 'v3'].map((n, i) => udpNameServer(n, `127.77.5.${i + 1}`, port)));
  await synced(() => slices.set(three));
  // The same client socket (same source port) must reach the new pods at once.
  const again = await client.ask('127.77.0.15', 5300);
  assert.ok(again && ['v1', 'v2', 'v3'].includes(again), String(again));
  assert.ok(backend.udpSessions() >= 1);
});
