/**
 * The authoritative data, in two forms kept in step:
 *  - records per name, contributed by "owners" (one per Service, plus the zone apex), so a
 *    watch event replaces exactly one owner's records; names shared by owners (a PTR for an IP
 *    two headless Services both list) hold the union;
 *  - precomputed response packets per (lowercased name, qtype) in an AnswerTable, rebuilt for
 *    the names an owner touched, synchronously inside setOwner(). A query is then a table
 *    lookup and a copy (respond.ts): encode once, send many. There is no negative cache: a
 *    name is answerable the moment its owner's event has been applied.
 */
import { FLAG_AA, FLAG_QR, FLAG_RA, RRClass, RRType } from '../wire/constants.js';
import { MessageWriter, nameToWireLower } from '../wire/encoder.js';
import type { RData, ResourceRecord } from '../wire/message.js';
import { AnswerTable } from './answer-table.js';

/** One record as owners contribute it: `name` lowercased, no trailing dot. */
export interface Rec {
  name: string;
  type: number;
  ttl: number;
  data: RData;
}

export interface NameAnswers {
  /** qtype → complete response packet for the lowercased question (ID 0, RD clear). */
  readonly byType: Map<number, Buffer>;
  /** For every qtype not in byType (a CNAME owner answers the CNAME); else NODATA. */
  readonly other: Buffer | undefined;
  /** NOERROR, no answers, SOA in authority: built on first use. */
  nodata: Buffer | undefined;
  /** qtype ANY: every record at the name, built on first use (rarely asked; RFC 8482). */
  any: Buffer | undefined;
  readonly name: string;
}

export interface RecordStoreOptions {
  /** Negative answers' authority record (zone SOA). */
  soa: ResourceRecord;
}

const EMPTY: Rec[] = [];
/** Shared by every empty non-terminal (most names of a big cluster are one or the other). */
const EMPTY_TYPES: Map<number, Buffer> = new Map();

export class RecordStore {
  readonly table = new AnswerTable<NameAnswers>();
  private readonly names = new Map<string, Map<string, Rec[]>>();
  private readonly owned = new Map<string, Set<string>>();
  private soa: ResourceRecord;
  /** Rebuilt entries since start (metrics / tests). */
  rebuilds = 0;

  constructor(options: RecordStoreOptions) {
    this.soa = options.soa;
  }

  /**
   * Replaces everything `owner` contributes. `emptyNames` exist without records (empty
   * non-terminals such as `_tcp.<svc>.<ns>.svc.<zone>`), so they answer NODATA, not NXDOMAIN.
   */
  setOwner(owner: string, records: readonly Rec[], emptyNames: readonly string[] = []): void {
    const byName = new Map<string, Rec[]>();
    for (const r of records) {
      const list = byName.get(r.name);
      if (list) list.push(r);
      else byName.set(r.name, [r]);
    }
    for (const n of emptyNames) if (!byName.has(n)) byName.set(n, EMPTY);
    const old = this.owned.get(owner);
    const affected = new Set<string>(byName.keys());
    if (old) {
      for (const name of old) {
        affected.add(name);
        if (byName.has(name)) continue;
        const owners = this.names.get(name);
        owners?.delete(owner);
        if (owners && owners.size === 0) this.names.delete(name);
      }
    }
    for (const [name, recs] of byName) {
      let owners = this.names.get(name);
      if (!owners) {
        owners = new Map();
        this.names.set(name, owners);
      }
      owners.set(owner, recs);
    }
    if (byName.size > 0) this.owned.set(owner, new Set(byName.keys()));
    else this.owned.delete(owner);
    for (const name of affected) this.rebuild(name);
  }

  removeOwner(owner: string): void {
    this.setOwner(owner, EMPTY);
  }

  exists(name: string): boolean {
    return this.names.has(name);
  }

  records(name: string, type?: number): Rec[] {
    const owners = this.names.get(name);
    if (!owners) return [];
    const out: Rec[] = [];
    for (const recs of owners.values()) for (const r of recs) if (type === undefined || r.type === type) out.push(r);
    return out;
  }

  get nameCount(): number {
    return this.names.size;
  }

  private rebuild(name: string): void {
    this.rebuilds++;
    const key = nameToWireLower(name);
    if (!this.names.has(name)) {
      this.table.delete(key);
      return;
    }
    const all = this.records(name);
    const byType = new Map<number, Buffer>();
    const types = new Set(all.map((r) => r.type));
    let other: Buffer | undefined;
    const cname = all.filter((r) => r.type === RRType.CNAME);
    if (cname.length > 0) {
      other = this.encode(name, RRType.CNAME, cname.slice(0, 1), []);
    }
    for (const type of types) {
      if (type === RRType.CNAME) {
        byType.set(type, other!);
        continue;
      }
      const answers = all.filter((r) => r.type === type);
      byType.set(type, this.encode(name, type, answers, this.additionalFor(answers)));
    }
    this.table.set(key, { byType: byType.size > 0 ? byType : EMPTY_TYPES, other, nodata: undefined, any: undefined, name });
  }

  /** SRV targets' and NS hosts' addresses, when we hold them. */
  private additionalFor(answers: Rec[]): Rec[] {
    const extra: Rec[] = [];
    const seen = new Set<string>();
    for (const r of answers) {
      let target: string | undefined;
      if (r.type === RRType.SRV) target = (r.data as { target: string }).target.toLowerCase();
      else if (r.type === RRType.NS) target = (r.data as string).toLowerCase();
      if (target === undefined || seen.has(target)) continue;
      seen.add(target);
      for (const a of this.records(target)) if (a.type === RRType.A || a.type === RRType.AAAA) extra.push(a);
    }
    return extra;
  }

  private encode(name: string, qtype: number, answers: Rec[], additional: Rec[]): Buffer {
    const w = new MessageWriter(64 + answers.length * 32);
    w.u16(0);
    w.u8(FLAG_QR | FLAG_AA);
    w.u8(FLAG_RA);
    w.u16(1);
    w.u16(answers.length);
    w.u16(0);
    w.u16(additional.length);
    w.question({ name, type: qtype, class: RRClass.IN });
    for (const r of answers) w.record({ name: r.name, type: r.type, class: RRClass.IN, ttl: r.ttl, data: r.data });
    for (const r of additional) w.record({ name: r.name, type: r.type, class: RRClass.IN, ttl: r.ttl, data: r.data });
    return w.finish();
  }

  /** The response to qtype ANY: every record, or NODATA for an empty non-terminal. */
  anyFor(entry: NameAnswers): Buffer {
    if (entry.other) return entry.other;
    if (entry.any) return entry.any;
    const all = this.records(entry.name);
    if (all.length === 0) return this.nodataFor(entry);
    entry.any = this.encode(entry.name, RRType.ANY, all, []);
    return entry.any;
  }

  /** NODATA packet for `entry` (NOERROR, SOA in authority), cached on the entry. */
  nodataFor(entry: NameAnswers): Buffer {
    if (entry.nodata) return entry.nodata;
    const w = new MessageWriter(128);
    w.u16(0);
    w.u8(FLAG_QR | FLAG_AA);
    w.u8(FLAG_RA);
    w.u16(1);
    w.u16(0);
    w.u16(1);
    w.u16(0);
    w.question({ name: entry.name, type: 0, class: RRClass.IN });
    w.record(this.soa);
    entry.nodata = w.finish();
    return entry.nodata;
  }
}
