/**
 * Full DNS message decoder (RFC 1035 §4, RFC 6891 OPT). Used off the hot path: forwarded
 * answers, queries the fast scanner (query-scan.ts) declines, tests. Every read is bounds
 * checked; compression pointers must point strictly backwards, which bounds the work per name
 * and makes pointer loops impossible; names are limited to 255 wire bytes. Errors are thrown
 * as WireError and turned into FORMERR / a dropped packet by the caller.
 */
import { MAX_LABEL_LENGTH, MAX_NAME_WIRE_LENGTH, RRType } from './constants.js';
import { bytesToIPv4, bytesToIPv6 } from './ip.js';
import type { Edns, Message, Question, RData, ResourceRecord } from './message.js';

export class WireError extends Error {
  override readonly name = 'WireError';
}

export interface DecodedName {
  name: string;
  /** Offset just after the name at its original position (pointers followed elsewhere). */
  next: number;
}

/** Label bytes → presentation text, escaping dots, backslashes and non-printables (RFC 4343). */
function labelText(buf: Buffer, start: number, len: number): string {
  let s = '';
  for (let i = start; i < start + len; i++) {
    const c = buf[i]!;
    if (c === 0x2e || c === 0x5c) s += `\\${String.fromCharCode(c)}`;
    else if (c <= 0x20 || c >= 0x7f) s += `\\${c.toString().padStart(3, '0')}`;
    else s += String.fromCharCode(c);
  }
  return s;
}

export function readName(buf: Buffer, offset: number): DecodedName {
  const labels: string[] = [];
  let pos = offset;
  let next = -1;
  let wireLength = 1;
  // Every pointer must go strictly backwards from the last pointer target: terminates.
  let lowestJump = offset;
  for (;;) {
    if (pos >= buf.length) throw new WireError('name runs past the end of the message');
    const len = buf[pos]!;
    if (len === 0) {
      if (next < 0) next = pos + 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= buf.length) throw new WireError('truncated compression pointer');
      const target = ((len & 0x3f) << 8) | buf[pos + 1]!;
      if (target >= lowestJump) throw new WireError('compression pointer does not point backwards (loop)');
      if (next < 0) next = pos + 2;
      lowestJump = target;
      pos = target;
      continue;
    }
    if (kind !== 0) throw new WireError('unsupported label type');
    if (len > MAX_LABEL_LENGTH) throw new WireError('label too long');
    if (pos + 1 + len > buf.length) throw new WireError('label runs past the end of the message');
    wireLength += len + 1;
    if (wireLength > MAX_NAME_WIRE_LENGTH) throw new WireError('name longer than 255 bytes');
    labels.push(labelText(buf, pos + 1, len));
    pos += len + 1;
  }
  return { name: labels.join('.'), next };
}

function need(buf: Buffer, off: number, n: number): void {
  if (off + n > buf.length) throw new WireError('record runs past the end of the message');
}

function readRData(buf: Buffer, type: number, off: number, len: number): RData {
  const end = off + len;
  const nameInside = (at: number): DecodedName => {
    const n = readName(buf, at);
    if (n.next > end) throw new WireError('name runs past rdata');
    return n;
  };
  switch (type) {
    case RRType.A:
      if (len !== 4) throw new WireError('A rdata must be 4 bytes');
      return bytesToIPv4(buf, off);
    case RRType.AAAA:
      if (len !== 16) throw new WireError('AAAA rdata must be 16 bytes');
      return bytesToIPv6(buf, off);
    case RRType.NS:
    case RRType.CNAME:
    case RRType.PTR: {
      const n = nameInside(off);
      if (n.next !== end) throw new WireError('trailing bytes in rdata');
      return n.name;
    }
    case RRType.MX: {
      need(buf, off, 2);
      if (len < 3) throw new WireError('MX rdata too short');
      const n = nameInside(off + 2);
      if (n.next !== end) throw new WireError('trailing bytes in rdata');
      return { preference: buf.readUInt16BE(off), exchange: n.name };
    }
    case RRType.SRV: {
      if (len < 7) throw new WireError('SRV rdata too short');
      const n = nameInside(off + 6);
      if (n.next !== end) throw new WireError('trailing bytes in rdata');
      return { priority: buf.readUInt16BE(off), weight: buf.readUInt16BE(off + 2), port: buf.readUInt16BE(off + 4), target: n.name };
    }
    case RRType.SOA: {
      const m = nameInside(off);
      const r = nameInside(m.next);
      if (r.next + 20 !== end) throw new WireError('bad SOA rdata length');
      const p = r.next;
      return {
        mname: m.name,
        rname: r.name,
        serial: buf.readUInt32BE(p),
        refresh: buf.readUInt32BE(p + 4),
        retry: buf.readUInt32BE(p + 8),
        expire: buf.readUInt32BE(p + 12),
        minimum: buf.readUInt32BE(p + 16),
      };
    }
    case RRType.TXT: {
      const strings: string[] = [];
      let p = off;
      while (p < end) {
        const l = buf[p]!;
        if (p + 1 + l > end) throw new WireError('TXT string runs past rdata');
        strings.push(buf.toString('latin1', p + 1, p + 1 + l));
        p += 1 + l;
      }
      return strings;
    }
    default:
      return Buffer.from(buf.subarray(off, end));
  }
}

