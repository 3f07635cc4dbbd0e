/**
 * Records core/v1 Events about objects, the way `kubectl describe` shows them. Repeats of the
 * same (object, type, reason, message) within the process are aggregated into one Event whose
 * `count` and `lastTimestamp` grow, as client-go's EventCorrelator does. Writes are
 * fire-and-forget (a controller never waits on, or fails because of, an Event), serialised per
 * aggregation key so a create and its first patch never race.
 */
import { hostname } from 'node:os';
import type { KubeObject } from '../../api/meta.js';
import { isNotFound } from '../../api/status-error.js';
import type { Event } from '../../api/types.js';
import { findResource } from '../../api/resources.js';
import type { ApiClient } from '../types.js';
import { systemClock, type Clock } from '../../util/clock.js';
import { silentLogger, type Logger } from '../../util/logger.js';

const EVENTS = findResource('', 'events')!;

function nowRfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export type EventType = 'Normal' | 'Warning';

export interface EventRecorderOptions {
  client: ApiClient;
  component: string;
  clock?: Clock;
  logger?: Logger;
  /** Aggregation entries kept (oldest forgotten first); default 4096. */
  cacheSize?: number;
  /** Spam filter per involved object (client-go's): burst, then one event per `spamRefillMs`. Defaults 25 and 300 s. */
  spamBurst?: number;
  spamRefillMs?: number;
}

interface Aggregate {
  name: string;
  namespace: string;
  count: number;
  pending: Promise<void>;
}

export class EventRecorder {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly cache = new Map<string, Aggregate>();
  private readonly host = hostname();
  private inFlight = new Set<Promise<void>>();
  private readonly buckets = new Map<string, { tokens: number; atMs: number }>();
  /** Events dropped by the spam filter (metrics, tests). */
  dropped = 0;

  constructor(private readonly opts: EventRecorderOptions) {
    this.clock = opts.clock ?? systemClock;
    this.log = opts.logger ?? silentLogger;
  }

  /** Records an event about `obj` (its kind/apiVersion must be set). */
  event(obj: KubeObject, type: EventType, reason: string, message: string): void {
    const meta = obj.metadata;
    if (!this.allow(`${obj.kind}/${meta.namespace}/${meta.name}/${meta.uid}`)) {
      this.dropped++;
      return;
    }
    const namespace = meta.namespace || 'default';
    const key = [meta.uid ?? `${namespace}/${meta.name}`, obj.kind, type, reason, message].join('\u0000');
    let agg = this.cache.get(key);
    if (agg) {
      this.cache.delete(key); // refresh LRU position
      this.cache.set(key, agg);
      agg.count++;
      const a = agg;
      a.pending = a.pending.then(() => this.bump(a, obj, type, reason, message));
    } else {
      const nowMs = this.clock.now();
      const name = `${meta.name}.${(BigInt(nowMs) * 1_000_000n + BigInt(Math.floor(Math.random() * 1e6))).toString(16)}`;
      agg = { name, namespace, count: 1, pending: Promise.resolve() };
      const a = agg;
      a.pending = this.create(a, obj, type, reason, message);
      this.cache.set(key, a);
      if (this.cache.size > (this.opts.cacheSize ?? 4096)) this.cache.delete(this.cache.keys().next().value!);
    }
    this.track(agg.pending);
  }

  /** Token bucket per involved object: a controller creating 1,000 pods records 25 events, not 1,000 writes. */
  private allow(key: string): boolean {
    const burst = this.opts.spamBurst ?? 25;
    const refill = this.opts.spamRefillMs ?? 300_000;
    const now = this.clock.now();
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= 4096) this.buckets.delete(this.buckets.keys().next().value!);
      this.buckets.set(key, (b = { tokens: burst, atMs: now }));
    }
    const gained = Math.floor((now - b.atMs) / refill);
    if (gained > 0) {
      b.tokens = Math.min(burst, b.tokens + gained);
      b.atMs += gained * refill;
    }
    if (b.tokens <= 0) return false;
    b.tokens--;
    return true;
  }

  /** Resolves when every write started so far has finished (for tests and shutdown). */
  async flush(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private async create(a: Aggregate, obj: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const ts = nowRfc3339(this.clock.now());
    const ev: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: a.name, namespace: a.namespace },
      involvedObject: {
        kind: obj.kind,
        apiVersion: obj.apiVersion,
        namespace: obj.metadata.namespace,
        name: obj.metadata.name,
        uid: obj.metadata.uid,
        resourceVersion: obj.metadata.resourceVersion,
      },
      reason,
      message,
      type,
      source: { component: this.opts.component },
      firstTimestamp: ts,
      lastTimestamp: ts,
      count: a.count,
      reportingComponent: this.opts.component,
      reportingInstance: this.host,
    };
    try {
      await this.opts.client.create(EVENTS, ev, { namespace: a.namespace });
    } catch (err) {
      this.log.debug({ err: String(err), reason }, 'event not recorded');
    }
  }

  private async bump(a: Aggregate, obj: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    try {
      await this.opts.client.patch(EVENTS, a.name, a.namespace, { count: a.count, lastTimestamp: nowRfc3339(this.clock.now()) }, 'merge');
    } catch (err) {
      if (isNotFound(err)) return this.create(a, obj, type, reason, message);
      this.log.debug({ err: String(err), reason }, 'event not updated');
    }
  }
}
