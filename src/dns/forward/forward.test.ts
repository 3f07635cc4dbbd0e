import { test } from 'node:test';
import { testEachUdpTransport } from '../testing/udp-transports.js';
import assert from 'node:assert/strict';
import type { EndpointSlice, Pod, Service } from '../../api/types.js';
import { startDnsServer } from '../dns-server.js';
import { FakeInformer } from '../testing/fake-informer.js';
import { FakeUpstream } from '../testing/fake-upstream.js';
import { clusterIPService, pod } from '../testing/builders.js';
import { query } from '../testing/dns-client.js';
import { formatMessage } from '../testing/format.js';
import { RRType } from '../wire/constants.js';
import { ForwardCache } from '../cache/forward-cache.js';
import { emptyMessage } from '../wire/message.js';

function informers(): { services: FakeInformer<Service>; endpointSlices: FakeInformer<EndpointSlice>; pods: FakeInformer<Pod> } {
  return { services: new FakeInformer<Service>({ synced: true }), endpointSlices: new FakeInformer<EndpointSlice>({ synced: true }), pods: new FakeInformer<Pod>({ synced: true }) };
}

async function withUpstream(t: { after(fn: () => unknown): void }): Promise<FakeUpstream> {
  const up = new FakeUpstream('127.0.0.1');
  await up.start();
  t.after(() => up.close());
  up.records.set('www.example.com', '192.0.2.7');
  return up;
}

testEachUdpTransport('names outside the zone are forwarded; answers and NXDOMAIN are cached; case kept', {}, async (t, udpTransport) => {
  const up = await withUpstream(t);
  const s = await startDnsServer({ udpTransport, informers: informers(), port: 0, upstreams: [{ address: '127.0.0.1', port: up.port }], loopProbeIntervalMs: 0 });
  assert.equal(s.udpTransport, udpTransport);
  t.after(() => s.close());
  const m = await query(s.udpPort, 'WWW.example.com', RRType.A);
  assert.deepEqual(formatMessage(m).answers, ['WWW.example.com. A 192.0.2.7']);
  assert.equal(m.aa, false);
  assert.equal(m.ra, true);
  const again = await query(s.udpPort, 'www.EXAMPLE.com', RRType.A);
  assert.deepEqual(formatMessage(again).answers, ['www.EXAMPLE.com. A 192.0.2.7']);
  const nx1 = await query(s.udpPort, 'missing.example.com', RRType.A);
  const nx2 = await query(s.udpPort, 'missing.example.com', RRType.A);
  assert.equal(formatMessage(nx1).rcode, 'NXDOMAIN');
  assert.equal(formatMessage(nx2).rcode, 'NXDOMAIN');
  const forwarded = up.seen.filter((n) => !n.endsWith('skiff-loop-probe'));
  assert.deepEqual(forwarded, ['www.example.com', 'missing.example.com']);
  assert.equal(s.forwarder!.cache.hits, 2);
});

testEachUdpTransport('a truncated upstream answer is retried over TCP; the client gets TC over UDP and the full answer over TCP', {}, async (t, udpTransport) => {
  const up = await withUpstream(t);
  up.big.add('big.example.com');
  const s = await startDnsServer({ udpTransport, informers: informers(), port: 0, upstreams: [{ address: '127.0.0.1', port: up.port }], loopProbeIntervalMs: 0 });
  assert.equal(s.udpTransport, udpTransport);
  t.after(() => s.close());
  const udp = await query(s.udpPort, 'big.example.com', RRType.A);
  assert.equal(udp.tc, true);
  assert.equal(udp.answers.length, 0);
  assert.equal(up.tcpQueries, 1);
  const tcp = await query(s.tcpPort, 'big.example.com', RRType.A, { tcp: true });
  assert.equal(tcp.tc, false);
  assert.equal(tcp.answers.length, 100);
});

testEachUdpTransport('an unreachable upstream gives SERVFAIL within the timeout; cluster names still answer', {}, async (t, udpTransport) => {
  const up = await withUpstream(t);
  up.silent = true;
  const services = informers();
  services.services.apply(clusterIPService('default', 'web', ['198.19.0.10']));
  const s = await startDnsServer({ udpTransport, informers: services, port: 0, upstreams: [{ address: '127.0.0.1', port: up.port }], forwardTimeoutMs: 200, loopProbeIntervalMs: 0 });
  assert.equal(s.udpTransport, udpTransport);
  t.after(() => s.close());
  const t0 = Date.now();
  const m = await query(s.udpPort, 'www.example.com', RRType.A);
  assert.equal(formatMessage(m).rcode, 'SERVFAIL');
  assert.ok(Date.now() - t0 < 1500);
  const c = await query(s.udpPort, 'web.default.svc.cluster.local', RRType.A);
  assert.deepEqual(formatMessage(c).answers, ['web.default.svc.cluster.local. A 198.19.0.10']);
});

