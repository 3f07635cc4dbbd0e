/**
 * A synchronous in-memory Informer for DNS unit tests and benchmarks: add/update/remove call
 * the handlers immediately, `markSynced()` flips hasSynced (tests decide when "the first list"
 * has been delivered).
 */
import type { KubeObject } from '../../api/meta.js';
import type { EventHandlers, Informer, Store } from '../../client/types.js';

export class FakeInformer<T extends KubeObject> implements Informer<T> {
  private readonly objects = new Map<string, T>();
  private readonly handlers: EventHandlers<T>[] = [];
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  /** When false, objects are not kept after delivery (memory benchmarks of the DNS side alone). */
  keepObjects = true;
  started = false;

  readonly store: Store<T> = {
    get: (key) => this.objects.get(key),
    list: () => [...this.objects.values()],
    byIndex: (_name, value) => [...this.objects.values()].filter((o) => o.metadata.namespace === value),
  };

  constructor(options: { synced?: boolean } = {}) {
    this.synced = options.synced ?? false;
  }

  private key(o: T): string {
    return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : (o.metadata.name ?? '');
  }

  addEventHandler(h: EventHandlers<T>): void {
    this.handlers.push(h);
    for (const o of this.objects.values()) h.onAdd?.(o);
  }

  addIndex(): void {}

  start(): void {
    this.started = true;
  }

  stop(): void {
    this.started = false;
  }

  hasSynced(): boolean {
    return this.synced;
  }

  whenSynced(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((r) => this.syncWaiters.push(r));
  }

  markSynced(): void {
    this.synced = true;
    for (const w of this.syncWaiters) w();
    this.syncWaiters = [];
  }

  /** Add or update. */
  apply(o: T): void {
    const k = this.key(o);
    const old = this.objects.get(k);
    if (this.keepObjects) this.objects.set(k, o);
    for (const h of this.handlers) {
      if (old) h.onUpdate?.(old, o);
      else h.onAdd?.(o);
    }
  }

  remove(o: T): void {
    const k = this.key(o);
    const old = this.objects.get(k) ?? o;
    this.objects.delete(k);
    for (const h of this.handlers) h.onDelete?.(old);
  }
}
