/**
 * DNS message encoder with name compression (RFC 1035 §4.1.4). Runs when answers are
 * precomputed (once per watch event) and for forwarded / dynamic answers, never per query
 * for cluster names (see answer-table.ts).
 */
import { FLAG_AA, FLAG_AD, FLAG_CD, FLAG_QR, FLAG_RA, FLAG_RD, FLAG_TC, MAX_LABEL_LENGTH, MAX_NAME_WIRE_LENGTH, RRType } from './constants.js';
import { ipv4ToBytes, ipv6ToBytes } from './ip.js';
import type { Edns, Message, MxData, Question, ResourceRecord, SoaData, SrvData } from './message.js';

/** Presentation name → label byte strings; understands `\.` and `\DDD` escapes. */
export function nameToLabels(name: string): Buffer[] {
  if (name === '' || name === '.') return [];
  const text = name.endsWith('.') && !name.endsWith('\\.') ? name.slice(0, -1) : name;
  const labels: Buffer[] = [];
  let cur: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c /* \ */) {
      const d = text.slice(i + 1, i + 4);
      if (/^[0-9]{3}$/.test(d)) {
        cur.push(Number(d) & 0xff);
        i += 3;
      } else if (i + 1 < text.length) {
        cur.push(text.charCodeAt(i + 1) & 0xff);
        i += 1;
      }
      continue;
    }
    if (c === 0x2e /* . */) {
      labels.push(Buffer.from(cur));
      cur = [];
      continue;
    }
    cur.push(c & 0xff);
  }
  labels.push(Buffer.from(cur));
  let total = 1;
  for (const l of labels) {
    if (l.length === 0 || l.length > MAX_LABEL_LENGTH) throw new RangeError(`bad label in name "${name}"`);
    total += l.length + 1;
  }
  if (total > MAX_NAME_WIRE_LENGTH) throw new RangeError(`name too long: "${name}"`);
  return labels;
}

/** Uncompressed wire form, lowercased (the answer table's key format). */
export function nameToWireLower(name: string): Buffer {
  const labels = nameToLabels(name);
  const out = Buffer.allocUnsafe(labels.reduce((n, l) => n + l.length + 1, 1));
  let p = 0;
  for (const l of labels) {
    out[p++] = l.length;
    for (let i = 0; i < l.length; i++) {
      const c = l[i]!;
      out[p++] = c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
    }
  }
  out[p] = 0;
  return out;
}

/**
 * Long-lived packets (the precomputed answers) are copied into 64 KiB slabs of their own.
 * Buffer's shared 8 KiB pool would let one live packet pin a whole pool chunk full of dead
 * scratch buffers (measured: ~1 KB wasted per name at 40,000 names).
 */
const SLAB_BYTES = 64 * 1024;
let slab = Buffer.allocUnsafeSlow(0);
let slabUsed = 0;

function persist(src: Buffer, length: number): Buffer {
  if (length > SLAB_BYTES / 8) {
    const own = Buffer.allocUnsafeSlow(length);
    src.copy(own, 0, 0, length);
    return own;
  }
  if (slabUsed + length > slab.length) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
    slabUsed = 0;
  }
  const out = slab.subarray(slabUsed, slabUsed + length);
  src.copy(out, 0, 0, length);
  slabUsed += (length + 7) & ~7;
  return out;
}

export class MessageWriter {
  private buf: Buffer;
  pos = 0;
  /** Lowercased label-suffix key → offset where that suffix was written. */
  private readonly names = new Map<string, number>();

