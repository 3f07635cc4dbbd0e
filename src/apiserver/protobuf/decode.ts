/**
 * Decodes `application/vnd.kubernetes.protobuf` request bodies (what kubectl 1.32+ sends for
 * `kubectl create namespace|configmap|secret|deployment|service` and `auth can-i`) into the
 * JSON-shaped objects the rest of the API server handles.
 *
 * Wire format: the 4 bytes `k8s\0`, then a `runtime.Unknown` message {1: TypeMeta{apiVersion,
 * kind}, 2: raw, 3: contentEncoding, 4: contentType}; `raw` is the object's own message
 * (field tables in messages.ts). Unknown fields are skipped; anything malformed is a 400
 * StatusError, never an exception of another type; kinds without a table are a 415.
 */
import type { KubeObject } from '../../api/meta.js';
import { StatusError } from '../../api/status-error.js';
import { MESSAGES, SPECIAL, TOP_LEVEL, type FieldKind, type ProtoField, type Scalar } from './messages.js';

export const PROTOBUF_MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);
const MAX_DEPTH = 64;

class Malformed extends Error {}

/** A cursor over one message's bytes. */
class Reader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  /** Unsigned varint as a bigint (up to 10 bytes). */
  varintBig(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Malformed('truncated varint');
      const byte = this.buf[this.pos++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
    throw new Malformed('varint longer than 10 bytes');
  }

  /** Varint as a JS number; fast path for the usual 1-4 byte values. */
  varint(): number {
    const start = this.pos;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 4 && this.pos < this.end; i++) {
      const byte = this.buf[this.pos++];
      result += (byte & 0x7f) * mul;
      if ((byte & 0x80) === 0) return result;
      mul *= 128;
    }
    this.pos = start;
    return Number(BigInt.asIntN(64, this.varintBig()));
  }

  bytes(): Buffer {
    const len = this.varint();
    if (len < 0 || this.pos + len > this.end) throw new Malformed('length-delimited field runs past its message');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  /** Start and end of a length-delimited field's payload. */
  span(): [number, number] {
    const len = this.varint();
    if (len < 0 || this.pos + len > this.end) throw new Malformed('length-delimited field runs past its message');
    const start = this.pos;
    this.pos += len;
    return [start, start + len];
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varintBig();
        return;
      case 1:
        this.advance(8);
        return;
      case 2:
        this.span();
        return;
      case 5:
        this.advance(4);
        return;
      default:
        throw new Malformed(`unsupported wire type ${wireType}`);
    }
  }

  fixed64(): number {
    const at = this.pos;
    this.advance(8);
    return this.buf.readDoubleLE(at);
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) throw new Malformed('truncated fixed-width field');
    this.pos += n;
  }
}

/** Field lookup per message, built once. */
const BY_NUMBER = new Map(Object.entries(MESSAGES).map(([name, fields]) => [name, new Map(fields.map((f) => [f.n, f]))]));

const WIRE_OF_SCALAR: Record<Scalar, number> = { string: 2, bytes: 2, int32: 0, int64: 0, bool: 0, double: 1 };

function readScalar(r: Reader, scalar: Scalar, wireType: number): unknown {
  if (wireType !== WIRE_OF_SCALAR[scalar]) throw new Malformed(`wire type ${wireType} does not match ${scalar}`);
  switch (scalar) {
    case 'string': {
      const raw = r.bytes();
      return raw.toString('utf8');
    }
    case 'bytes':
      return r.bytes();
    case 'int32':
      return r.varint() | 0;
    case 'int64':
      return r.varint();
    case 'bool':
      return r.varint() !== 0;
    case 'double':
      return r.fixed64();
  }
}

function isZero(v: unknown): boolean {
  if (v === '' || v === 0 || v === false || v === undefined || v === null) return true;
  if (Buffer.isBuffer(v)) return false;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v as object).length === 0;
  return false;
}

