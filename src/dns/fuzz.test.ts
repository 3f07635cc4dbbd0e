/**
 * Bad input never crashes or stalls the server: 1,000,000 random and mutated packets through
 * the packet handler in-process (seconds, not minutes), 1,000,000 more through the batched
 * UDP transport's batch loop (its slots, metadata and output slab, with a stand-in for the
 * addon: answers must equal the handler's own), then 20,000 over real UDP on each transport;
 * every answer is a well-formed message, the safety net never fires, and the next valid query
 * is answered correctly.
 */
import { test } from 'node:test';
import { testEachUdpTransport } from './testing/udp-transports.js';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import type { EndpointSlice, Service } from '../api/types.js';
import { startDnsServer } from './dns-server.js';
import { BatchedUdpServer } from './server/batched-udp-server.js';
import { META_ADDRESS_BYTE, META_FAMILY, META_LENGTH, META_OUT_LENGTH, META_OUT_OFFSET, META_PORT, META_STRIDE, type UdpBatchAddon } from './server/udp-batch-addon.js';
import { MAX_UDP_QUERY_BYTES } from './server/udp-server.js';
import { FakeInformer } from './testing/fake-informer.js';
import { clusterIPService, endpointSlice, headlessService } from './testing/builders.js';
import { buildQuery, query } from './testing/dns-client.js';
import { RRType } from './wire/constants.js';
import { decodeMessage } from './wire/decoder.js';

/** Small deterministic PRNG (xorshift32) so a failure can be replayed from the seed. */
function rng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

const SEEDS = [
  buildQuery('web.default.svc.cluster.local', RRType.A),
  buildQuery('WEB.default.svc.cluster.local', RRType.AAAA, { edns: 1232 }),
  buildQuery('_http._tcp.web.default.svc.cluster.local', RRType.SRV, { edns: 4096, dnssecOk: true }),
  buildQuery('db.default.svc.cluster.local', RRType.A, { edns: 512 }),
  buildQuery('10.0.19.198.in-addr.arpa', RRType.PTR),
  buildQuery('198-18-0-1.default.pod.cluster.local', RRType.A),
  buildQuery('nope.default.svc.cluster.local', RRType.ANY),
  // compressed question + extra sections: the slow path
  Buffer.from([0, 1, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 3, 0x77, 0x65, 0x62, 0, 0, 1, 0, 1, 0xc0, 12, 0, 1, 0, 1]),
];

function mutate(r: () => number): Buffer {
  const kind = Math.floor(r() * 8);
  const int = (n: number): number => Math.floor(r() * n);
  if (kind === 0) {
    const b = Buffer.allocUnsafe(int(600));
    for (let i = 0; i < b.length; i++) b[i] = int(256);
    return b;
  }
  const seed = SEEDS[int(SEEDS.length)]!;
  const b = Buffer.from(seed);
  switch (kind) {
    case 1: // bit flips
      for (let i = 0, n = 1 + int(4); i < n; i++) b[int(b.length)] ^= 1 << int(8);
      return b;
    case 2: // truncation
      return b.subarray(0, int(b.length));
    case 3: // random bytes appended
      return Buffer.concat([b, Buffer.from(Array.from({ length: 1 + int(40) }, () => int(256)))]);
    case 4: // section counts
      b.writeUInt16BE(int(65536), 4 + 2 * int(4));
      return b;
    case 5: {
      // a compression pointer somewhere, often pointing at itself or forwards
      const at = 12 + int(Math.max(1, b.length - 13));
      b[at] = 0xc0 | int(64);
      b[at + 1] = int(2) ? at : int(256);
      return b;
    }
    case 6: // label length bytes set wild
      b[12] = int(256);
      return b;
    default: {
      // oversized: long chains of labels
      const labels = Buffer.alloc(int(1200), 1);
      for (let i = 1; i < labels.length; i += 2) labels[i] = 0x61;
      return Buffer.concat([b.subarray(0, 12), labels, Buffer.from([0, 0, 1, 0, 1])]);
    }
  }
}

