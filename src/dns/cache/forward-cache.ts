/**
 * Cache for forwarded (non-cluster) answers: positive and negative, keyed by
 * (lowercased name, qtype, DO bit). Entries live for the smallest TTL in the answer (positive)
 * or the SOA's min(ttl, minimum) from authority (negative, RFC 2308), capped by maxTtlSec /
 * maxNegativeTtlSec. Bounded: least recently used entries go first. Cluster names never pass
 * through here (they are precomputed from the watch: no stale negatives).
 */
import { Rcode, RRType } from '../wire/constants.js';
import type { Message, ResourceRecord, SoaData } from '../wire/message.js';

export interface ForwardCacheOptions {
  capacity?: number;
  maxTtlSec?: number;
  maxNegativeTtlSec?: number;
  /** Negative TTL when the upstream sent no SOA. */
  defaultNegativeTtlSec?: number;
  now?: () => number;
}

interface Entry {
  message: Message;
  storedAtMs: number;
  expiresAtMs: number;
}

export class ForwardCache {
  private readonly entries = new Map<string, Entry>();
  private readonly capacity: number;
  private readonly maxTtlSec: number;
  private readonly maxNegativeTtlSec: number;
  private readonly defaultNegativeTtlSec: number;
  private readonly now: () => number;
  hits = 0;
  misses = 0;

  constructor(options: ForwardCacheOptions = {}) {
    this.capacity = options.capacity ?? 10_000;
    this.maxTtlSec = options.maxTtlSec ?? 3600;
    this.maxNegativeTtlSec = options.maxNegativeTtlSec ?? 300;
    this.defaultNegativeTtlSec = options.defaultNegativeTtlSec ?? 5;
    this.now = options.now ?? Date.now;
  }

  static key(name: string, type: number, dnssecOk: boolean): string {
    return `${name.toLowerCase()}|${type}|${dnssecOk ? 1 : 0}`;
  }

  get size(): number {
    return this.entries.size;
  }

  /** A copy of the cached message with TTLs reduced by the time it spent here; undefined on miss. */
  get(key: string): Message | undefined {
    const e = this.entries.get(key);
    const now = this.now();
    if (!e || e.expiresAtMs <= now) {
      if (e) this.entries.delete(key);
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.entries.delete(key);
    this.entries.set(key, e);
    const aged = Math.floor((now - e.storedAtMs) / 1000);
    const age = (rr: ResourceRecord): ResourceRecord => ({ ...rr, ttl: Math.max(0, rr.ttl - aged) });
    return { ...e.message, answers: e.message.answers.map(age), authority: e.message.authority.map(age), additional: e.message.additional.map(age) };
  }

  /** Stores `message` if cacheable (NOERROR or NXDOMAIN, not truncated). */
  put(key: string, message: Message): void {
    const ttl = this.ttlFor(message);
    if (ttl === undefined || ttl <= 0) return;
    const now = this.now();
    this.entries.delete(key);
    this.entries.set(key, { message, storedAtMs: now, expiresAtMs: now + ttl * 1000 });
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  ttlFor(m: Message): number | undefined {
    if (m.tc) return undefined;
    if (m.rcode !== Rcode.NOERROR && m.rcode !== Rcode.NXDOMAIN) return undefined;
    if (m.rcode === Rcode.NOERROR && m.answers.length > 0) {
      let min = Infinity;
      for (const rr of m.answers) min = Math.min(min, rr.ttl);
      return Math.min(min, this.maxTtlSec);
    }
    const soa = m.authority.find((rr) => rr.type === RRType.SOA);
    const negative = soa ? Math.min(soa.ttl, (soa.data as SoaData).minimum) : this.defaultNegativeTtlSec;
    return Math.min(negative, this.maxNegativeTtlSec);
  }

  clear(): void {
    this.entries.clear();
  }
}
