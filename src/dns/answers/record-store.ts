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
  /** qtypes with a precomputed packet; `packets[i]` answers `types[i]` (arrays: a Map per name costs ~200 B). */
  readonly types: readonly number[];
  /** Complete response packets for the lowercased question (ID 0, RD clear). */
  readonly packets: readonly Buffer[];
  /** For every qtype not in `types` (a CNAME owner answers the CNAME); else NODATA. */
  readonly other: Buffer | undefined;
  /** NOERROR, no answers, SOA in authority: built on first use. */
  nodata: Buffer | undefined;
  /** qtype ANY: every record at the name, built on first use (rarely asked; RFC 8482). */
  any: Buffer | undefined;
  readonly name: string;
}

/** The precomputed packet for `qtype`, if any. */
export function packetFor(entry: NameAnswers, qtype: number): Buffer | undefined {
  const t = entry.types;
  for (let i = 0; i < t.length; i++) if (t[i] === qtype) return entry.packets[i];
  return undefined;
}

export interface RecordStoreOptions {
  /** Negative answers' authority record (zone SOA). */
  soa: ResourceRecord;
}

const EMPTY: Rec[] = [];
const NO_TYPES: number[] = [];
const NO_PACKETS: Buffer[] = [];

/** Who contributes records at one name: nearly always one owner, so no Map unless needed. */
type Contributors = { owner: string; recs: Rec[] } | Map<string, Rec[]>;

export class RecordStore {
  readonly table = new AnswerTable<NameAnswers>();
  private readonly names = new Map<string, Contributors>();
  private readonly owned = new Map<string, string[]>();
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
        if (!byName.has(name)) this.removeContribution(name, owner);
      }
    }
    for (const [name, recs] of byName) this.addContribution(name, owner, recs);
    if (byName.size > 0) this.owned.set(owner, [...byName.keys()].slice());
    else this.owned.delete(owner);
    for (const name of affected) this.rebuild(name);
  }

  private addContribution(name: string, owner: string, recs: Rec[]): void {
    const c = this.names.get(name);
    // slice(): exact-size copies; arrays grown by push() keep ~17 slots (~150 B each).
    recs = recs.length > 0 ? recs.slice() : EMPTY;
    if (c === undefined || (!(c instanceof Map) && c.owner === owner)) {
      this.names.set(name, { owner, recs });
    } else if (c instanceof Map) {
      c.set(owner, recs);
    } else {
      this.names.set(
        name,
        new Map([
          [c.owner, c.recs],
          [owner, recs],
        ]),
      );
    }
  }

  private removeContribution(name: string, owner: string): void {
    const c = this.names.get(name);
    if (c === undefined) return;
    if (!(c instanceof Map)) {
      if (c.owner === owner) this.names.delete(name);
      return;
    }
    c.delete(owner);
    if (c.size === 1) {
      const [[o, recs]] = [...c];
      this.names.set(name, { owner: o!, recs: recs! });
    } else if (c.size === 0) this.names.delete(name);
  }

  removeOwner(owner: string): void {
    this.setOwner(owner, EMPTY);
  }

  exists(name: string): boolean {
    return this.names.has(name);
  }

  records(name: string, type?: number): Rec[] {
    const c = this.names.get(name);
    if (!c) return [];
    const out: Rec[] = [];
    const lists = c instanceof Map ? c.values() : [c.recs];
    for (const recs of lists) for (const r of recs) if (type === undefined || r.type === type) out.push(r);
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
    const types: number[] = [];
    const packets: Buffer[] = [];
    let other: Buffer | undefined;
    const cname = all.find((r) => r.type === RRType.CNAME);
    if (cname) other = this.encode(name, RRType.CNAME, [cname], []);
    for (const r of all) {
      if (types.includes(r.type)) continue;
      types.push(r.type);
      if (r.type === RRType.CNAME) {
        packets.push(other!);
        continue;
      }
      const answers = all.filter((x) => x.type === r.type);
      packets.push(this.encode(name, r.type, answers, this.additionalFor(answers)));
    }
    this.table.set(key, {
      types: types.length > 0 ? types.slice() : NO_TYPES,
      packets: packets.length > 0 ? packets.slice() : NO_PACKETS,
      other,
      nodata: undefined,
      any: undefined,
      name,
    });
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
    return w.finish(true);
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
    entry.nodata = w.finish(true);
    return entry.nodata;
  }
}