function fixture(): { services: FakeInformer<Service>; endpointSlices: FakeInformer<EndpointSlice> } {
  const services = new FakeInformer<Service>({ synced: true });
  const endpointSlices = new FakeInformer<EndpointSlice>({ synced: true });
  services.apply(clusterIPService('default', 'web', ['198.19.0.10'], [{ name: 'http', port: 80 }]));
  services.apply(headlessService('default', 'db'));
  endpointSlices.apply(endpointSlice('default', 'db', Array.from({ length: 60 }, (_, i) => ({ ip: `198.18.0.${i + 1}` }))));
  return { services, endpointSlices };
}

test('fuzz: 1,000,000 random and mutated packets through the handler', async (t) => {
  const s = await startDnsServer({ informers: fixture(), port: 0, podsMode: 'insecure' });
  t.after(() => s.close());
  const r = rng(0x5eed);
  const ctx = { transport: 'udp' as const, address: '127.0.0.1', port: 5353 };
  let answered = 0;
  let formerr = 0;
  const t0 = Date.now();
  const N = 1_000_000;
  for (let i = 0; i < N; i++) {
    const pkt = mutate(r);
    const out = s.handler.handle(pkt, ctx);
    assert.ok(!(out instanceof Promise), 'no upstream configured: never async');
    if (out === null) continue;
    answered++;
    if ((out[3]! & 0xf) === 1) formerr++;
    // Answers echo the packet's ID and are responses.
    assert.equal(out[0], pkt[0]);
    assert.ok(out[2]! & 0x80);
    if ((i & 15) === 0) decodeMessage(out);
  }
  assert.equal(s.handler.internalErrors, 0);
  const ms = Date.now() - t0;
  t.diagnostic(`${N} packets in ${ms} ms: ${answered} answered, ${formerr} FORMERR`);
  assert.ok(formerr > 10_000, 'malformed packets got FORMERR');
  const m = await query(s.udpPort, 'web.default.svc.cluster.local', RRType.A);
  assert.equal(m.answers[0]!.data, '198.19.0.10');
});

test('fuzz: 1,000,000 packets through the batched transport\'s batch loop (slots, metadata, output slab; no sockets)', async (t) => {
  const s = await startDnsServer({ informers: fixture(), port: 0, podsMode: 'insecure', udpTransport: 'dgram' });
  t.after(() => s.close());
  // A stand-in for the addon: keeps the slabs and the batch callback, as udp-batch.c does.
  let input: Buffer = Buffer.alloc(0);
  let meta: Int32Array = new Int32Array(0);
  let output: Buffer = Buffer.alloc(0);
  let slots = 0;
  let onBatch: (n: number) => void = () => undefined;
  const fakeAddon = {
    open: () => ({}),
    localPort: () => 1,
    start: (_h: unknown, i: Buffer, m: Int32Array, o: Buffer, batch: number, cb: (n: number) => void) => {
      [input, meta, output, slots, onBatch] = [i, m, o, batch, cb];
    },
    sendTo: () => true,
    stats: () => [0, 0, 0],
    close: () => undefined,
  };
  const batched = new BatchedUdpServer({ host: '127.0.0.1', port: 0, handler: s.handler, metrics: s.metrics }, fakeAddon as unknown as UdpBatchAddon);
  await batched.listen();
  const slotBytes = input.length / slots;
  const ctx = { transport: 'udp' as const, address: '127.0.0.1', port: 5353 };
  const r = rng(0xba7c4);
  const N = 1_000_000;
  const droppedBefore = s.metrics.dropped;
  let answered = 0;
  let compared = 0;
  let oversized = 0;
  for (let sent = 0; sent < N; ) {
    const n = Math.min(slots, N - sent, 1 + Math.floor(r() * slots));
    const packets: Buffer[] = [];
    for (let i = 0; i < n; i++, sent++) {
      const pkt = sent % 1000 === 999 ? Buffer.alloc(MAX_UDP_QUERY_BYTES + 1 + Math.floor(r() * 2000), 7) : mutate(r);
      packets.push(pkt);
      const m = i * META_STRIDE;
      // What the C side writes: the bytes (cut at the slot), the length or -1 when too big.
      pkt.copy(input, i * slotBytes, 0, Math.min(pkt.length, slotBytes));
      meta[m + META_LENGTH] = pkt.length >= slotBytes ? -1 : pkt.length;
      meta[m + META_FAMILY] = 4;
      meta[m + META_PORT] = 5353;
      meta.set([0x0100007f], (m * 4 + META_ADDRESS_BYTE) / 4);
      meta[m + META_OUT_OFFSET] = 0;
      meta[m + META_OUT_LENGTH] = 0;
    }
    onBatch(n);
    for (let i = 0; i < n; i++) {
      const m = i * META_STRIDE;
      const len = meta[m + META_OUT_LENGTH]!;
      const pkt = packets[i]!;
      if (pkt.length > MAX_UDP_QUERY_BYTES) {
        oversized++;
        assert.equal(len, 0, 'an oversized datagram gets no answer');
        continue;
      }
      if (len === 0) continue;
      answered++;
      const out = output.subarray(meta[m + META_OUT_OFFSET]!, meta[m + META_OUT_OFFSET]! + len);
      assert.equal(out[0], pkt[0]);
      assert.ok(out[2]! & 0x80);
      // The batch path answers byte for byte what the handler answers to the same packet alone.
      if ((i & 31) === 0) {
        compared++;
        const alone = s.handler.handle(Buffer.from(pkt), ctx) as Buffer;
        assert.ok(out.equals(alone), `packet ${pkt.toString('hex')}: batch ${out.toString('hex')} vs alone ${alone.toString('hex')}`);
      }
    }
  }
  assert.equal(s.handler.internalErrors, 0);
  assert.equal(s.metrics.dropped - droppedBefore >= oversized, true);
  t.diagnostic(`${N} packets in batches: ${answered} answered, ${compared} compared with the plain handler, ${oversized} oversized dropped`);
  assert.ok(answered > 500_000 && compared > 15_000);
  await batched.close();
});

