import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RRClass, RRType } from './constants.js';
import { decodeMessage, readName, WireError } from './decoder.js';
import { encodeMessage, nameToWireLower } from './encoder.js';
import { dashedIP, reverseName, undashIP, ipv6ToBytes, bytesToIPv6 } from './ip.js';
import { emptyMessage } from './message.js';
import { newQueryScan, scanQuery, SCAN_DROP, SCAN_FORMERR, SCAN_OK, SCAN_SLOW, hashWireName } from './query-scan.js';
import { AnswerTable } from '../answers/answer-table.js';

test('encode → decode round trip with compression for every record type we write', () => {
  const m = emptyMessage({
    id: 7,
    qr: true,
    aa: true,
    rd: true,
    rcode: 3,
    questions: [{ name: 'web.default.svc.cluster.local', type: RRType.A, class: RRClass.IN }],
    answers: [
      { name: 'web.default.svc.cluster.local', type: RRType.A, class: 1, ttl: 5, data: '10.0.0.1' },
      { name: 'web.default.svc.cluster.local', type: RRType.AAAA, class: 1, ttl: 5, data: 'fd00::1' },
      { name: 'x.cluster.local', type: RRType.CNAME, class: 1, ttl: 5, data: 'web.default.svc.cluster.local' },
      { name: '_h._tcp.web.default.svc.cluster.local', type: RRType.SRV, class: 1, ttl: 5, data: { priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' } },
      { name: 'cluster.local', type: RRType.TXT, class: 1, ttl: 5, data: ['1.1.0', 'a b'] },
      { name: 'cluster.local', type: RRType.MX, class: 1, ttl: 5, data: { preference: 10, exchange: 'mail.cluster.local' } },
    ],
    authority: [{ name: 'cluster.local', type: RRType.SOA, class: 1, ttl: 5, data: { mname: 'ns.dns.cluster.local', rname: 'hostmaster.cluster.local', serial: 1, refresh: 2, retry: 3, expire: 4, minimum: 5 } }],
    edns: { udpSize: 1232, extendedRcode: 0, version: 0, dnssecOk: true, options: [{ code: 10, data: Buffer.from('cookie12') }] },
  });
  const wire = encodeMessage(m);
  const back = decodeMessage(wire);
  assert.deepEqual(back, m);
  // Compression actually happened: far smaller than the uncompressed sum.
  assert.ok(wire.length < 330, `length ${wire.length}`);
});

test('decoder rejects pointer loops, forward pointers, long names, truncation, trailing bytes', () => {
  const loop = Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
  assert.throws(() => decodeMessage(loop), WireError);
  const self = Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0x61, 0xc0, 12, 0, 1, 0, 1]);
  assert.throws(() => decodeMessage(self), WireError);
  const forward = Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 14, 1, 0x61, 0, 0, 1, 0, 1]);
  assert.throws(() => decodeMessage(forward), WireError);
  const long = Buffer.concat([Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]), ...Array.from({ length: 5 }, () => Buffer.concat([Buffer.from([63]), Buffer.alloc(63, 0x61)])), Buffer.from([0, 0, 1, 0, 1])]);
  assert.throws(() => decodeMessage(long), /255/);
  assert.throws(() => decodeMessage(Buffer.from([0, 1, 0, 0, 0, 1])), WireError);
  const ok = encodeMessage(emptyMessage({ questions: [{ name: 'a.b', type: 1, class: 1 }] }));
  assert.throws(() => decodeMessage(Buffer.concat([ok, Buffer.from([0])])), /trailing/);
  assert.throws(() => decodeMessage(ok.subarray(0, ok.length - 1)), WireError);
  // Absurd counts are rejected before any loop.
  const counts = Buffer.from(ok);
  counts.writeUInt16BE(0xffff, 6);
  assert.throws(() => decodeMessage(counts), /counts/);
  // A legal backward pointer decodes.
  const legal = Buffer.from([0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 1, 0x61, 0, 0, 1, 0, 1, 1, 0x62, 0xc0, 12, 0, 1, 0, 1]);
  assert.equal(decodeMessage(legal).questions[1]!.name, 'b.a');
  assert.equal(readName(legal, 19).name, 'b.a');
});

test('scanQuery: fast path fields, EDNS, and the cases it declines', () => {
  const s = newQueryScan();
  const q = encodeMessage(emptyMessage({ id: 9, rd: true, questions: [{ name: 'WeB.Default.svc.cluster.local', type: RRType.AAAA, class: 1 }], edns: { udpSize: 4096, extendedRcode: 0, version: 0, dnssecOk: true, options: [] } }));
  assert.equal(scanQuery(q, s), SCAN_OK);
  assert.equal(s.qtype, RRType.AAAA);
  assert.equal(s.edns, true);
  assert.equal(s.udpSize, 4096);
  assert.equal(s.dnssecOk, true);
  const key = nameToWireLower('web.default.svc.cluster.local');
  assert.equal(s.hash, hashWireName(key, 0, key.length));
  assert.equal(s.qnameEnd - 12, key.length);
  assert.equal(scanQuery(Buffer.alloc(5), s), SCAN_DROP);
  const response = Buffer.from(q);
  response[2] |= 0x80;
  assert.equal(scanQuery(response, s), SCAN_DROP);
  const twoQ = Buffer.from(q);
  twoQ[5] = 2;
  assert.equal(scanQuery(twoQ, s), SCAN_FORMERR);
  const compressed = Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
  assert.equal(scanQuery(compressed, s), SCAN_SLOW);
  assert.equal(scanQuery(q.subarray(0, 20), s), SCAN_FORMERR);
});

test('AnswerTable: case-insensitive lookup from packet bytes, delete, growth', () => {
  const t = new AnswerTable<number>();
  for (let i = 0; i < 5000; i++) t.set(nameToWireLower(`s${i}.ns.svc.cluster.local`), i);
  for (let i = 0; i < 5000; i += 2) t.delete(nameToWireLower(`s${i}.ns.svc.cluster.local`));
  assert.equal(t.size, 2500);
  const upper = Buffer.from(nameToWireLower('s4999.ns.svc.cluster.local').toString('latin1').toUpperCase(), 'latin1');
  assert.equal(t.lookup(upper, 0, upper.length, hashWireName(upper, 0, upper.length)), 4999);
  assert.equal(t.get(nameToWireLower('s4998.ns.svc.cluster.local')), undefined);
  t.set(nameToWireLower('s4998.ns.svc.cluster.local'), 1);
  assert.equal(t.get(nameToWireLower('s4998.ns.svc.cluster.local')), 1);
});

test('IP helpers: reverse names, dashed forms, IPv6 canonical text', () => {
  assert.equal(reverseName('10.3.0.100'), '100.0.3.10.in-addr.arpa');
  assert.equal(reverseName('fd00::1'), '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa');
  assert.equal(dashedIP('10.3.0.100'), '10-3-0-100');
  assert.equal(dashedIP('fd00::'), 'fd00--0');
  assert.equal(dashedIP('::1'), '0--1');
  assert.equal(undashIP('10-3-0-100'), '10.3.0.100');
  assert.equal(undashIP('fd00--1'), 'fd00::1');
  assert.equal(undashIP('web'), undefined);
  assert.equal(bytesToIPv6(ipv6ToBytes('::ffff:1.2.3.4')!), '::ffff:102:304');
  assert.equal(bytesToIPv6(ipv6ToBytes('2001:db8:0:0:1:0:0:1')!), '2001:db8::1:0:0:1');
});
