/** DNS wire constants (RFC 1035, 2782, 3596, 6891). Plain numbers: they index arrays on the hot path. */

export const RRType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  HINFO: 13,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
} as const;

export const RRClass = { IN: 1, CH: 3, ANY: 255 } as const;

export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  /** Extended (EDNS) rcode 16: upper 8 bits travel in the OPT record. */
  BADVERS: 16,
} as const;

export const Opcode = { QUERY: 0 } as const;

/** Byte 2 of the header. */
export const FLAG_QR = 0x80;
export const FLAG_AA = 0x04;
export const FLAG_TC = 0x02;
export const FLAG_RD = 0x01;
/** Byte 3 of the header. */
export const FLAG_RA = 0x80;
export const FLAG_AD = 0x20;
export const FLAG_CD = 0x10;

export const HEADER_SIZE = 12;
/** Classic DNS UDP limit when the client sent no EDNS OPT. */
export const CLASSIC_UDP_SIZE = 512;
/** What we advertise in our OPT records (DNS flag day 2020 value: avoids IP fragmentation). */
export const OUR_EDNS_UDP_SIZE = 1232;
export const MAX_NAME_WIRE_LENGTH = 255;
export const MAX_LABEL_LENGTH = 63;

const typeNames: Record<number, string> = {};
for (const [k, v] of Object.entries(RRType)) typeNames[v] = k;
export function typeName(type: number): string {
  return typeNames[type] ?? `TYPE${type}`;
}
const rcodeNames: Record<number, string> = {};
for (const [k, v] of Object.entries(Rcode)) rcodeNames[v] = k;
export function rcodeName(rcode: number): string {
  return rcodeNames[rcode] ?? `RCODE${rcode}`;
}