testEachUdpTransport('fuzz over real UDP: 20,000 packets, then a valid query is answered', {}, async (t, udpTransport) => {
  const s = await startDnsServer({ udpTransport, informers: fixture(), port: 0 });
  assert.equal(s.udpTransport, udpTransport);
  t.after(() => s.close());
  const sock = createSocket('udp4');
  t.after(() => sock.close());
  await new Promise<void>((res) => sock.bind(0, '127.0.0.1', () => res()));
  let replies = 0;
  sock.on('message', () => replies++);
  const r = rng(42);
  for (let i = 0; i < 20_000; i++) {
    sock.send(mutate(r), s.udpPort, '127.0.0.1');
    if ((i & 255) === 0) await new Promise((res) => setImmediate(res));
  }
  const m = await query(s.udpPort, 'web.default.svc.cluster.local', RRType.A, { timeoutMs: 5000 });
  assert.equal(m.answers[0]!.data, '198.19.0.10');
  assert.equal(s.handler.internalErrors, 0);
  t.diagnostic(`${replies} replies to 20000 fuzz datagrams`);
});

test('fuzz over TCP: 2,000 mutated frames and raw garbage on several connections; the server keeps serving', async (t) => {
  const { connect } = await import('node:net');
  const s = await startDnsServer({ informers: fixture(), port: 0 });
  t.after(() => s.close());
  const r = rng(7);
  for (let c = 0; c < 4; c++) {
    await new Promise<void>((resolve) => {
      const sock = connect({ host: '127.0.0.1', port: s.tcpPort }, () => {
        for (let i = 0; i < 500; i++) {
          const pkt = mutate(r);
          const len = Buffer.alloc(2);
          // Sometimes lie about the length.
          len.writeUInt16BE(c === 3 && i % 7 === 0 ? Math.floor(r() * 65536) : pkt.length);
          sock.write(Buffer.concat([len, pkt]));
        }
        sock.end();
      });
      sock.on('data', () => undefined);
      sock.on('error', () => resolve());
      sock.on('close', () => resolve());
    });
  }
  assert.equal(s.handler.internalErrors, 0);
  const m = await query(s.tcpPort, 'web.default.svc.cluster.local', RRType.A, { tcp: true });
  assert.equal(m.answers[0]!.data, '198.19.0.10');
});
