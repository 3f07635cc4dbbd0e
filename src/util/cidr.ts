/** IPv4 address and CIDR arithmetic (IPv4 only: Skiff's service and pod ranges are IPv4). */

export interface Cidr {
  /** Network address as an unsigned 32-bit number. */
  base: number;
  prefix: number;
  /** Number of addresses in the range. */
  size: number;
}

export function ipToNumber(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4) throw new Error(`invalid IPv4 address "${ip}"`);
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) throw new Error(`invalid IPv4 address "${ip}"`);
    n = n * 256 + Number(p);
  }
  return n >>> 0;
}

export function numberToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function isIPv4(s: string): boolean {
  try {
    ipToNumber(s);
    return true;
  } catch {
    return false;
  }
}

export function parseCidr(text: string): Cidr {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(text);
  if (!m) throw new Error(`invalid CIDR "${text}"`);
  const prefix = Number(m[2]);
  if (prefix > 32) throw new Error(`invalid CIDR "${text}": prefix over 32`);
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  const base = (ipToNumber(m[1]!) & mask) >>> 0;
  return { base, prefix, size: 2 ** (32 - prefix) };
}

export function cidrContains(cidr: Cidr, ip: string): boolean {
  const n = ipToNumber(ip);
  return n >= cidr.base && n < cidr.base + cidr.size;
}

/** The i-th address of the range (0 = network address). */
export function nthAddress(cidr: Cidr, i: number): string {
  if (i < 0 || i >= cidr.size) throw new Error(`address index ${i} outside /${cidr.prefix}`);
  return numberToIp(cidr.base + i);
}

export function formatCidr(cidr: Cidr): string {
  return `${numberToIp(cidr.base)}/${cidr.prefix}`;
}