testEachUdpTransport('forwarding loop (two servers forwarding to each other) is detected and refused, without a packet storm', {}, async (t, udpTransport) => {
  // Server B's port is only known after start, so A starts pointing at a placeholder upstream and
  // B at A; then A is restarted pointing at B. The probe of B goes to A and back to B.
  const a = await startDnsServer({ udpTransport, informers: informers(), port: 0, upstreams: [{ address: '127.0.0.1', port: 9 }], forwardTimeoutMs: 300, loopProbeIntervalMs: 0 });
  assert.equal(a.udpTransport, udpTransport);
  t.after(() => a.close());
  const b = await startDnsServer({ udpTransport, informers: informers(), port: 0, upstreams: [{ address: '127.0.0.1', port: a.udpPort }], forwardTimeoutMs: 300, loopProbeIntervalMs: 0 });
  assert.equal(b.udpTransport, udpTransport);
  t.after(() => b.close());
  // Point A at B by swapping its upstream list (the Forwarder reads it on every query).
  (a.forwarder as unknown as { upstreams: { address: string; port: number }[] }).upstreams.splice(0, 1, { address: '127.0.0.1', port: b.udpPort });
  b.forwarder!.probe();
  const deadline = Date.now() + 3000;
  while (!b.forwarder!.loopDetected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(b.forwarder!.loopDetected, true, 'B saw its own probe come back');
  const m = await query(b.udpPort, 'www.example.com', RRType.A);
  assert.equal(formatMessage(m).rcode, 'SERVFAIL');
  // Bounded traffic: each server forwarded a handful of queries, not thousands.
  assert.ok(a.forwarder!.stats.requests + b.forwarder!.stats.requests < 20, JSON.stringify([a.forwarder!.stats, b.forwarder!.stats]));
});

testEachUdpTransport('a query from our own forwarding socket (upstream = ourselves) is refused', {}, async (t, udpTransport) => {
  const s = await startDnsServer({ udpTransport, informers: informers(), port: 0, upstreams: [{ address: '127.0.0.1', port: 9 }], forwardTimeoutMs: 300, loopProbeIntervalMs: 0 });
  assert.equal(s.udpTransport, udpTransport);
  t.after(() => s.close());
  (s.forwarder as unknown as { upstreams: { address: string; port: number }[] }).upstreams.splice(0, 1, { address: '127.0.0.1', port: s.udpPort });
  const m = await query(s.udpPort, 'www.example.com', RRType.A);
  assert.ok(['SERVFAIL', 'REFUSED'].includes(formatMessage(m).rcode));
  assert.equal(s.forwarder!.loopDetected, true);
  assert.ok(s.forwarder!.stats.loopsRefused >= 1);
});

test('ForwardCache: TTL from answers, negative TTL from SOA, expiry, capacity', () => {
  let now = 1_000_000;
  const c = new ForwardCache({ capacity: 2, now: () => now });
  const pos = emptyMessage({ qr: true, answers: [{ name: 'a', type: 1, class: 1, ttl: 30, data: '1.2.3.4' }] });
  c.put('a', pos);
  now += 10_000;
  assert.equal(c.get('a')!.answers[0]!.ttl, 20);
  now += 21_000;
  assert.equal(c.get('a'), undefined);
  const neg = emptyMessage({ qr: true, rcode: 3, authority: [{ name: '', type: 6, class: 1, ttl: 100, data: { mname: 'x', rname: 'y', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 7 } }] });
  assert.equal(c.ttlFor(neg), 7);
  assert.equal(c.ttlFor(emptyMessage({ rcode: 2 })), undefined);
  c.put('1', pos);
  c.put('2', pos);
  c.put('3', pos);
  assert.equal(c.size, 2);
  assert.equal(c.get('1'), undefined);
});

testEachUdpTransport('autopath: a pod client asking <name>.<its ns>.svc.<zone> gets a CNAME to the first search-path hit', {}, async (t, udpTransport) => {
  const up = await withUpstream(t);
  const inf = informers();
  inf.services.apply(clusterIPService('other', 'db', ['198.19.0.20']));
  inf.pods.apply(pod('default', 'client', '127.0.0.1'));
  const s = await startDnsServer({ udpTransport, informers: inf, port: 0, upstreams: [{ address: '127.0.0.1', port: up.port }], autopath: true, loopProbeIntervalMs: 0 });
  assert.equal(s.udpTransport, udpTransport);
  t.after(() => s.close());
  // `db.other` from a pod in default: search tries db.other.default.svc → autopath finds db.other.svc.
  const m = await query(s.udpPort, 'db.other.default.svc.cluster.local', RRType.A);
  assert.deepEqual(formatMessage(m).answers, ['db.other.default.svc.cluster.local. CNAME db.other.svc.cluster.local.', 'db.other.svc.cluster.local. A 198.19.0.20']);
  // An external name: one round trip instead of four.
  const w = await query(s.udpPort, 'www.example.com.default.svc.cluster.local', RRType.A);
  assert.deepEqual(formatMessage(w).answers, ['www.example.com. A 192.0.2.7', 'www.example.com.default.svc.cluster.local. CNAME www.example.com.']);
  // A fully qualified cluster name under ndots:5 gets the search suffix appended first.
  const fq = await query(s.udpPort, 'db.other.svc.cluster.local.default.svc.cluster.local', RRType.A);
  assert.deepEqual(formatMessage(fq).answers, ['db.other.svc.cluster.local. A 198.19.0.20', 'db.other.svc.cluster.local.default.svc.cluster.local. CNAME db.other.svc.cluster.local.']);
  assert.ok(!up.seen.some((n) => n.endsWith('cluster.local')), 'cluster names are never forwarded');
  // Nothing anywhere: plain NXDOMAIN, the client continues its own search.
  const nx = await query(s.udpPort, 'nothing.default.svc.cluster.local', RRType.A);
  assert.equal(formatMessage(nx).rcode, 'NXDOMAIN');
});