function rfc3339(seconds: number, nanos: number): string {
  const d = new Date(seconds * 1000);
  const base = d.toISOString().slice(0, 19);
  return nanos ? `${base}.${String(nanos).padStart(9, '0').replace(/0+$/, '')}Z` : `${base}Z`;
}

/** The JSON value of a special leaf message, or undefined when it is the zero value. */
function special(name: string, obj: Record<string, unknown>): unknown {
  switch (name) {
    case SPECIAL.time:
    case SPECIAL.microTime: {
      const seconds = Number(obj.seconds ?? 0);
      const nanos = Number(obj.nanos ?? 0);
      if (seconds === 0 && nanos === 0) return undefined;
      // Go's zero time (0001-01-01) is encoded as seconds = -62135596800.
      if (seconds === -62135596800 && nanos === 0) return undefined;
      return rfc3339(seconds, nanos);
    }
    case SPECIAL.intOrString:
      return Number(obj.type ?? 0) === 1 ? String(obj.strVal ?? '') : Number(obj.intVal ?? 0);
    case SPECIAL.quantity:
      return String(obj.string ?? '');
    default:
      return obj;
  }
}

const SPECIAL_NAMES = new Set<string>(Object.values(SPECIAL));
const isSpecial = (name: string) => SPECIAL_NAMES.has(name);

function readMessageValue(r: Reader, name: string, wireType: number, depth: number): unknown {
  if (wireType !== 2) throw new Malformed(`wire type ${wireType} where message ${name} was expected`);
  const [start, end] = r.span();
  const raw = decodeMessage(r.buf, start, end, name, depth + 1);
  return isSpecial(name) ? special(name, raw) : raw;
}

function readMapEntry(r: Reader, value: { scalar: Scalar } | { message: string }, wireType: number, depth: number): [string, unknown] {
  if (wireType !== 2) throw new Malformed('map entry is not length-delimited');
  const [start, end] = r.span();
  const er = new Reader(r.buf, start, end);
  let key = '';
  let val: unknown = 'scalar' in value ? (value.scalar === 'bytes' ? Buffer.alloc(0) : value.scalar === 'string' ? '' : 0) : undefined;
  while (!er.done()) {
    const tag = er.varint();
    const field = tag >>> 3;
    const wt = tag & 7;
    if (field === 1) key = readScalar(er, 'string', wt) as string;
    else if (field === 2) val = 'scalar' in value ? readScalar(er, value.scalar, wt) : readMessageValue(er, value.message, wt, depth);
    else er.skip(wt);
  }
  if (Buffer.isBuffer(val)) val = val.toString('base64');
  return [key, val];
}

function readField(r: Reader, f: ProtoField, kind: FieldKind, wireType: number, depth: number): unknown {
  if ('scalar' in kind) {
    const v = readScalar(r, kind.scalar, wireType);
    return Buffer.isBuffer(v) ? v.toString('base64') : v;
  }
  if ('message' in kind) return readMessageValue(r, kind.message, wireType, depth);
  throw new Malformed(`field ${f.name}: map read as a value`);
}

/** Decodes one message's fields into a JSON-shaped object (zero values dropped unless `keep`). */
function decodeMessage(buf: Buffer, start: number, end: number, name: string, depth: number): Record<string, unknown> {
  if (depth > MAX_DEPTH) throw new Malformed('message nesting too deep');
  const table = MESSAGES[name];
  if (!table) throw new Malformed(`no table for ${name}`);
  const byNumber = BY_NUMBER.get(name)!;
  const out: Record<string, unknown> = {};
  const r = new Reader(buf, start, end);
  while (!r.done()) {
    const tag = r.varint();
    const fieldNo = tag >>> 3;
    const wireType = tag & 7;
    if (fieldNo === 0) throw new Malformed('field number 0');
    const f = byNumber.get(fieldNo);
    if (!f) {
      r.skip(wireType);
      continue;
    }
    if ('map' in f.kind) {
      const [k, v] = readMapEntry(r, f.kind.map, wireType, depth);
      const target = (out[f.name] ??= {}) as Record<string, unknown>;
      target[k] = v;
      continue;
    }
    if (f.repeated) {
      const list = (out[f.name] ??= []) as unknown[];
      if ('scalar' in f.kind && wireType === 2 && WIRE_OF_SCALAR[f.kind.scalar] !== 2) {
        // packed repeated scalars
        const [s, e] = r.span();
        const pr = new Reader(buf, s, e);
        while (!pr.done()) list.push(readScalar(pr, f.kind.scalar, WIRE_OF_SCALAR[f.kind.scalar]));
      } else {
        list.push(readField(r, f, f.kind, wireType, depth));
      }
      continue;
    }
    const v = readField(r, f, f.kind, wireType, depth);
    if (f.inline && v && typeof v === 'object') Object.assign(out, v);
    else out[f.name] = v;
  }
  if (isSpecial(name)) return out;
  for (const f of table) {
    if (!(f.name in out) || f.inline) continue;
    const v = out[f.name];
    if (v === undefined || (!f.keep && isZero(v))) delete out[f.name];
  }
  return out;
}

