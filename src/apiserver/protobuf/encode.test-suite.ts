/**
 * Test-only protobuf encoder built from the same field tables the decoder uses, so fixtures
 * can be produced for any object: `encodeProtobufObject(obj)` → `k8s\0` + runtime.Unknown.
 * It writes every field present in `obj` (and nothing for absent ones).
 */
import { MESSAGES, SPECIAL, TOP_LEVEL, type ProtoField, type Scalar } from './messages.js';

function varint(n: bigint): number[] {
  let v = BigInt.asUintN(64, n);
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) byte |= 0x80;
    out.push(byte);
  } while (v !== 0n);
  return out;
}

const tag = (n: number, wt: number) => varint(BigInt((n << 3) | wt));
const lenDelim = (n: number, payload: Buffer) => Buffer.concat([Buffer.from(tag(n, 2)), Buffer.from(varint(BigInt(payload.length))), payload]);

function scalar(n: number, t: Scalar, v: unknown): Buffer {
  switch (t) {
    case 'string':
      return lenDelim(n, Buffer.from(String(v), 'utf8'));
    case 'bytes':
      return lenDelim(n, Buffer.from(String(v), 'base64'));
    case 'int32':
    case 'int64':
      return Buffer.from([...tag(n, 0), ...varint(BigInt(v as number))]);
    case 'bool':
      return Buffer.from([...tag(n, 0), v ? 1 : 0]);
    case 'double': {
      const b = Buffer.alloc(8);
      b.writeDoubleLE(v as number);
      return Buffer.concat([Buffer.from(tag(n, 1)), b]);
    }
  }
}

function specialPayload(name: string, v: unknown): Record<string, unknown> {
  switch (name) {
    case SPECIAL.time:
    case SPECIAL.microTime: {
      const ms = Date.parse(String(v));
      return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
    }
    case SPECIAL.intOrString:
      return typeof v === 'number' ? { type: 0, intVal: v } : { type: 1, strVal: String(v) };
    case SPECIAL.quantity:
      return { string: String(v) };
    default:
      return v as Record<string, unknown>;
  }
}

export function encodeMessage(obj: Record<string, unknown>, name: string): Buffer {
  const table = MESSAGES[name];
  if (!table) throw new Error(`no table ${name}`);
  const isSpecial = (Object.values(SPECIAL) as string[]).includes(name);
  const parts: Buffer[] = [];
  for (const f of table) {
    if (f.inline && 'message' in f.kind) {
      parts.push(lenDelim(f.n, encodeMessage(obj, f.kind.message)));
      continue;
    }
    const v = obj[f.name];
    if (v === undefined) continue;
    parts.push(...encodeField(f, v, isSpecial));
  }
  return Buffer.concat(parts);
}

function encodeValue(f: ProtoField, v: unknown): Buffer {
  if ('scalar' in f.kind) return scalar(f.n, f.kind.scalar, v);
  if ('message' in f.kind) {
    const special = (Object.values(SPECIAL) as string[]).includes(f.kind.message);
    return lenDelim(f.n, encodeMessage(special ? specialPayload(f.kind.message, v) : (v as Record<string, unknown>), f.kind.message));
  }
  throw new Error('map');
}

function encodeField(f: ProtoField, v: unknown, _inSpecial: boolean): Buffer[] {
  if ('map' in f.kind) {
    const value = f.kind.map;
    return Object.entries(v as Record<string, unknown>).map(([k, val]) => {
      const entry = Buffer.concat([
        scalar(1, 'string', k),
        'scalar' in value ? scalar(2, value.scalar, val) : lenDelim(2, encodeMessage(specialPayload(value.message, val), value.message)),
      ]);
      return lenDelim(f.n, entry);
    });
  }
  if (f.repeated) return (v as unknown[]).map((x) => encodeValue(f, x));
  return [encodeValue(f, v)];
}

/** `k8s\0` + runtime.Unknown around the object's message (by its apiVersion/kind). */
export function encodeProtobufObject(obj: { apiVersion: string; kind: string } & Record<string, unknown>, extraRawTail: Buffer = Buffer.alloc(0)): Buffer {
  const message = TOP_LEVEL[`${obj.apiVersion}/${obj.kind}`] ?? 'core.Namespace';
  const raw = Buffer.concat([encodeMessage(obj, message), extraRawTail]);
  const unknown = Buffer.concat([
    lenDelim(1, Buffer.concat([scalar(1, 'string', obj.apiVersion), scalar(2, 'string', obj.kind)])),
    lenDelim(2, raw),
    scalar(3, 'string', ''),
    scalar(4, 'string', ''),
  ]);
  return Buffer.concat([Buffer.from('k8s\0', 'latin1'), unknown]);
}
