/**
 * Resource quantities (`resource.Quantity`): `100m`, `0.5`, `64Mi`, `1G`, `1e3`.
 * Parsed exactly (BigInt mantissa, powers of 10 and 2), so `0.1` CPU is 100 millicores, not
 * 100.00000000000001. Used by validation, the scheduler (fit) and the agent (cgroup limits).
 */

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export interface ParsedQuantity {
  readonly negative: boolean;
  /** |value| = digits × 10^exp10 × 2^exp2 */
  readonly digits: bigint;
  readonly exp10: number;
  readonly exp2: number;
  readonly format: QuantityFormat;
}

export const QUANTITY_FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

export class QuantityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QuantityError';
  }
}

const decimalSuffix: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const binarySuffix: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

const re = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(.*)$/;

/** Parses a quantity; throws QuantityError with Kubernetes' message on bad input. */
export function parseQuantity(input: string | number): ParsedQuantity {
  const s = typeof input === 'number' ? numberText(input) : input;
  if (typeof s !== 'string' || s.length === 0) throw new QuantityError(QUANTITY_FORMAT_ERROR);
  const m = re.exec(s);
  if (!m) throw new QuantityError(QUANTITY_FORMAT_ERROR);
  const [, sign, intPart, fracPart = '', suffix] = m;
  if (intPart.length === 0 && fracPart.length === 0) throw new QuantityError(QUANTITY_FORMAT_ERROR);
  if (!/^([eEinumkKMGTP]*[-+]?[0-9]*)$/.test(suffix)) throw new QuantityError(QUANTITY_FORMAT_ERROR);
  let exp10 = -fracPart.length;
  let exp2 = 0;
  let format: QuantityFormat;
  if (suffix in binarySuffix) {
    exp2 = binarySuffix[suffix];
    format = 'BinarySI';
  } else if (suffix in decimalSuffix) {
    exp10 += decimalSuffix[suffix];
    format = 'DecimalSI';
  } else if (/^[eE][-+]?[0-9]+$/.test(suffix)) {
    exp10 += Number.parseInt(suffix.slice(1), 10);
    format = 'DecimalExponent';
  } else {
    throw new QuantityError("unable to parse quantity's suffix");
  }
  let digits = BigInt((intPart + fracPart).replace(/^0+(?=\d)/, '') || '0');
  // Normalise trailing zeros into the exponent (keeps BigInts small).
  while (digits !== 0n && digits % 10n === 0n) {
    digits /= 10n;
    exp10++;
  }
  if (digits === 0n) exp10 = 0;
  return { negative: sign === '-' && digits !== 0n, digits, exp10, exp2, format };
}

function numberText(n: number): string {
  if (!Number.isFinite(n)) return '';
  // JSON numbers: print without exponent when reasonable.
  const t = String(n);
  return t.includes('e') ? t.replace('e+', 'e') : t;
}

export function isValidQuantity(input: unknown): boolean {
  if (typeof input !== 'string' && typeof input !== 'number') return false;
  try {
    parseQuantity(input);
    return true;
  } catch {
    return false;
  }
}

/** value × 10^scale as an exact fraction num/den (den > 0). */
function fraction(q: ParsedQuantity, scale: number): [bigint, bigint] {
  let num = q.digits << BigInt(q.exp2);
  let den = 1n;
  const e = q.exp10 + scale;
  if (e >= 0) num *= 10n ** BigInt(e);
  else den = 10n ** BigInt(-e);
  return [q.negative ? -num : num, den];
}

function ceilDiv(num: bigint, den: bigint): bigint {
  const q = num / den;
  return num % den !== 0n && num > 0n ? q + 1n : q;
}

/** value × 10^scale rounded up (away from zero for positives), like Quantity.ScaledValue. */
function scaled(q: ParsedQuantity, scale: number): number {
  const [num, den] = fraction(q, scale);
  return Number(ceilDiv(num, den));
}

function asParsed(q: ParsedQuantity | string | number): ParsedQuantity {
  return typeof q === 'object' ? q : parseQuantity(q);
}

/** Milli-units, rounded up: CPU `100m` → 100, `0.5` → 500, `2` → 2000. */
export function toMillis(q: ParsedQuantity | string | number): number {
  return scaled(asParsed(q), 3);
}

/** Whole units, rounded up: memory `64Mi` → 67108864, `1G` → 1e9, `100m` → 1. */
export function toValue(q: ParsedQuantity | string | number): number {
  return scaled(asParsed(q), 0);
}

/** Bytes for memory quantities (same as toValue). */
export const toBytes = toValue;

/** Exact comparison: -1, 0 or 1. */
export function compareQuantity(a: ParsedQuantity | string | number, b: ParsedQuantity | string | number): -1 | 0 | 1 {
  const pa = asParsed(a);
  const pb = asParsed(b);
  const scale = Math.max(0, -Math.min(pa.exp10, pb.exp10));
  const [an, ad] = fraction(pa, scale);
  const [bn, bd] = fraction(pb, scale);
  const l = an * bd;
  const r = bn * ad;
  return l < r ? -1 : l > r ? 1 : 0;
}

export function isNegative(q: ParsedQuantity | string | number): boolean {
  return asParsed(q).negative;
}

const decimalByExp: [number, string][] = [
  [18, 'E'],
  [15, 'P'],
  [12, 'T'],
  [9, 'G'],
  [6, 'M'],
  [3, 'k'],
  [0, ''],
];

/**
 * Canonical text as Kubernetes prints it: binary quantities keep binary suffixes while whole
 * (`1536Mi`, `1Gi`), decimal ones use the largest SI suffix leaving an integer (`1k`, `1500`,
 * `100m`); precision below nano units rounds up.
 */
export function formatQuantity(input: ParsedQuantity | string | number): string {
  const q = asParsed(input);
  if (q.digits === 0n) return '0';
  const sign = q.negative ? '-' : '';
  if (q.format === 'BinarySI') {
    const [num, den] = fraction({ ...q, negative: false }, 0);
    if (num % den === 0n) {
      const v = num / den;
      for (const [suffix, bits] of Object.entries(binarySuffix).reverse()) {
        const unit = 1n << BigInt(bits);
        if (v % unit === 0n) return `${sign}${v / unit}${suffix}`;
      }
      return `${sign}${v}`;
    }
  }
  // Decimal: find the largest exponent (multiple of 3, -9..18) leaving an integer mantissa.
  const [num, den] = fraction({ ...q, negative: false }, 9);
  const nanos = ceilDiv(num, den);
  let exp = -9;
  let mant = nanos;
  while (exp < 18 && mant % 1000n === 0n) {
    mant /= 1000n;
    exp += 3;
  }
  if (q.format === 'DecimalExponent') return `${sign}${mant}${exp === 0 ? '' : `e${exp}`}`;
  const suffix = exp >= 0 ? decimalByExp.find(([e]) => e === exp)![1] : exp === -3 ? 'm' : exp === -6 ? 'u' : 'n';
  return `${sign}${mant}${suffix}`;
}
