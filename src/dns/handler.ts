/**
 * The handler chain, CoreDNS-style but flattened into one function for speed:
 *
 *   scan ─▶ precomputed cluster answer (kubernetes, from the watch)     [sync, no allocation but the reply]
 *        └▶ other cluster names: NXDOMAIN / NODATA / pod records / autopath
 *        └▶ forward (cache ▶ upstream), with loop refusal               [async]
 *
 * Contract: handle() never throws and never rejects. It returns the response packet, or null
 * when the packet deserves no answer (unreadable header, or a response rather than a query).
 * It keeps no reference to `query` once it returns (a forwarded query works on a copy), so
 * the caller may reuse that memory for the next packet (the batched UDP transport does).
 */
import type { Logger } from '../util/logger.js';
import { silentLogger } from '../util/logger.js';
import { packetFor, type RecordStore } from './answers/record-store.js';
import { headerOnlyResponse, negativeResponse, patchPrecomputed, questionOnlyResponse, responseLimit } from './answers/respond.js';
import type { Forwarder } from './forward/forwarder.js';
import type { DnsMetrics } from './metrics/dns-metrics.js';
import { FLAG_AA, FLAG_TC, Rcode, RRClass, RRType } from './wire/constants.js';
import { decodeMessage, readName } from './wire/decoder.js';
import { encodeMessage, MessageWriter } from './wire/encoder.js';
import { isIPv4 } from 'node:net';
import { undashIP } from './wire/ip.js';
import { emptyMessage, type Message, type ResourceRecord } from './wire/message.js';
import { newQueryScan, scanQuery, SCAN_DROP, SCAN_FORMERR, SCAN_OK, SCAN_SLOW, type QueryScan } from './wire/query-scan.js';

export type PodsMode = 'disabled' | 'insecure' | 'verified';

/** Valid only during the handle() call (the UDP server reuses one object). */
export interface QueryContext {
  transport: 'udp' | 'tcp';
  address: string;
  port: number;
}

export interface PodDirectory {
  podExists(namespace: string, ip: string): boolean;
  podNamespace(ip: string): string | undefined;
}

export interface DnsHandlerOptions {
  zone: string;
  store: RecordStore;
  ttl: number;
  /** False until the informers have delivered their first list: cluster names get SERVFAIL. */
  isSynced(): boolean;
  pods?: PodDirectory;
  podsMode?: PodsMode;
  forwarder?: Forwarder;
  autopath?: boolean;
  metrics?: DnsMetrics;
  logger?: Logger;
}

export type HandleResult = Buffer | null | Promise<Buffer | null>;

const REVERSE_SUFFIXES = ['.in-addr.arpa', '.ip6.arpa'];

export class DnsHandler {
  private readonly scan = newQueryScan();
  private readonly zone: string;
  private readonly soaRecord: Buffer;
  private readonly logger: Logger;
  private synced = false;
  /** Exceptions caught by handle()'s safety net: a bug indicator (the fuzz test asserts 0). */
  internalErrors = 0;

  constructor(private readonly o: DnsHandlerOptions) {
    this.zone = o.zone.toLowerCase().replace(/\.$/, '');
    const soa = o.store.records(this.zone, RRType.SOA)[0];
    if (!soa) throw new Error('the record store has no SOA for the zone: start the KubernetesSource first');
    const w = new MessageWriter(128, false);
    w.record({ name: this.zone, type: RRType.SOA, class: RRClass.IN, ttl: soa.ttl, data: soa.data });
    this.soaRecord = w.finish();
    this.logger = o.logger ?? silentLogger;
  }

  handle(query: Buffer, ctx: QueryContext): HandleResult {
    try {
      const s = this.scan;
      let r = scanQuery(query, s);
      if (r === SCAN_SLOW) {
        const normalised = normalise(query);
        if (!normalised) return this.count(query.length >= 12 ? headerOnlyResponse(query, Rcode.FORMERR) : null);
        query = normalised;
        r = scanQuery(query, s);
      }
      if (r !== SCAN_OK) {
        if (r === SCAN_DROP) return this.count(null);
        return this.count(headerOnlyResponse(query, r === SCAN_FORMERR || r === SCAN_SLOW ? Rcode.FORMERR : Rcode.NOTIMP));
      }
      this.o.metrics?.countType(s.qtype);
      if (s.edns && s.ednsVersion > 0) return this.count(questionOnlyResponse(query, s, Rcode.BADVERS));
      if (s.qclass !== RRClass.IN) return this.count(questionOnlyResponse(query, s, Rcode.REFUSED));
      if (s.qtype === RRType.AXFR || s.qtype === RRType.IXFR) return this.count(questionOnlyResponse(query, s, Rcode.REFUSED));
      const tcp = ctx.transport === 'tcp';
      if (this.synced || (this.synced = this.o.isSynced())) {
        const entry = this.o.store.table.lookup(query, 12, s.qnameEnd, s.hash);
        if (entry !== undefined) {
          const base =
            packetFor(entry, s.qtype) ?? entry.other ?? (s.qtype === RRType.ANY ? this.o.store.anyFor(entry) : this.o.store.nodataFor(entry));
          if (this.o.metrics) this.o.metrics.precomputedHits++;
          return this.count(patchPrecomputed(query, s, base, responseLimit(s, tcp)));
        }
      }
      return this.slowPath(query, { ...s }, ctx);
    } catch (err) {
      this.internalErrors++;
      this.logger.error({ err }, 'dns handler failed');
      return this.count(query.length >= 12 ? headerOnlyResponse(query, Rcode.SERVFAIL) : null);
    }
  }

