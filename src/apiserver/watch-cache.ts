/**
 * The watch cache (kube-apiserver's "cacher"): ONE storage watch over `/registry/` keeps, per
 * resource, the current objects and a ring of recent events. Lists with resourceVersion=0 (and
 * consistent lists, once the cache has caught up with storage) are served from memory; every
 * API watch is a cheap subscriber here, and each event is encoded once per wire format and
 * written to all interested watchers.
 *
 * One watch for all resources (rather than one per prefix) gives a single progress marker:
 * after the cache has applied revision R, every resource is known to be current at R, which
 * is what consistent reads and bookmarks need.
 */
import { selectableFields } from '../api/fields.js';
import type { KubeObject } from '../api/meta.js';
import { RESOURCES, storageKey, storagePrefix, type ResourceInfo } from '../api/resources.js';
import { errors, StatusError } from '../api/status-error.js';
import type { KeyValue, Storage, StorageEvent, Watcher } from '../storage/storage.js';
import type { Logger } from '../util/logger.js';

export const REGISTRY_PREFIX = '/registry/';

/**
 * What selectors look at: labels and the kind's selectable fields (`metadata.name`,
 * `spec.nodeName`, `involvedObject.uid` ...), extracted once per object version.
 */
export interface SelectableView {
  labels: Readonly<Record<string, string>>;
  fields: Readonly<Record<string, string>>;
}

/**
 * One object version as the cache holds it: its JSON text (with resourceVersion) plus what
 * selectors need. The parsed object is not kept — that halves memory per object and lists
 * are answered by joining the texts; obj() parses on demand (Tables, YAML).
 */
export class CachedObject implements SelectableView {
  readonly name: string;
  readonly namespace: string | undefined;
  readonly labels: Readonly<Record<string, string>>;
  readonly fields: Readonly<Record<string, string>>;
  readonly json: string;

  constructor(
    readonly key: string,
    readonly rv: number,
    obj: KubeObject,
    kind: string,
  ) {
    this.name = obj.metadata.name ?? '';
    this.namespace = obj.metadata.namespace;
    this.labels = obj.metadata.labels ?? EMPTY;
    this.fields = selectableFields(kind, obj);
    this.json = JSON.stringify(obj);
  }

  obj(): KubeObject {
    return JSON.parse(this.json) as KubeObject;
  }
}

const EMPTY: Readonly<Record<string, string>> = Object.freeze({});

/** The cache entry of a stored value; `rv` overrides modRevision (a delete's revision). */
export function cachedFromKv(kind: string, kv: KeyValue, rv = kv.modRevision): CachedObject {
  const obj = JSON.parse(kv.value) as KubeObject;
  obj.metadata ??= {};
  obj.metadata.resourceVersion = String(rv);
  return new CachedObject(kv.key, rv, obj, kind);
}

export type CacheEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface CacheEvent {
  type: CacheEventType;
  key: string;
  cur: CachedObject;
  prev?: CachedObject;
  rv: number;
  /** Encoded wire lines by format+type, so N watchers of one format cost one encoding. */
  encoded?: Map<string, string>;
}

/** Decodes a stored value into an object whose metadata.resourceVersion is its modRevision. */
export function decodeKv(kv: KeyValue): KubeObject {
  const obj = JSON.parse(kv.value) as KubeObject;
  obj.metadata ??= {};
  obj.metadata.resourceVersion = String(kv.modRevision);
  return obj;
}

/** What a watcher receives; it filters, encodes and writes. */
export interface CacheSubscriber {
  namespace?: string;
  /** Called synchronously for each event of the resource, in revision order. */
  onEvent(ev: CacheEvent): void;
  /** The cache re-initialised (storage watch lost): the subscriber must end its stream. */
  onReset(): void;
}

export class ResourceCache {
  readonly objects = new Map<string, CachedObject>();
  private sorted: string[] | undefined;
  private ring: CacheEvent[] = [];
  private ringStart = 0;
  /** Watches may start from any revision >= windowStart (older history was evicted). */
  windowStart: number;
  /** Revision of this resource's last change seen (0: none since the cache started). */
  lastEventRv = 0;
  readonly subscribers = new Set<CacheSubscriber>();

  constructor(
    readonly info: ResourceInfo,
    readonly prefix: string,
    private readonly capacity: number,
    startRv: number,
  ) {
    this.windowStart = startRv;
  }

