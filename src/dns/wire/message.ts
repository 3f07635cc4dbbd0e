/** The decoded shape of a DNS message (slow path: forwarding, tests, odd queries). */

export interface Question {
  /** Presentation form without the trailing dot, case as on the wire ("" = root). */
  name: string;
  type: number;
  class: number;
}

export interface SoaData {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

export interface SrvData {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

export interface MxData {
  preference: number;
  exchange: string;
}

/**
 * rdata by type: A/AAAA → address text; NS/CNAME/PTR → name; SOA/SRV/MX → objects;
 * TXT → character-strings (latin1); anything else → the raw bytes (RFC 3597: no compression inside).
 */
export type RData = string | SoaData | SrvData | MxData | string[] | Buffer;

export interface ResourceRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  data: RData;
}

export interface EdnsOption {
  code: number;
  data: Buffer;
}

export interface Edns {
  udpSize: number;
  /** Upper 8 bits of the 12-bit rcode. */
  extendedRcode: number;
  version: number;
  dnssecOk: boolean;
  options: EdnsOption[];
}

export interface Message {
  id: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  ad: boolean;
  cd: boolean;
  /** Full rcode (header 4 bits | EDNS extended bits << 4). */
  rcode: number;
  questions: Question[];
  answers: ResourceRecord[];
  authority: ResourceRecord[];
  /** Without the OPT pseudo-record, which lives in `edns`. */
  additional: ResourceRecord[];
  edns?: Edns;
}

export function emptyMessage(partial: Partial<Message> = {}): Message {
  return {
    id: 0,
    qr: false,
    opcode: 0,
    aa: false,
    tc: false,
    rd: false,
    ra: false,
    ad: false,
    cd: false,
    rcode: 0,
    questions: [],
    answers: [],
    authority: [],
    additional: [],
    ...partial,
  };
}