  private count(out: Buffer | null): Buffer | null {
    const m = this.o.metrics;
    if (m) {
      if (out) m.countResponse(out);
      else m.dropped++;
    }
    return out;
  }

  private inZone(lower: string): boolean {
    return lower === this.zone || lower.endsWith(`.${this.zone}`);
  }

  /** Names the fast table did not answer. `s` is a private copy (the shared scan is reused). */
  private slowPath(query: Buffer, s: QueryScan, ctx: QueryContext): HandleResult {
    const name = readName(query, 12).name;
    const lower = name.toLowerCase();
    const limit = responseLimit(s, ctx.transport === 'tcp');
    if (this.inZone(lower)) {
      if (!this.synced) return this.count(questionOnlyResponse(query, s, Rcode.SERVFAIL));
      const rel = lower === this.zone ? [] : lower.slice(0, lower.length - this.zone.length - 1).split('.');
      const n = rel.length;
      const last = rel[n - 1];
      if (n === 2 && (last === 'svc' || last === 'pod')) return this.count(negativeResponse(query, s, Rcode.NOERROR, this.soaRecord));
      if (n === 3 && last === 'pod') return this.count(this.podRecord(query, s, name, rel[0]!, rel[1]!, limit));
      if (this.o.autopath && n >= 3 && last === 'svc' && this.o.pods) {
        const podNs = this.o.pods.podNamespace(stripMapped(ctx.address));
        if (podNs !== undefined && rel[n - 2] === podNs) {
          const bare = name.slice(0, name.length - (podNs.length + 5 + this.zone.length + 1));
          return this.autopath(query, s, name, bare, limit);
        }
      }
      return this.count(negativeResponse(query, s, Rcode.NXDOMAIN, this.soaRecord));
    }
    if (REVERSE_SUFFIXES.some((suffix) => lower.endsWith(suffix))) {
      // Reverse names we hold are in the table; others fall through to the upstream (CoreDNS's
      // `fallthrough in-addr.arpa ip6.arpa`), or are NXDOMAIN when there is none.
      if (!this.synced) return this.count(questionOnlyResponse(query, s, Rcode.SERVFAIL));
      if (!this.o.forwarder) return this.count(questionOnlyResponse(query, s, Rcode.NXDOMAIN));
    }
    return this.forward(query, s, name, lower, ctx, limit);
  }

  private podRecord(query: Buffer, s: QueryScan, name: string, label: string, namespace: string, limit: number): Buffer {
    const mode = this.o.podsMode ?? 'disabled';
    const ip = mode === 'disabled' ? undefined : undashIP(label);
    if (!ip || (mode === 'verified' && !this.o.pods?.podExists(namespace, ip))) {
      return negativeResponse(query, s, Rcode.NXDOMAIN, this.soaRecord);
    }
    const type = isIPv4(ip) ? RRType.A : RRType.AAAA;
    if (s.qtype !== type && s.qtype !== RRType.ANY) return negativeResponse(query, s, Rcode.NOERROR, this.soaRecord);
    const m = this.reply(query, s, Rcode.NOERROR, true);
    m.answers.push({ name, type, class: RRClass.IN, ttl: this.o.ttl, data: ip });
    return finish(query, s, m, limit);
  }

  private reply(query: Buffer, s: QueryScan, rcode: number, aa: boolean): Message {
    return emptyMessage({
      id: query.readUInt16BE(0),
      qr: true,
      aa,
      rd: (query[2]! & 1) !== 0,
      ra: true,
      cd: (query[3]! & 0x10) !== 0,
      rcode,
      questions: [{ name: readName(query, 12).name, type: s.qtype, class: s.qclass }],
      ...(s.edns ? { edns: { udpSize: 1232, extendedRcode: 0, version: 0, dnssecOk: s.dnssecOk, options: [] } } : {}),
    });
  }

