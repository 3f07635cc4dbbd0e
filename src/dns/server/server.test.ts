import { test } from 'node:test';
import { testEachUdpTransport } from '../testing/udp-transports.js';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { EndpointSlice, Service } from '../../api/types.js';
import { startDnsServer } from '../dns-server.js';
import { FakeInformer } from '../testing/fake-informer.js';
import { clusterIPService, endpointSlice, headlessService } from '../testing/builders.js';
import { buildQuery, query, sendRaw } from '../testing/dns-client.js';
import { formatMessage } from '../testing/format.js';
import { RRType } from '../wire/constants.js';
import { decodeMessage } from '../wire/decoder.js';

function informers(synced = true): { services: FakeInformer<Service>; endpointSlices: FakeInformer<EndpointSlice> } {
  return { services: new FakeInformer<Service>({ synced }), endpointSlices: new FakeInformer<EndpointSlice>({ synced }) };
}

testEachUdpTransport('SERVFAIL for cluster names until the informers have synced; /ready follows', {}, async (t, udpTransport) => {
  const inf = informers(false);
  const s = await startDnsServer({ udpTransport, informers: inf, port: 0, metricsListen: { host: '127.0.0.1', port: 0 } });
  assert.equal(s.udpTransport, udpTransport);
  t.after(() => s.close());
  inf.services.apply(clusterIPService('default', 'web', ['198.19.0.10']));
  assert.equal(formatMessage(await query(s.udpPort, 'web.default.svc.cluster.local', RRType.A)).rcode, 'SERVFAIL');
  assert.equal(formatMessage(await query(s.udpPort, 'nope.default.svc.cluster.local', RRType.A)).rcode, 'SERVFAIL');
  assert.equal((await fetch(`http://127.0.0.1:${s.metricsPort}/ready`)).status, 503);
  assert.equal((await fetch(`http://127.0.0.1:${s.metricsPort}/health`)).status, 200);
  inf.services.markSynced();
  inf.endpointSlices.markSynced();
  assert.deepEqual(formatMessage(await query(s.udpPort, 'web.default.svc.cluster.local', RRType.A)).answers, ['web.default.svc.cluster.local. A 198.19.0.10']);
  assert.equal((await fetch(`http://127.0.0.1:${s.metricsPort}/ready`)).status, 200);
  const metrics = await (await fetch(`http://127.0.0.1:${s.metricsPort}/metrics`)).text();
  assert.match(metrics, /skiff_dns_requests_total\{type="A",proto="all"\} 3/);
  assert.match(metrics, /skiff_dns_responses_total\{rcode="SERVFAIL"\} 2/);
  assert.match(metrics, /skiff_dns_precomputed_answers_total 1/);
  assert.match(metrics, /skiff_dns_request_duration_seconds_bucket/);
  assert.match(metrics, /skiff_dns_cache_hits_total 0/);
});

testEachUdpTransport('no stale negatives: a Service is answerable right after its event, and gone right after deletion', {}, async (t, udpTransport) => {
  const inf = informers();
  const s = await startDnsServer({ udpTransport, informers: inf, port: 0 });
  assert.equal(s.udpTransport, udpTransport);
  t.after(() => s.close());
  assert.equal(formatMessage(await query(s.udpPort, 'new.default.svc.cluster.local', RRType.A)).rcode, 'NXDOMAIN');
  const svc = clusterIPService('default', 'new', ['198.19.0.99']);
  inf.services.apply(svc);
  assert.deepEqual(formatMessage(await query(s.udpPort, 'new.default.svc.cluster.local', RRType.A)).answers, ['new.default.svc.cluster.local. A 198.19.0.99']);
  inf.services.apply(clusterIPService('default', 'new', ['198.19.0.98']));
  assert.deepEqual(formatMessage(await query(s.udpPort, 'new.default.svc.cluster.local', RRType.A)).answers, ['new.default.svc.cluster.local. A 198.19.0.98']);
  inf.services.remove(svc);
  assert.equal(formatMessage(await query(s.udpPort, 'new.default.svc.cluster.local', RRType.A)).rcode, 'NXDOMAIN');
  assert.equal(formatMessage(await query(s.udpPort, '98.0.19.198.in-addr.arpa', RRType.PTR)).rcode, 'NXDOMAIN');
});

testEachUdpTransport('case-insensitive match; the answer echoes the query spelling in question and owner names', {}, async (t, udpTransport) => {
  const inf = informers();
  inf.services.apply(clusterIPService('default', 'web', ['198.19.0.10']));
  const s = await startDnsServer({ udpTransport, informers: inf, port: 0 });
  assert.equal(s.udpTransport, udpTransport);
  t.after(() => s.close());
  const m = await query(s.udpPort, 'wEb.DeFault.SVC.cluster.LOCAL', RRType.A);
  assert.equal(m.questions[0]!.name, 'wEb.DeFault.SVC.cluster.LOCAL');
  assert.deepEqual(formatMessage(m).answers, ['wEb.DeFault.SVC.cluster.LOCAL. A 198.19.0.10']);
  assert.equal(m.id, 0x1234);
  assert.equal(m.rd, true);
  const nx = await query(s.udpPort, 'NoPe.default.svc.cluster.local', RRType.A);
  assert.equal(nx.questions[0]!.name, 'NoPe.default.svc.cluster.local');
});

