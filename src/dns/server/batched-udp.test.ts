/**
 * The batched UDP path itself (addon: recvmmsg → one JS call → sendmmsg): many queries in
 * flight from several client sockets, each answer back at the socket that asked with the
 * right ID and data; bad packets interleaved get FORMERR (or are dropped when oversized) and
 * the server keeps serving; late (forwarded) answers go to the right client with the right
 * name even though the input slots were reused meanwhile; IPv6 sources.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import type { EndpointSlice, Service } from '../../api/types.js';
import { startDnsServer, type RunningDnsServer } from '../dns-server.js';
import { FakeInformer } from '../testing/fake-informer.js';
import { FakeUpstream } from '../testing/fake-upstream.js';
import { clusterIPService } from '../testing/builders.js';
import { buildQuery, query } from '../testing/dns-client.js';
import { Rcode, RRType } from '../wire/constants.js';
import { decodeMessage } from '../wire/decoder.js';
import { ipv6ToBytes } from '../wire/ip.js';
import { ipv6Text } from './batched-udp-server.js';
import { loadUdpBatchAddon } from './udp-batch-addon.js';

const SKIP = loadUdpBatchAddon() ? false : 'batched UDP addon not built (npm run build needs a C compiler)';
const SERVICES = 50;

function informers(): { services: FakeInformer<Service>; endpointSlices: FakeInformer<EndpointSlice> } {
  const services = new FakeInformer<Service>({ synced: true });
  for (let i = 0; i < SERVICES; i++) services.apply(clusterIPService('default', `svc${i}`, [`198.19.1.${i + 1}`]));
  return { services, endpointSlices: new FakeInformer<EndpointSlice>({ synced: true }) };
}

/** What one packet asks and what its answer must be. */
interface Expectation {
  kind: 'answer' | 'formerr' | 'nxdomain-forwarded' | 'forwarded';
  name?: string;
  ip?: string;
}

interface ClientRun {
  received: number;
  wrong: string[];
}

/**
 * One client socket: sends `packets` keeping at most `window` in flight, checks every answer
 * against what that very socket asked (IDs are unique per socket), resolves when all came
 * back or rejects at the deadline with what is missing.
 */
function runClient(o: { port: number; host: string; packets: { id: number; bytes: Buffer; expect: Expectation }[]; window: number; deadlineMs: number }): Promise<ClientRun> {
  return new Promise((resolve, reject) => {
    const sock: Socket = createSocket(o.host.includes(':') ? 'udp6' : 'udp4');
    const pending = new Map<number, Expectation>();
    const run: ClientRun = { received: 0, wrong: [] };
    let next = 0;
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error(`deadline: ${pending.size} answers missing (ids ${[...pending.keys()].slice(0, 8).join(',')}), ${next}/${o.packets.length} sent`));
    }, o.deadlineMs);
    const fill = (): void => {
      while (pending.size < o.window && next < o.packets.length) {
        const p = o.packets[next++]!;
        pending.set(p.id, p.expect);
        sock.send(p.bytes, o.port, o.host);
      }
      if (pending.size === 0 && next === o.packets.length) {
        clearTimeout(timer);
        sock.close();
        resolve(run);
      }
    };
    sock.on('message', (msg) => {
      const id = msg.readUInt16BE(0);
      const want = pending.get(id);
      if (!want) {
        run.wrong.push(`unexpected id ${id}`);
        return;
      }
      pending.delete(id);
      run.received++;
      const m = decodeMessage(msg);
      if (want.kind === 'formerr') {
        if (m.rcode !== Rcode.FORMERR) run.wrong.push(`id ${id}: rcode ${m.rcode}, wanted FORMERR`);
      } else if (want.kind === 'nxdomain-forwarded') {
        if (m.rcode !== Rcode.NXDOMAIN || m.questions[0]?.name !== want.name) run.wrong.push(`id ${id}: ${m.rcode} ${m.questions[0]?.name}, wanted NXDOMAIN for ${want.name}`);
      } else {
        const a = m.answers[0];
        if (m.questions[0]?.name !== want.name || !a || a.name !== want.name || a.data !== want.ip) {
          run.wrong.push(`id ${id}: ${m.questions[0]?.name} → ${a?.name} ${String(a?.data)}, wanted ${want.name} → ${want.ip}`);
        }
      }
      fill();
    });
    sock.bind(0, o.host, () => {
      sock.setRecvBufferSize(1 << 20);
      fill();
    });
  });
}

/** Valid queries for cluster names with, every 7th packet, a malformed one (FORMERR expected). */
function clusterPackets(client: number, count: number): { id: number; bytes: Buffer; expect: Expectation }[] {
  const out = [];
  for (let k = 0; k < count; k++) {
    const id = (client * count + k) & 0xffff;
    if (k % 7 === 3) {
      // Header claims one question, the name runs off the end of the packet.
      const bad = Buffer.from([id >> 8, id & 0xff, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 40, 0x61, 0x62]);
      out.push({ id, bytes: bad, expect: { kind: 'formerr' as const } });
      continue;
    }
    const i = (client * 13 + k) % SERVICES;
    // Mixed case: the answer must echo this socket's own spelling, not a neighbour's.
    const name = k % 2 ? `SVC${i}.default.svc.cluster.local` : `svc${i}.Default.svc.cluster.local`;
    out.push({ id, bytes: buildQuery(name, RRType.A, { id }), expect: { kind: 'answer' as const, name, ip: `198.19.1.${i + 1}` } });
  }
  return out;
}

