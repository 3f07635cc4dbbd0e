/**
 * IP text <-> bytes for A/AAAA rdata and reverse (PTR) names. Kept inside dns/ because the
 * shared util/cidr.ts is IPv4 only and util files are append-only for this helper.
 */
import { isIPv4, isIPv6 } from 'node:net';

export function ipv4ToBytes(ip: string): Buffer | undefined {
  if (!isIPv4(ip)) return undefined;
  return Buffer.from(ip.split('.').map((p) => Number(p)));
}

/** Accepts any textual IPv6 form node:net accepts (including embedded IPv4). */
export function ipv6ToBytes(ip: string): Buffer | undefined {
  if (!isIPv6(ip)) return undefined;
  let text = ip;
  const out = Buffer.alloc(16);
  // Embedded dotted quad at the end: turn it into two hex groups first.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const b = ipv4ToBytes(tail);
    if (!b) return undefined;
    text = `${text.slice(0, lastColon + 1)}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const groups =
    rest === undefined ? headGroups : [...headGroups, ...new Array<string>(8 - headGroups.length - restGroups.length).fill('0'), ...restGroups];
  if (groups.length !== 8) return undefined;
  for (let i = 0; i < 8; i++) out.writeUInt16BE(parseInt(groups[i]!, 16), i * 2);
  return out;
}

export function bytesToIPv4(b: Buffer, off = 0): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/** RFC 5952 canonical text (lowercase, longest zero run compressed). */
export function bytesToIPv6(b: Buffer, off = 0): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(b.readUInt16BE(off + i * 2));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export function canonicalIP(ip: string): string | undefined {
  if (isIPv4(ip)) return ip;
  const b = ipv6ToBytes(ip);
  return b ? bytesToIPv6(b) : undefined;
}

/** `10.0.0.1` → `1.0.0.10.in-addr.arpa`; IPv6 → 32 nibbles under ip6.arpa. Lowercase, no trailing dot. */
export function reverseName(ip: string): string | undefined {
  const v4 = ipv4ToBytes(ip);
  if (v4) return `${v4[3]}.${v4[2]}.${v4[1]}.${v4[0]}.in-addr.arpa`;
  const v6 = ipv6ToBytes(ip);
  if (!v6) return undefined;
  const nibbles: string[] = [];
  for (let i = 15; i >= 0; i--) {
    nibbles.push((v6[i]! & 0xf).toString(16), (v6[i]! >> 4).toString(16));
  }
  return `${nibbles.join('.')}.ip6.arpa`;
}

/** Kubernetes' dashed form of an IP for DNS labels: dots/colons → dashes, no leading/trailing dash. */
export function dashedIP(ip: string): string {
  let s = ip.replace(/[.:]/g, '-');
  if (s.startsWith('-')) s = `0${s}`;
  if (s.endsWith('-')) s = `${s}0`;
  return s.toLowerCase();
}

/** Inverse of dashedIP for a pod-record label; undefined when the label is not an IP. */
export function undashIP(label: string): string | undefined {
  const v4 = label.replace(/-/g, '.');
  if (isIPv4(v4)) return v4;
  const v6 = label.replace(/-/g, ':');
  if (isIPv6(v6)) return canonicalIP(v6);
  return undefined;
}
