/**
 * Field errors as Kubernetes reports them (apimachinery `util/validation/field`): a StatusCause
 * with `reason` (the CauseType), `field` (the path) and `message` (the error body without the
 * path, e.g. `Invalid value: 0: must be between 1 and 65535, inclusive`).
 */
import type { StatusCause } from '../meta.js';

export type FieldCauseReason =
  | 'FieldValueInvalid'
  | 'FieldValueRequired'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueNotFound';

export interface FieldError extends StatusCause {
  reason: FieldCauseReason;
  field: string;
  message: string;
}

/** Path helpers: `child('spec', 'ports')` → `spec.ports`, `index('spec.ports', 0)` → `spec.ports[0]`. */
export function child(path: string, ...names: string[]): string {
  let p = path;
  for (const n of names) p = p ? `${p}.${n}` : n;
  return p;
}

export function index(path: string, i: number): string {
  return `${path}[${i}]`;
}

export function key(path: string, k: string): string {
  return `${path}[${k}]`;
}

const goEscapes: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '"': '\\"', '\\': '\\\\' };

/** Go's `%q` for a string: printable runes kept, C escapes, `\xNN` for other control bytes. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const e = goEscapes[ch];
    if (e) out += e;
    else {
      const c = ch.codePointAt(0)!;
      if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
      else if (c >= 0x80 && c <= 0x9f) out += `\\u${c.toString(16).padStart(4, '0')}`;
      else out += ch;
    }
  }
  return `${out}"`;
}

/**
 * What Go's `%v`/`%q`/`%#v` would print for a bad value, as field.Error does: strings quoted,
 * numbers and booleans bare, string maps as `map[string]string{"a":"b"}`, string slices as
 * `[]string{"a", "b"}`.
 */
export function goRepr(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return goQuote(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string')) return `[]string{${value.map((v) => goQuote(v as string)).join(', ')}}`;
    if (value.every((v) => typeof v === 'number')) return `[]int32{${value.join(', ')}}`;
    return JSON.stringify(value);
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.every(([, v]) => typeof v === 'string')) {
      entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `map[string]string{${entries.map(([k, v]) => `${goQuote(k)}:${goQuote(v as string)}`).join(', ')}}`;
    }
    return JSON.stringify(value);
  }
  return String(value);
}

function withDetail(body: string, detail?: string): string {
  return detail ? `${body}: ${detail}` : body;
}

export const fieldErrors = {
  invalid: (field: string, value: unknown, detail?: string): FieldError => ({
    reason: 'FieldValueInvalid',
    field,
    message: withDetail(`Invalid value: ${goRepr(value)}`, detail),
  }),
  /** An Invalid whose Go value prints pre-formatted (e.g. a struct dump). */
  invalidRaw: (field: string, valueText: string, detail?: string): FieldError => ({
    reason: 'FieldValueInvalid',
    field,
    message: withDetail(`Invalid value: ${valueText}`, detail),
  }),
  required: (field: string, detail?: string): FieldError => ({
    reason: 'FieldValueRequired',
    field,
    message: withDetail('Required value', detail),
  }),
  notSupported: (field: string, value: unknown, valid: readonly string[]): FieldError => ({
    reason: 'FieldValueNotSupported',
    field,
    message: withDetail(`Unsupported value: ${goRepr(value)}`, valid.length ? `supported values: ${valid.map(goQuote).join(', ')}` : undefined),
  }),
  notSupportedRaw: (field: string, valueText: string, valid: readonly string[]): FieldError => ({
    reason: 'FieldValueNotSupported',
    field,
    message: withDetail(`Unsupported value: ${valueText}`, valid.length ? `supported values: ${valid.map(goQuote).join(', ')}` : undefined),
  }),
  duplicate: (field: string, value: unknown): FieldError => ({
    reason: 'FieldValueDuplicate',
    field,
    message: `Duplicate value: ${goRepr(value)}`,
  }),
  duplicateRaw: (field: string, valueText: string): FieldError => ({
    reason: 'FieldValueDuplicate',
    field,
    message: `Duplicate value: ${valueText}`,
  }),
  forbidden: (field: string, detail: string): FieldError => ({
    reason: 'FieldValueForbidden',
    field,
    message: withDetail('Forbidden', detail),
  }),
  tooLong: (field: string, maxLength: number): FieldError => ({
    reason: 'FieldValueTooLong',
    field,
    message: `Too long: may not be more than ${maxLength} ${maxLength === 1 ? 'byte' : 'bytes'}`,
  }),
  tooMany: (field: string, actual: number, max: number): FieldError => ({
    reason: 'FieldValueTooMany',
    field,
    message: `Too many: ${actual}: must have at most ${max} items`,
  }),
};

/** `field: message`, the way errors.invalid joins them into the Status message. */
export function formatFieldError(e: StatusCause): string {
  return e.field ? `${e.field}: ${e.message}` : `${e.message}`;
}

/** The array at a field, or [] when absent or not an array (malformed input must not throw). */
export function arr<T>(v: T[] | undefined | null): T[] {
  return Array.isArray(v) ? v : [];
}