async function batchedServer(t: { after(fn: () => Promise<void>): void }, extra: Partial<Parameters<typeof startDnsServer>[0]> = {}): Promise<RunningDnsServer> {
  const s = await startDnsServer({ informers: informers(), port: 0, udpTransport: 'batched', ...extra });
  t.after(() => s.close());
  assert.equal(s.udpTransport, 'batched');
  return s;
}

test('batched UDP: 8 sockets × 600 packets, 32 in flight each: every answer at its own socket with its ID, case and IP; FORMERR for bad ones', { skip: SKIP }, async (t) => {
  const s = await batchedServer(t);
  const runs = await Promise.all(
    Array.from({ length: 8 }, (_, c) => runClient({ port: s.udpPort, host: '127.0.0.1', packets: clusterPackets(c, 600), window: 32, deadlineMs: 20_000 })),
  );
  for (const r of runs) {
    assert.deepEqual(r.wrong, []);
    assert.equal(r.received, 600);
  }
  // Several datagrams per recvmmsg: the path under test really batched.
  const [batches, datagrams, sendDrops] = s.udpBatchStats()!;
  assert.equal(datagrams, 8 * 600);
  assert.ok(batches < datagrams / 2, `${batches} batches for ${datagrams} datagrams`);
  assert.equal(sendDrops, 0);
  assert.equal(s.handler.internalErrors, 0);
  const text = await s.metrics.text();
  assert.match(text, new RegExp(`skiff_dns_udp_batches_total ${batches}\\b`));
  assert.match(text, /skiff_dns_udp_batched_datagrams_total 4800\b/);
});

test('batched UDP: an oversized datagram is dropped unread, a short one gets no answer, and the next query is served', { skip: SKIP }, async (t) => {
  const s = await batchedServer(t);
  const sock = createSocket('udp4');
  t.after(() => sock.close());
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const oversized = Buffer.concat([buildQuery('svc1.default.svc.cluster.local', RRType.A, { id: 1 }), Buffer.alloc(5000)]);
  sock.send(oversized, s.udpPort, '127.0.0.1');
  sock.send(Buffer.from([0, 2, 1]), s.udpPort, '127.0.0.1');
  const m = await query(s.udpPort, 'svc2.default.svc.cluster.local', RRType.A, { id: 3 });
  assert.equal(m.answers[0]?.data, '198.19.1.3');
  const dropped = /skiff_dns_dropped_total (\d+)/.exec(await s.metrics.text())?.[1];
  assert.equal(dropped, '2');
});

test('batched UDP: forwarded answers (upstream delayed 20 ms, 4 × 100 in flight) reach the right socket with the asked name', { skip: SKIP }, async (t) => {
  const up = new FakeUpstream();
  await up.start();
  t.after(() => up.close());
  up.delayMs = 20;
  const s = await batchedServer(t, { upstreams: [{ address: '127.0.0.1', port: up.port }], loopProbeIntervalMs: 0 });
  const runs = await Promise.all(
    Array.from({ length: 4 }, (_, c) => {
      const packets = Array.from({ length: 200 }, (_, k) => {
        const id = c * 200 + k;
        // Distinct names, so neither the cache nor in-flight dedup answers for the upstream.
        const name = `Name${id}.Client${c}.example`;
        return { id, bytes: buildQuery(name, RRType.A, { id }), expect: { kind: 'nxdomain-forwarded' as const, name } };
      });
      return runClient({ port: s.udpPort, host: '127.0.0.1', packets, window: 100, deadlineMs: 20_000 });
    }),
  );
  for (const r of runs) {
    assert.deepEqual(r.wrong, []);
    assert.equal(r.received, 200);
  }
});

test('batched UDP over IPv6 (::1): answers go back to IPv6 sources', { skip: SKIP }, async (t) => {
  const s = await batchedServer(t, { host: '::1' });
  const [r] = await Promise.all([runClient({ port: s.udpPort, host: '::1', packets: clusterPackets(1, 200), window: 16, deadlineMs: 10_000 })]);
  assert.deepEqual(r!.wrong, []);
  assert.equal(r!.received, 200);
});

test('source addresses read from the metadata print as Node prints rinfo.address (inet_ntop)', () => {
  // Autopath and loop checks compare these strings with pod IPs and local addresses.
  const cases = ['::1', '::ffff:198.18.0.1', '2001:db8::1', 'fe80::1:2:3:4', '2001:db8::1:0:0:1', '2001:db8:1:2:3:4:5:6', '::'];
  for (const text of cases) {
    const bytes = Buffer.alloc(48);
    ipv6ToBytes(text)!.copy(bytes, 32);
    assert.equal(ipv6Text(bytes, 32), text);
  }
});
