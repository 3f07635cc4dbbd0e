/**
 * Building response packets from a query's bytes without decoding it: the query's header ID,
 * RD/CD bits and question bytes (its exact case) are copied into a precomputed or generated
 * answer. One Buffer allocation per response; no objects.
 */
import { FLAG_AA, FLAG_CD, FLAG_QR, FLAG_RA, FLAG_RD, FLAG_TC, OUR_EDNS_UDP_SIZE, Rcode, RRType } from '../wire/constants.js';
import type { QueryScan } from '../wire/query-scan.js';

export const OPT_RR_SIZE = 11;

/** Largest response this transport may carry to this client. */
export function responseLimit(s: QueryScan, tcp: boolean): number {
  if (tcp) return 65535;
  if (!s.edns) return 512;
  return s.udpSize < 512 ? 512 : s.udpSize;
}

function writeOpt(out: Buffer, at: number, dnssecOk: boolean, extendedRcode: number): void {
  out[at] = 0;
  out[at + 1] = 0;
  out[at + 2] = RRType.OPT;
  out[at + 3] = OUR_EDNS_UDP_SIZE >> 8;
  out[at + 4] = OUR_EDNS_UDP_SIZE & 0xff;
  out[at + 5] = extendedRcode;
  out[at + 6] = 0;
  out[at + 7] = dnssecOk ? 0x80 : 0;
  out[at + 8] = 0;
  out[at + 9] = 0;
  out[at + 10] = 0;
}

/** Header + the query's question (+ OPT): for TC, SERVFAIL, REFUSED, NOTIMP, BADVERS. */
export function questionOnlyResponse(query: Buffer, s: QueryScan, rcode: number, options: { tc?: boolean; aa?: boolean } = {}): Buffer {
  const qEnd = s.questionEnd;
  const out = Buffer.allocUnsafe(qEnd + (s.edns ? OPT_RR_SIZE : 0));
  query.copy(out, 0, 0, qEnd);
  out[2] = FLAG_QR | (query[2]! & FLAG_RD) | (options.tc ? FLAG_TC : 0) | (options.aa ? FLAG_AA : 0);
  out[3] = FLAG_RA | (query[3]! & FLAG_CD) | (rcode & 0xf);
  out[4] = 0;
  out[5] = 1;
  out.fill(0, 6, 11);
  out[11] = s.edns ? 1 : 0;
  if (s.edns) writeOpt(out, qEnd, s.dnssecOk, rcode >> 4);
  return out;
}

/** Header only, no question: FORMERR/NOTIMP for packets whose question could not be read. */
export function headerOnlyResponse(query: Buffer, rcode: number): Buffer {
  const out = Buffer.alloc(12);
  out[0] = query[0]!;
  out[1] = query[1]!;
  out[2] = FLAG_QR | (query[2]! & 0x78) | (query[2]! & FLAG_RD);
  out[3] = FLAG_RA | (rcode & 0xf);
  return out;
}

/**
 * `base` is a complete response for the lowercased question (ID 0, QR|AA set, RD clear).
 * Copies it, stamps the query's ID/RD/CD and question bytes (same name modulo case, so every
 * compression pointer into the question now reads the query's spelling), appends an OPT when
 * the query had one, and falls back to a truncated (TC) response when it does not fit.
 */
export function patchPrecomputed(query: Buffer, s: QueryScan, base: Buffer, limit: number): Buffer {
  const total = base.length + (s.edns ? OPT_RR_SIZE : 0);
  if (total > limit) return questionOnlyResponse(query, s, base[3]! & 0xf, { tc: true, aa: (base[2]! & FLAG_AA) !== 0 });
  const out = Buffer.allocUnsafe(total);
  // TypedArray#set and a byte loop: Buffer#copy's JS wrapper costs more than the copy itself
  // at these sizes (profiled: 22% of the handler).
  out.set(base, 0);
  out[0] = query[0]!;
  out[1] = query[1]!;
  out[2] = base[2]! | (query[2]! & FLAG_RD);
  out[3] = base[3]! | (query[3]! & FLAG_CD);
  // Whole question: the name's case, and the qtype for shared NODATA / CNAME packets.
  for (let i = 12, end = s.questionEnd; i < end; i++) out[i] = query[i]!;
  if (s.edns) {
    writeOpt(out, base.length, s.dnssecOk, 0);
    out[11] = out[11]! + 1;
  }
  return out;
}

/**
 * NXDOMAIN / NODATA for a name under our zone: header + question + the zone SOA
 * (`soaRecord`: a self-contained, uncompressed RR) in authority.
 */
export function negativeResponse(query: Buffer, s: QueryScan, rcode: number, soaRecord: Buffer): Buffer {
  const qEnd = s.questionEnd;
  const out = Buffer.allocUnsafe(qEnd + soaRecord.length + (s.edns ? OPT_RR_SIZE : 0));
  query.copy(out, 0, 0, qEnd);
  out[2] = FLAG_QR | FLAG_AA | (query[2]! & FLAG_RD);
  out[3] = FLAG_RA | (query[3]! & FLAG_CD) | rcode;
  out[4] = 0;
  out[5] = 1;
  out[6] = 0;
  out[7] = 0;
  out[8] = 0;
  out[9] = 1;
  out[10] = 0;
  out[11] = s.edns ? 1 : 0;
  soaRecord.copy(out, qEnd);
  if (s.edns) writeOpt(out, qEnd + soaRecord.length, s.dnssecOk, 0);
  return out;
}

export const NEGATIVE = { NXDOMAIN: Rcode.NXDOMAIN, NODATA: Rcode.NOERROR } as const;