export interface DecodeOptions {
  /** Allow bytes after the last record (some middleboxes pad). Default false. */
  allowTrailing?: boolean;
}

export function decodeMessage(buf: Buffer, options: DecodeOptions = {}): Message {
  if (buf.length < 12) throw new WireError('message shorter than a header');
  const f1 = buf[2]!;
  const f2 = buf[3]!;
  const counts = [buf.readUInt16BE(4), buf.readUInt16BE(6), buf.readUInt16BE(8), buf.readUInt16BE(10)];
  // Every question needs ≥ 5 bytes and every record ≥ 11: reject absurd counts before looping.
  if (counts[0]! * 5 + (counts[1]! + counts[2]! + counts[3]!) * 11 > buf.length - 12) {
    throw new WireError('section counts exceed the message size');
  }
  let off = 12;
  const questions: Question[] = [];
  for (let i = 0; i < counts[0]!; i++) {
    const n = readName(buf, off);
    need(buf, n.next, 4);
    questions.push({ name: n.name, type: buf.readUInt16BE(n.next), class: buf.readUInt16BE(n.next + 2) });
    off = n.next + 4;
  }
  const sections: ResourceRecord[][] = [[], [], []];
  let edns: Edns | undefined;
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s + 1]!; i++) {
      const n = readName(buf, off);
      need(buf, n.next, 10);
      const type = buf.readUInt16BE(n.next);
      const klass = buf.readUInt16BE(n.next + 2);
      const ttl = buf.readUInt32BE(n.next + 4);
      const rdlen = buf.readUInt16BE(n.next + 8);
      const rdOff = n.next + 10;
      need(buf, rdOff, rdlen);
      if (type === RRType.OPT) {
        if (s !== 2) throw new WireError('OPT outside the additional section');
        if (edns) throw new WireError('more than one OPT record');
        if (n.name !== '') throw new WireError('OPT owner must be the root');
        const opts = [];
        let p = rdOff;
        while (p < rdOff + rdlen) {
          need(buf, p, 4);
          const code = buf.readUInt16BE(p);
          const l = buf.readUInt16BE(p + 2);
          if (p + 4 + l > rdOff + rdlen) throw new WireError('EDNS option runs past rdata');
          opts.push({ code, data: Buffer.from(buf.subarray(p + 4, p + 4 + l)) });
          p += 4 + l;
        }
        edns = { udpSize: klass, extendedRcode: ttl >>> 24, version: (ttl >>> 16) & 0xff, dnssecOk: (ttl & 0x8000) !== 0, options: opts };
      } else {
        sections[s]!.push({ name: n.name, type, class: klass, ttl, data: readRData(buf, type, rdOff, rdlen) });
      }
      off = rdOff + rdlen;
    }
  }
  if (off !== buf.length && !options.allowTrailing) throw new WireError('trailing bytes after the last record');
  return {
    id: buf.readUInt16BE(0),
    qr: (f1 & 0x80) !== 0,
    opcode: (f1 >> 3) & 0xf,
    aa: (f1 & 0x04) !== 0,
    tc: (f1 & 0x02) !== 0,
    rd: (f1 & 0x01) !== 0,
    ra: (f2 & 0x80) !== 0,
    ad: (f2 & 0x20) !== 0,
    cd: (f2 & 0x10) !== 0,
    rcode: (f2 & 0x0f) | ((edns?.extendedRcode ?? 0) << 4),
    questions,
    answers: sections[0]!,
    authority: sections[1]!,
    additional: sections[2]!,
    ...(edns ? { edns } : {}),
  };
}
