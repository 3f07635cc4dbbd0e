/**
 * Prometheus metrics for the DNS server. The hot path only bumps plain numbers in typed
 * arrays (no label lookups, no objects); prom-client reads them at scrape time through
 * `collect()`. Latency is observed for one query in `latencySampleEvery` (default 8) to keep
 * the clock reads off most queries; the histogram says so in its help text.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { rcodeName, typeName } from '../wire/constants.js';

export const LATENCY_BUCKETS_SEC = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export interface CacheStatsSource {
  hits: number;
  misses: number;
  size: number;
}

export class DnsMetrics {
  readonly registry = new Registry();
  /** Indexed by qtype (0..255; others counted at 256). */
  readonly byType = new Float64Array(257);
  /** Indexed by rcode 0..15 (extended rcodes fold into 16). */
  readonly byRcode = new Float64Array(17);
  readonly byTransport = { udp: 0, tcp: 0 };
  precomputedHits = 0;
  dropped = 0;
  readonly latencySampleEvery: number;
  private sampleCounter = 0;
  private readonly latency: Histogram;

  constructor(
    options: {
      cache?: () => CacheStatsSource | undefined;
      forward?: () => Record<string, number> | undefined;
      /** Batched UDP transport: [recvmmsg batches, datagrams, answers the kernel refused]. */
      udpBatch?: () => [number, number, number] | undefined;
      latencySampleEvery?: number;
    } = {},
  ) {
    this.latencySampleEvery = options.latencySampleEvery ?? 8;
    // prom-client calls collect() with `this` bound to the metric, so keep a handle on ours.
    const counters = { byType: this.byType, byRcode: this.byRcode, byTransport: this.byTransport, get: () => this };
    new Counter({
      name: 'skiff_dns_requests_total',
      help: 'DNS queries received, by query type and transport.',
      labelNames: ['type', 'proto'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (let t = 0; t < 257; t++) {
          const v = counters.byType[t]!;
          if (v > 0) this.inc({ type: t === 256 ? 'other' : typeName(t), proto: 'all' }, v);
        }
        this.inc({ type: 'all', proto: 'udp' }, counters.byTransport.udp);
        this.inc({ type: 'all', proto: 'tcp' }, counters.byTransport.tcp);
      },
    });
    new Counter({
      name: 'skiff_dns_responses_total',
      help: 'DNS responses sent, by rcode.',
      labelNames: ['rcode'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (let r = 0; r < 17; r++) {
          const v = counters.byRcode[r]!;
          if (v > 0) this.inc({ rcode: r === 16 ? 'extended' : rcodeName(r) }, v);
        }
      },
    });
    new Counter({
      name: 'skiff_dns_precomputed_answers_total',
      help: 'Answers served by copying a precomputed packet (cluster names).',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(counters.get().precomputedHits);
      },
    });
    new Counter({
      name: 'skiff_dns_dropped_total',
      help: 'Packets dropped without an answer (no readable header, responses, oversized).',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(counters.get().dropped);
      },
    });
    new Counter({
      name: 'skiff_dns_cache_hits_total',
      help: 'Forward cache hits.',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(options.cache?.()?.hits ?? 0);
      },
    });
    new Counter({
      name: 'skiff_dns_cache_misses_total',
      help: 'Forward cache misses.',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(options.cache?.()?.misses ?? 0);
      },
    });
    new Gauge({
      name: 'skiff_dns_cache_entries',
      help: 'Entries in the forward cache.',
      registers: [this.registry],
      collect() {
        this.set(options.cache?.()?.size ?? 0);
      },
    });
    new Counter({
      name: 'skiff_dns_forward_total',
      help: 'Forwarding outcomes (requests, failures, tcpRetries, loopsRefused, overload).',
      labelNames: ['outcome'],
      registers: [this.registry],
      collect() {
        this.reset();
        const s = options.forward?.();
        if (s) for (const [k, v] of Object.entries(s)) this.inc({ outcome: k }, v);
      },
    });
    // The batched transport's counters, in the order of its stats(): [batches, datagrams, send drops].
    const udpBatchCounters: [name: string, help: string][] = [
      ['skiff_dns_udp_batches_total', 'Batched UDP transport: recvmmsg calls that returned datagrams (datagrams / batches = mean batch size).'],
      ['skiff_dns_udp_batched_datagrams_total', 'Batched UDP transport: datagrams received through recvmmsg.'],
      ['skiff_dns_udp_send_dropped_total', 'Batched UDP transport: answers the kernel refused (full send buffer, unreachable source).'],
    ];
    for (const [index, [name, help]] of udpBatchCounters.entries()) {
      new Counter({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.reset();
          this.inc(options.udpBatch?.()?.[index] ?? 0);
        },
      });
    }
    this.latency = new Histogram({
      name: 'skiff_dns_request_duration_seconds',
      help: `Time from packet receipt to response handed to the socket (sampled: 1 query in ${this.latencySampleEvery}).`,
      buckets: LATENCY_BUCKETS_SEC,
      registers: [this.registry],
    });
  }

  /** True when this query's latency should be measured. */
  sample(): boolean {
    if (++this.sampleCounter < this.latencySampleEvery) return false;
    this.sampleCounter = 0;
    return true;
  }

  observeLatency(seconds: number): void {
    this.latency.observe(seconds);
  }

  countType(qtype: number): void {
    this.byType[qtype < 256 ? qtype : 256]!++;
  }

  countResponse(response: Buffer): void {
    this.byRcode[response[3]! & 0xf]!++;
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }
}