  reset(startRv: number): void {
    this.objects.clear();
    this.sorted = undefined;
    this.ring = [];
    this.ringStart = 0;
    this.windowStart = startRv;
    this.lastEventRv = 0;
    for (const s of [...this.subscribers]) s.onReset();
    this.subscribers.clear();
  }

  load(kv: KeyValue): void {
    this.objects.set(kv.key, cachedFromKv(this.info.kind, kv));
    this.sorted = undefined;
  }

  apply(e: StorageEvent): void {
    const prev = this.objects.get(e.kv.key);
    let ev: CacheEvent;
    if (e.type === 'delete') {
      if (!prev) return;
      const cur = cachedFromKv(this.info.kind, e.kv, e.revision);
      this.objects.delete(e.kv.key);
      this.sorted = undefined;
      ev = { type: 'DELETED', key: e.kv.key, cur, prev, rv: e.revision };
    } else {
      const cur = cachedFromKv(this.info.kind, e.kv);
      this.objects.set(e.kv.key, cur);
      if (!prev) this.sorted = undefined;
      ev = { type: prev ? 'MODIFIED' : 'ADDED', key: e.kv.key, cur, prev, rv: e.revision };
    }
    this.push(ev);
    this.lastEventRv = ev.rv;
    for (const s of this.subscribers) {
      try {
        s.onEvent(ev);
      } catch {
        // One watcher failing to encode or write must not starve the others: end it.
        this.subscribers.delete(s);
        s.onReset();
      }
    }
  }

  private push(ev: CacheEvent): void {
    if (this.ring.length < this.capacity) {
      this.ring.push(ev);
      return;
    }
    const evicted = this.ring[this.ringStart]!;
    this.windowStart = evicted.rv;
    this.ring[this.ringStart] = ev;
    this.ringStart = (this.ringStart + 1) % this.capacity;
  }

  /** Events with rv > fromRv, oldest first; throws 410 when that history was evicted. */
  eventsSince(fromRv: number): CacheEvent[] {
    if (fromRv < this.windowStart) throw tooOld(fromRv);
    const out: CacheEvent[] = [];
    for (let i = 0; i < this.ring.length; i++) {
      const ev = this.ring[(this.ringStart + i) % this.ring.length]!;
      if (ev.rv > fromRv) out.push(ev);
    }
    return out;
  }

  /** True when the current state is also the state at `rv` (nothing changed since). */
  unchangedSince(rv: number, cacheRv: number): boolean {
    return cacheRv >= rv && rv >= this.windowStart && this.lastEventRv <= rv;
  }

  /** Current objects in key order, optionally only one namespace's. */
  list(namespace?: string): CachedObject[] {
    this.sorted ??= [...this.objects.keys()].sort();
    const keys = this.sorted;
    const out: CachedObject[] = [];
    if (namespace && this.info.namespaced) {
      const nsPrefix = `${this.prefix}${namespace}/`;
      for (const k of keys) if (k.startsWith(nsPrefix)) out.push(this.objects.get(k)!);
    } else {
      for (const k of keys) out.push(this.objects.get(k)!);
    }
    return out;
  }
}

export function tooOld(rv: number): StatusError {
  return errors.gone(`too old resource version: ${rv}`);
}

export interface WatchCacheOptions {
  storage: Storage;
  logger: Logger;
  /** Events kept per resource for watches that resume from a resourceVersion. */
  capacity?: number;
}

export class WatchCache {
  readonly resources = new Map<string, ResourceCache>();
  /** Revision the cache reflects for every resource. */
  rv = 0;
  private watcher: Watcher | undefined;
  private readonly waiters: { rv: number; resolve: () => void }[] = [];
  private readonly progressListeners = new Set<(rv: number) => void>();
  private closed = false;
  private ready: Promise<void> | undefined;

  constructor(private readonly options: WatchCacheOptions) {
    for (const info of RESOURCES) {
      const prefix = storagePrefix(info);
      this.resources.set(prefix, new ResourceCache(info, prefix, options.capacity ?? 1024, 0));
    }
  }

  /** The cached object (parsed), or undefined. */
  getCached(info: ResourceInfo, name: string, namespace?: string): KubeObject | undefined {
    return this.forResource(info).objects.get(storageKey(info, name, namespace))?.obj();
  }

  forResource(info: ResourceInfo): ResourceCache {
    return this.resources.get(storagePrefix(info))!;
  }

  start(): Promise<void> {
    return (this.ready ??= this.init());
  }