  /** `compression: false` writes self-contained bytes (records spliced into other messages). */
  constructor(
    initialSize = 512,
    private readonly compression = true,
  ) {
    // Not from the shared pool: this scratch dies at finish() and must not pin pool chunks.
    this.buf = Buffer.allocUnsafeSlow(initialSize);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
  }
  u16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(v & 0xffff, this.pos);
    this.pos += 2;
  }
  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
  }
  bytes(b: Buffer): void {
    this.ensure(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }
  setU16(at: number, v: number): void {
    this.buf.writeUInt16BE(v & 0xffff, at);
  }

  name(name: string, compressThis = true): void {
    const compress = compressThis && this.compression;
    const labels = nameToLabels(name);
    for (let i = 0; i < labels.length; i++) {
      const key = labels
        .slice(i)
        .map((l) => l.toString('latin1').toLowerCase())
        .join('\u0000');
      const at = compress ? this.names.get(key) : undefined;
      if (at !== undefined) {
        this.u16(0xc000 | at);
        return;
      }
      if (compress && this.pos < 0x3fff) this.names.set(key, this.pos);
      this.u8(labels[i]!.length);
      this.bytes(labels[i]!);
    }
    this.u8(0);
  }

  question(q: Question): void {
    this.name(q.name);
    this.u16(q.type);
    this.u16(q.class);
  }

  record(rr: ResourceRecord): void {
    this.name(rr.name);
    this.u16(rr.type);
    this.u16(rr.class);
    this.u32(rr.ttl);
    const lenAt = this.pos;
    this.u16(0);
    const start = this.pos;
    this.rdata(rr.type, rr.data);
    this.setU16(lenAt, this.pos - start);
  }

  private rdata(type: number, data: ResourceRecord['data']): void {
    if (Buffer.isBuffer(data)) {
      this.bytes(data);
      return;
    }
    switch (type) {
      case RRType.A: {
        const b = ipv4ToBytes(data as string);
        if (!b) throw new RangeError(`bad IPv4 address ${String(data)}`);
        this.bytes(b);
        return;
      }
      case RRType.AAAA: {
        const b = ipv6ToBytes(data as string);
        if (!b) throw new RangeError(`bad IPv6 address ${String(data)}`);
        this.bytes(b);
        return;
      }
      case RRType.NS:
      case RRType.CNAME:
      case RRType.PTR:
        this.name(data as string);
        return;
      case RRType.MX: {
        const mx = data as MxData;
        this.u16(mx.preference);
        this.name(mx.exchange);
        return;
      }
      case RRType.SRV: {
        // RFC 2782 forbids compressing the target; resolvers decompress anyway, but be strict.
        const srv = data as SrvData;
        this.u16(srv.priority);
        this.u16(srv.weight);
        this.u16(srv.port);
        this.name(srv.target, false);
        return;
      }
      case RRType.SOA: {
        const soa = data as SoaData;
        this.name(soa.mname);
        this.name(soa.rname);
        this.u32(soa.serial);
        this.u32(soa.refresh);
        this.u32(soa.retry);
        this.u32(soa.expire);
        this.u32(soa.minimum);
        return;
      }
      case RRType.TXT:
        for (const s of data as string[]) {
          const b = Buffer.from(s, 'latin1');
          if (b.length > 255) throw new RangeError('TXT string longer than 255 bytes');
          this.u8(b.length);
          this.bytes(b);
        }
        return;
      default:
        throw new RangeError(`cannot encode rdata of type ${type} from a non-Buffer value`);
    }
  }

  opt(edns: Edns): void {
    this.u8(0);
    this.u16(RRType.OPT);
    this.u16(edns.udpSize);
    this.u8(edns.extendedRcode);
    this.u8(edns.version);
    this.u16(edns.dnssecOk ? 0x8000 : 0);
    let len = 0;
    for (const o of edns.options) len += 4 + o.data.length;
    this.u16(len);
    for (const o of edns.options) {
      this.u16(o.code);
      this.u16(o.data.length);
      this.bytes(o.data);
    }
  }

  /** `persistent`: the packet lives until the next watch event for its name (slab copy). */
  finish(persistent = false): Buffer {
    if (persistent) return persist(this.buf, this.pos);
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}

export function headerFlags(m: Pick<Message, 'qr' | 'opcode' | 'aa' | 'tc' | 'rd' | 'ra' | 'ad' | 'cd' | 'rcode'>): [number, number] {
  const f1 = (m.qr ? FLAG_QR : 0) | ((m.opcode & 0xf) << 3) | (m.aa ? FLAG_AA : 0) | (m.tc ? FLAG_TC : 0) | (m.rd ? FLAG_RD : 0);
  const f2 = (m.ra ? FLAG_RA : 0) | (m.ad ? FLAG_AD : 0) | (m.cd ? FLAG_CD : 0) | (m.rcode & 0xf);
  return [f1, f2];
}

export function encodeMessage(m: Message): Buffer {
  const w = new MessageWriter();
  w.u16(m.id);
  const [f1, f2] = headerFlags(m);
  w.u8(f1);
  w.u8(f2);
  w.u16(m.questions.length);
  w.u16(m.answers.length);
  w.u16(m.authority.length);
  w.u16(m.additional.length + (m.edns ? 1 : 0));
  for (const q of m.questions) w.question(q);
  for (const rr of m.answers) w.record(rr);
  for (const rr of m.authority) w.record(rr);
  for (const rr of m.additional) w.record(rr);
  if (m.edns) w.opt({ ...m.edns, extendedRcode: m.rcode >> 4 });
  return w.finish();
}