function malformed(message: string): StatusError {
  return new StatusError('BadRequest', `the body of the request could not be decoded as protobuf: ${message}`);
}

/** The TypeMeta and raw object bytes of a `k8s\0` + runtime.Unknown body. */
export function decodeUnknown(body: Buffer): { apiVersion: string; kind: string; raw: Buffer; contentEncoding: string; contentType: string } {
  if (!Buffer.isBuffer(body) || body.length < PROTOBUF_MAGIC.length || !body.subarray(0, 4).equals(PROTOBUF_MAGIC)) {
    throw malformed('missing the k8s\\0 prefix');
  }
  try {
    // runtime.Unknown read by hand: `raw` stays a view into the body (no copy).
    const r = new Reader(body, 4, body.length);
    let typeMeta: Record<string, unknown> = {};
    let raw: Buffer = Buffer.alloc(0);
    let contentEncoding = '';
    let contentType = '';
    while (!r.done()) {
      const tag = r.varint();
      const field = tag >>> 3;
      const wt = tag & 7;
      if (field === 1 && wt === 2) {
        const [s0, e0] = r.span();
        typeMeta = decodeMessage(body, s0, e0, 'runtime.TypeMeta', 1);
      } else if (field === 2 && wt === 2) raw = r.bytes();
      else if (field === 3 && wt === 2) contentEncoding = r.bytes().toString('utf8');
      else if (field === 4 && wt === 2) contentType = r.bytes().toString('utf8');
      else if (field === 0) throw new Malformed('field number 0');
      else r.skip(wt);
    }
    return { apiVersion: String(typeMeta.apiVersion ?? ''), kind: String(typeMeta.kind ?? ''), raw, contentEncoding, contentType };
  } catch (err) {
    if (err instanceof Malformed) throw malformed(err.message);
    throw malformed(String(err));
  }
}

/** `k8s\0` + runtime.Unknown → the object as a JSON-shaped KubeObject (apiVersion/kind set). */
export function decodeProtobufObject(body: Buffer): KubeObject {
  const u = decodeUnknown(body);
  if (!u.kind || !u.apiVersion) throw malformed('the envelope carries no apiVersion/kind');
  if (u.contentEncoding) throw new StatusError('UnsupportedMediaType', `protobuf content encoding "${u.contentEncoding}" is not supported`);
  const message = TOP_LEVEL[`${u.apiVersion}/${u.kind}`];
  if (!message) {
    throw new StatusError('UnsupportedMediaType', `protobuf bodies of ${u.kind} (${u.apiVersion}) are not supported; send application/json`);
  }
  let obj: Record<string, unknown>;
  try {
    obj = decodeMessage(u.raw, 0, u.raw.length, message, 0);
  } catch (err) {
    if (err instanceof Malformed) throw malformed(err.message);
    throw malformed(String(err));
  }
  const metadata = (obj.metadata ?? {}) as KubeObject['metadata'];
  delete obj.metadata;
  return { apiVersion: u.apiVersion, kind: u.kind, metadata, ...obj };
}