  private async init(): Promise<void> {
    const { storage } = this.options;
    const listed = await storage.list(REGISTRY_PREFIX);
    for (const rc of this.resources.values()) rc.reset(listed.revision);
    for (const kv of listed.items) this.cacheFor(kv.key)?.load(kv);
    this.advance(listed.revision);
    this.watcher = storage.watch(REGISTRY_PREFIX, { fromRevision: listed.revision }, {
      onEvents: (events) => this.onEvents(events),
      onError: (err) => {
        if (this.closed) return;
        this.options.logger.warn({ err: err.message }, 'storage watch ended; re-initialising the watch cache');
        this.watcher = undefined;
        this.ready = undefined;
        setTimeout(() => {
          if (!this.closed) this.start().catch((e: unknown) => this.options.logger.error({ err: String(e) }, 'watch cache restart failed'));
        }, 100).unref();
      },
    });
  }

  private cacheFor(key: string): ResourceCache | undefined {
    // `/registry/<group>/<resource>/...`
    if (!key.startsWith(REGISTRY_PREFIX)) return undefined;
    const third = key.indexOf('/', key.indexOf('/', REGISTRY_PREFIX.length) + 1);
    if (third < 0) return undefined;
    return this.resources.get(key.slice(0, third + 1));
  }

  private onEvents(events: StorageEvent[]): void {
    let last = this.rv;
    for (const e of events) {
      try {
        this.cacheFor(e.kv.key)?.apply(e);
      } catch (err) {
        this.options.logger.error({ err: String(err), key: e.kv.key }, 'watch cache could not apply an event');
      }
      if (e.revision > last) last = e.revision;
    }
    this.advance(last);
  }

  private advance(rv: number): void {
    if (rv <= this.rv) return;
    this.rv = rv;
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i]!;
      if (w.rv <= rv) {
        this.waiters.splice(i, 1);
        w.resolve();
      }
    }
    for (const l of this.progressListeners) l(rv);
  }

  /** Resolves true once the cache reflects `rv`, false after `timeoutMs`. */
  waitFor(rv: number, timeoutMs: number): Promise<boolean> {
    if (this.rv >= rv) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = { rv, resolve: () => {
        clearTimeout(timer);
        resolve(true);
      } };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve(false);
      }, timeoutMs);
      timer.unref();
      this.waiters.push(waiter);
    });
  }

  /**
   * Waits until the cache is as fresh as storage (a consistent read); false on timeout.
   * Storage's revision can also move for keys outside /registry/ (etcd's compact_rev_key),
   * which this watch never sees: when the cache does not catch up quickly, a write to a
   * progress key under /registry/ gives it a revision it will see (like etcd's progress
   * notifications), so a quiet cluster does not stall consistent reads.
   */
  async syncWithStorage(timeoutMs = 3000): Promise<boolean> {
    await this.start();
    const current = await this.options.storage.currentRevision();
    if (await this.waitFor(current, 200)) return true;
    const marker = await this.progressMark();
    return this.waitFor(Math.max(current, marker), timeoutMs);
  }

  private progress: Promise<number> | undefined;
  private progressRev = 0;
  private readonly progressKey = `${REGISTRY_PREFIX}skiff.dev/progress/${Math.random().toString(36).slice(2)}`;

  private progressMark(): Promise<number> {
    this.progress ??= (async () => {
      const { storage } = this.options;
      try {
        const kv = this.progressRev ? await storage.update(this.progressKey, '', this.progressRev) : await storage.create(this.progressKey, '');
        this.progressRev = kv.modRevision;
      } catch {
        // Another writer raced us or the key is gone: start over with a fresh key revision.
        const kv = await storage.get(this.progressKey);
        this.progressRev = kv ? (await storage.update(this.progressKey, '', kv.modRevision)).modRevision : (await storage.create(this.progressKey, '')).modRevision;
      }
      return this.progressRev;
    })().finally(() => {
      this.progress = undefined;
    });
    return this.progress;
  }

  onProgress(listener: (rv: number) => void): () => void {
    this.progressListeners.add(listener);
    return () => this.progressListeners.delete(listener);
  }

  watcherCount(): number {
    let n = 0;
    for (const rc of this.resources.values()) n += rc.subscribers.size;
    return n;
  }

  close(): void {
    this.closed = true;
    this.watcher?.stop();
    if (this.progressRev) this.options.storage.delete(this.progressKey).catch(() => {});
    for (const rc of this.resources.values()) {
      for (const s of [...rc.subscribers]) s.onReset();
      rc.subscribers.clear();
    }
  }
}