  /**
   * Server-side search path (CoreDNS autopath): the client pod's resolver would try
   * `bare.<ns>.svc.<zone>` (this query, NXDOMAIN), then `bare.svc.<zone>`, `bare.<zone>`, then
   * `bare.` — do those here and answer with a CNAME from the asked name to the first name that
   * exists (has records; empty non-terminals and `<x>.svc` namespace names do not count), plus
   * its records of the asked type (none = NODATA semantics, the name exists). Nothing found →
   * the plain NXDOMAIN, and the client carries on with its own search.
   */
  private autopath(query: Buffer, s: QueryScan, name: string, bare: string, limit: number): HandleResult {
    const bareLower = bare.toLowerCase();
    const candidates = [`${bareLower}.svc.${this.zone}`, `${bareLower}.${this.zone}`, bareLower];
    for (const candidate of candidates) {
      const all = this.o.store.records(candidate);
      if (all.length === 0) continue;
      const m = this.reply(query, s, Rcode.NOERROR, true);
      m.answers.push({ name, type: RRType.CNAME, class: RRClass.IN, ttl: this.o.ttl, data: candidate === bareLower ? bare : candidate });
      for (const r of all) {
        if (r.type === s.qtype || r.type === RRType.CNAME) m.answers.push({ name: candidate === bareLower ? bare : r.name, type: r.type, class: RRClass.IN, ttl: r.ttl, data: r.data });
      }
      return this.count(finish(query, s, m, limit));
    }
    const nx = (): Buffer => negativeResponse(query, s, Rcode.NXDOMAIN, this.soaRecord);
    const f = this.o.forwarder;
    // A cluster name that does not exist is not the upstream's to answer.
    if (!f || f.loopDetected || this.inZone(bareLower)) return this.count(nx());
    query = Buffer.from(query); // the caller may reuse its buffer before the upstream answers
    return f.resolve({ name: bare, type: s.qtype, class: RRClass.IN }, s.dnssecOk).then(
      (up) => {
        if (!up || up.rcode !== Rcode.NOERROR) return this.count(nx());
        const m = this.reply(query, s, Rcode.NOERROR, false);
        m.answers.push({ name, type: RRType.CNAME, class: RRClass.IN, ttl: this.o.ttl, data: bare });
        m.answers.push(...up.answers);
        return this.count(finish(query, s, m, limit));
      },
      () => this.count(nx()),
    );
  }

  private forward(query: Buffer, s: QueryScan, name: string, lower: string, ctx: QueryContext, limit: number): HandleResult {
    const f = this.o.forwarder;
    if (!f) return this.count(questionOnlyResponse(query, s, Rcode.REFUSED));
    if (f.isLoop(lower, ctx.port, ctx.address)) return this.count(questionOnlyResponse(query, s, Rcode.REFUSED));
    const rd = query[2]! & 1;
    const cd = query[3]! & 0x10;
    query = Buffer.from(query); // the caller may reuse its buffer before the upstream answers
    return f.resolve({ name, type: s.qtype, class: s.qclass }, s.dnssecOk).then(
      (up) => {
        if (!up) return this.count(questionOnlyResponse(query, s, Rcode.SERVFAIL));
        const m: Message = {
          ...this.reply(query, s, up.rcode, false),
          ad: up.ad,
          answers: up.answers.map((rr) => keepCase(rr, lower, name)),
          authority: up.authority,
          additional: up.additional,
        };
        m.rd = rd !== 0;
        m.cd = cd !== 0;
        return this.count(finish(query, s, m, limit));
      },
      (err: unknown) => {
        this.logger.warn({ err }, 'forwarding failed');
        return this.count(questionOnlyResponse(query, s, Rcode.SERVFAIL));
      },
    );
  }
}

function keepCase(rr: ResourceRecord, lower: string, name: string): ResourceRecord {
  return rr.name.toLowerCase() === lower && rr.name !== name ? { ...rr, name } : rr;
}

function stripMapped(a: string): string {
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

/** Encodes `m`; if it does not fit the client's limit: TC with the question only. */
function finish(query: Buffer, s: QueryScan, m: Message, limit: number): Buffer {
  let out = encodeMessage(m);
  if (out.length > limit) {
    out = questionOnlyResponse(query, s, m.rcode, { tc: true, aa: m.aa });
    out[2] = out[2]! | FLAG_TC | (m.aa ? FLAG_AA : 0);
  }
  return out;
}

/**
 * Re-encodes an unusual but legal query (compressed question, extra sections, trailing bytes
 * are rejected) into the plain form scanQuery accepts: header + one question + OPT.
 * undefined = not decodable (→ FORMERR).
 */
function normalise(query: Buffer): Buffer | undefined {
  if (query.length < 12) return undefined;
  let m: Message;
  try {
    m = decodeMessage(query);
  } catch {
    return undefined;
  }
  if (m.qr || m.questions.length !== 1) return undefined;
  const plain = emptyMessage({ id: m.id, opcode: m.opcode, rd: m.rd, cd: m.cd, questions: m.questions, ...(m.edns ? { edns: m.edns } : {}) });
  try {
    const out = encodeMessage(plain);
    return out;
  } catch {
    return undefined;
  }
}
