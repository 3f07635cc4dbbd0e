/**
 * The hot-path query reader. Why hand-written and not a library (dns-packet & co): a library
 * decodes the whole message into objects (strings per label, arrays per section) for every
 * packet; measured here that caps a Node responder at about half of knot's rate. A query for
 * a cluster name only needs: the header, where the question ends, a hash of the lowercased
 * name, the qtype, and the client's EDNS payload size / DO bit. This reader gets those with a
 * single pass over the bytes and writes them into a caller-owned, reused `QueryScan` object,
 * so the common case allocates nothing. Anything unusual (compression pointer in the question,
 * extra records, trailing bytes) is declined with SCAN_SLOW and handled by the full decoder.
 */
import { RRType } from './constants.js';

export const SCAN_OK = 0;
/** Not worth an answer (no readable header, or a response rather than a query). */
export const SCAN_DROP = 1;
export const SCAN_FORMERR = 2;
/** Legal but unusual: decode with decodeMessage() and retry on a normalised copy. */
export const SCAN_SLOW = 3;
export const SCAN_NOTIMP = 4;

export interface QueryScan {
  /** Offset just after the qname's terminating zero byte. */
  qnameEnd: number;
  /** qnameEnd + 4 (qtype, qclass). */
  questionEnd: number;
  qtype: number;
  qclass: number;
  /** FNV-1a over the lowercased wire-form qname (labels' length bytes included). */
  hash: number;
  /** Number of labels in the qname (0 = root). */
  labelCount: number;
  edns: boolean;
  udpSize: number;
  dnssecOk: boolean;
  ednsVersion: number;
}

export function newQueryScan(): QueryScan {
  return { qnameEnd: 0, questionEnd: 0, qtype: 0, qclass: 0, hash: 0, labelCount: 0, edns: false, udpSize: 0, dnssecOk: false, ednsVersion: 0 };
}

export const FNV_OFFSET = 0x811c9dc5 | 0;
export const FNV_PRIME = 16777619;

/** The same hash scanQuery computes, over an already-lowercased key. */
export function hashWireName(buf: Buffer, start: number, end: number): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) {
    let c = buf[i]!;
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    h = Math.imul(h ^ c, FNV_PRIME);
  }
  return h;
}

export function scanQuery(buf: Buffer, s: QueryScan): number {
  const len = buf.length;
  if (len < 12) return SCAN_DROP;
  const f1 = buf[2]!;
  if (f1 & 0x80) return SCAN_DROP;
  if ((f1 & 0x78) !== 0) return SCAN_NOTIMP;
  if (buf[4] !== 0 || buf[5] !== 1) return SCAN_FORMERR;
  if (buf[6] !== 0 || buf[7] !== 0 || buf[8] !== 0 || buf[9] !== 0 || buf[10] !== 0) return SCAN_SLOW;
  const arcount = buf[11]!;
  if (arcount > 1) return SCAN_SLOW;
  let p = 12;
  let h = FNV_OFFSET;
  let labels = 0;
  for (;;) {
    if (p >= len) return SCAN_FORMERR;
    const l = buf[p]!;
    h = Math.imul(h ^ l, FNV_PRIME);
    if (l === 0) break;
    if (l & 0xc0) return SCAN_SLOW;
    const end = p + 1 + l;
    if (end > len || end - 12 > 254) return SCAN_FORMERR;
    for (let i = p + 1; i < end; i++) {
      let c = buf[i]!;
      if (c >= 0x41 && c <= 0x5a) c |= 0x20;
      h = Math.imul(h ^ c, FNV_PRIME);
    }
    labels++;
    p = end;
  }
  const qnameEnd = p + 1;
  if (qnameEnd + 4 > len) return SCAN_FORMERR;
  s.qnameEnd = qnameEnd;
  s.questionEnd = qnameEnd + 4;
  s.qtype = (buf[qnameEnd]! << 8) | buf[qnameEnd + 1]!;
  s.qclass = (buf[qnameEnd + 2]! << 8) | buf[qnameEnd + 3]!;
  s.hash = h;
  s.labelCount = labels;
  if (arcount === 0) {
    s.edns = false;
    s.udpSize = 512;
    s.dnssecOk = false;
    s.ednsVersion = 0;
    return s.questionEnd === len ? SCAN_OK : SCAN_SLOW;
  }
  // Exactly one additional record: accept it here only if it is a well-formed OPT at the root.
  const o = s.questionEnd;
  if (o + 11 > len || buf[o] !== 0 || buf[o + 1] !== 0 || buf[o + 2] !== RRType.OPT) return SCAN_SLOW;
  const rdlen = (buf[o + 9]! << 8) | buf[o + 10]!;
  if (o + 11 + rdlen !== len) return SCAN_SLOW;
  // Options must tile the rdata exactly.
  let q = o + 11;
  while (q < len) {
    if (q + 4 > len) return SCAN_SLOW;
    q += 4 + ((buf[q + 2]! << 8) | buf[q + 3]!);
  }
  if (q !== len) return SCAN_SLOW;
  s.edns = true;
  s.udpSize = (buf[o + 3]! << 8) | buf[o + 4]!;
  s.ednsVersion = buf[o + 6]!;
  s.dnssecOk = (buf[o + 7]! & 0x80) !== 0;
  return SCAN_OK;
}