testEachUdpTransport('EDNS: OPT in the answer when asked (payload size, DO echoed), none otherwise; BADVERS for version 1', {}, async (t, udpTransport) => {
  const inf = informers();
  inf.services.apply(clusterIPService('default', 'web', ['198.19.0.10']));
  const s = await startDnsServer({ udpTransport, informers: inf, port: 0 });
  assert.equal(s.udpTransport, udpTransport);
  t.after(() => s.close());
  const withOpt = await query(s.udpPort, 'web.default.svc.cluster.local', RRType.A, { edns: 4096, dnssecOk: true });
  assert.equal(withOpt.edns?.udpSize, 1232);
  assert.equal(withOpt.edns?.dnssecOk, true);
  const without = await query(s.udpPort, 'web.default.svc.cluster.local', RRType.A);
  assert.equal(without.edns, undefined);
  const v1 = buildQuery('web.default.svc.cluster.local', RRType.A, { edns: 1232 });
  v1[v1.length - 5] = 1; // OPT TTL byte 2: version
  const bad = decodeMessage((await sendRaw(s.udpPort, v1))!);
  assert.equal(bad.rcode, 16);
});

testEachUdpTransport('TC: a 200-pod headless Service truncates over UDP (512 and 1232) and comes complete over TCP', {}, async (t, udpTransport) => {
  const inf = informers();
  inf.services.apply(headlessService('default', 'big'));
  inf.endpointSlices.apply(endpointSlice('default', 'big', Array.from({ length: 100 }, (_, i) => ({ ip: `198.18.10.${i + 1}` })), [], 'big-1'));
  inf.endpointSlices.apply(endpointSlice('default', 'big', Array.from({ length: 100 }, (_, i) => ({ ip: `198.18.11.${i + 1}` })), [], 'big-2'));
  const s = await startDnsServer({ udpTransport, informers: inf, port: 0 });
  assert.equal(s.udpTransport, udpTransport);
  t.after(() => s.close());
  for (const edns of [undefined, 1232]) {
    const raw = (await sendRaw(s.udpPort, buildQuery('Big.default.svc.cluster.local', RRType.A, edns ? { edns } : {})))!;
    assert.ok(raw.length <= (edns ?? 512));
    const m = decodeMessage(raw);
    assert.equal(m.tc, true);
    assert.equal(m.questions[0]!.name, 'Big.default.svc.cluster.local');
    assert.equal(m.answers.length, 0);
  }
  const full = await query(s.tcpPort, 'Big.default.svc.cluster.local', RRType.A, { tcp: true });
  assert.equal(full.tc, false);
  assert.equal(full.answers.length, 200);
  assert.equal(full.answers[0]!.name, 'Big.default.svc.cluster.local');
});

testEachUdpTransport('AXFR / IXFR refused; non-IN class refused; opcode other than QUERY gets NOTIMP', {}, async (t, udpTransport) => {
  const s = await startDnsServer({ udpTransport, informers: informers(), port: 0 });
  assert.equal(s.udpTransport, udpTransport);
  t.after(() => s.close());
  assert.equal(formatMessage(await query(s.tcpPort, 'cluster.local', RRType.AXFR, { tcp: true })).rcode, 'REFUSED');
  assert.equal(formatMessage(await query(s.udpPort, 'cluster.local', RRType.IXFR)).rcode, 'REFUSED');
  const ch = buildQuery('version.bind', RRType.TXT);
  ch.writeUInt16BE(3, ch.length - 2);
  assert.equal(decodeMessage((await sendRaw(s.udpPort, ch))!).rcode, 5);
  const notify = buildQuery('cluster.local', RRType.SOA);
  notify[2] = (4 << 3) | 0;
  assert.equal(decodeMessage((await sendRaw(s.udpPort, notify))!).rcode, 4);
});

test('TCP: pipelined queries on one connection, split frames, all answered', async (t) => {
  const inf = informers();
  for (let i = 0; i < 20; i++) inf.services.apply(clusterIPService('default', `s${i}`, [`198.19.1.${i}`]));
  const s = await startDnsServer({ informers: inf, port: 0 });
  t.after(() => s.close());
  const frames = Buffer.concat(
    Array.from({ length: 20 }, (_, i) => {
      const q = buildQuery(`s${i}.default.svc.cluster.local`, RRType.A, { id: i });
      const len = Buffer.alloc(2);
      len.writeUInt16BE(q.length);
      return Buffer.concat([len, q]);
    }),
  );
  const answers = await new Promise<Map<number, string>>((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port: s.tcpPort });
    const got = new Map<number, string>();
    let buf = Buffer.alloc(0);
    sock.on('error', reject);
    sock.on('connect', () => {
      // Byte-at-a-time for the first frame, then the rest in one go.
      for (let i = 0; i < 10; i++) sock.write(frames.subarray(i, i + 1));
      sock.write(frames.subarray(10));
    });
    sock.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const m = decodeMessage(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
        got.set(m.id, m.answers[0]!.data as string);
        if (got.size === 20) {
          sock.destroy();
          resolve(got);
        }
      }
    });
  });
  for (let i = 0; i < 20; i++) assert.equal(answers.get(i), `198.19.1.${i}`);
});

test('TCP: idle connections are closed; connections beyond the bound are refused', async (t) => {
  const s = await startDnsServer({ informers: informers(), port: 0, tcpIdleTimeoutMs: 150, tcpMaxConnections: 2 });
  t.after(() => s.close());
  const open = (): Promise<{ closedAfterMs: Promise<number> }> =>
    new Promise((resolve) => {
      const t0 = Date.now();
      const sock = connect({ host: '127.0.0.1', port: s.tcpPort }, () => resolve({ closedAfterMs: new Promise((r) => sock.on('close', () => r(Date.now() - t0))) }));
      sock.on('error', () => undefined);
    });
  const a = await open();
  const b = await open();
  const c = await open();
  const cClosed = await c.closedAfterMs;
  assert.ok(cClosed < 140, `third connection closed at once (${cClosed} ms)`);
  const aClosed = await a.closedAfterMs;
  assert.ok(aClosed >= 140 && aClosed < 2000, `idle close after ${aClosed} ms`);
  await b.closedAfterMs;
});
