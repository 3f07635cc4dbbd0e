/**
 * One reflector + one store + many handlers. Handlers run synchronously, in registration
 * order, after the store has been updated (so a handler reading the store sees the new
 * state). A handler that throws is logged and does not stop the others.
 */
import { objectKey, type KubeObject, type WatchEvent } from '../../api/meta.js';
import type { ResourceInfo } from '../../api/resources.js';
import type { Clock } from '../../util/clock.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import type { ApiClient, EventHandlers, Informer } from '../types.js';
import { Reflector } from './reflector.js';
import { ThreadSafeStore, type IndexFunc } from './thread-safe-store.js';

export interface SharedInformerOptions {
  client: ApiClient;
  resource: ResourceInfo;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  clock?: Clock;
  logger?: Logger;
  pageSize?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  watchTimeoutSeconds?: number;
}

export class SharedInformer<T extends KubeObject> implements Informer<T> {
  readonly store = new ThreadSafeStore<T>();
  readonly resource: ResourceInfo;
  private readonly handlers: EventHandlers<T>[] = [];
  private readonly reflector: Reflector<T>;
  private readonly log: Logger;
  private synced = false;
  private started = false;
  private syncWaiters: Array<() => void> = [];

  constructor(opts: SharedInformerOptions) {
    this.resource = opts.resource;
    this.log = opts.logger ?? silentLogger;
    this.reflector = new Reflector<T>({
      ...opts,
      onReplace: (items) => this.replace(items),
      onEvent: (ev) => this.handleEvent(ev),
    });
  }

  /** Full lists done so far (1 after the first sync; more after re-lists). */
  get listCount(): number {
    return this.reflector.listCount;
  }

  get lastResourceVersion(): string {
    return this.reflector.resourceVersion;
  }

  addEventHandler(handlers: EventHandlers<T>): void {
    this.handlers.push(handlers);
    // A late handler learns the current state as adds, like client-go.
    if (this.synced && handlers.onAdd) for (const obj of this.store.list()) this.call(() => handlers.onAdd!(obj));
  }

  addIndex(name: string, fn: IndexFunc<T>): void {
    this.store.addIndex(name, fn);
  }

  hasIndex(name: string): boolean {
    return this.store.hasIndex(name);
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.reflector.start();
  }

  stop(): void {
    this.started = false;
    this.reflector.stop();
  }

  isStarted(): boolean {
    return this.started;
  }

  hasSynced(): boolean {
    return this.synced;
  }

  whenSynced(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error({ err, resource: this.resource.resource }, 'informer: event handler threw');
    }
  }

  private replace(items: T[]): void {
    const seen = new Set<string>();
    for (const obj of items) {
      const key = objectKey(obj.metadata);
      seen.add(key);
      const old = this.store.upsert(obj);
      if (!old) this.emitAdd(obj);
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) this.emitUpdate(old, obj);
    }
    for (const key of this.store.keys()) {
      if (seen.has(key)) continue;
      const old = this.store.remove(key);
      if (old) this.emitDelete(old);
    }
    if (!this.synced) {
      this.synced = true;
      const waiters = this.syncWaiters;
      this.syncWaiters = [];
      for (const w of waiters) w();
    }
  }

  private handleEvent(ev: WatchEvent<T>): void {
    const obj = ev.object;
    if (!obj?.metadata) return;
    const key = objectKey(obj.metadata);
    if (ev.type === 'DELETED') {
      const old = this.store.remove(key);
      this.emitDelete(obj ?? old);
      return;
    }
    // ADDED and MODIFIED both mean "this is the current state".
    const old = this.store.upsert(obj);
    if (old) this.emitUpdate(old, obj);
    else this.emitAdd(obj);
  }

  private emitAdd(obj: T): void {
    for (const h of this.handlers) if (h.onAdd) this.call(() => h.onAdd!(obj));
  }

  private emitUpdate(old: T, obj: T): void {
    for (const h of this.handlers) if (h.onUpdate) this.call(() => h.onUpdate!(old, obj));
  }

  private emitDelete(obj: T): void {
    for (const h of this.handlers) if (h.onDelete) this.call(() => h.onDelete!(obj));
  }
}
