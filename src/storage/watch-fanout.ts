/**
 * In-process watch fan-out shared by the backends that own their history (memory, sqlite).
 *
 * Contract: the backend calls `publish` with committed events in revision order, exactly once
 * per revision, and registers a watcher with `add` in the same synchronous step in which it
 * read the backlog (events after `fromRevision` up to the current revision). Because both
 * happen without an `await` in between, no event can fall between the backlog and the live
 * stream. Each watcher also drops any event at or below the last revision it delivered, so an
 * overlap can never produce a duplicate.
 *
 * Delivery is asynchronous (one microtask per publish burst, for all watchers): a listener is
 * never called inside the writer's call stack, and all events that arrive before the microtask
 * runs are handed over in one `onEvents` call.
 */
import type { StorageError, StorageEvent, WatchListener, Watcher } from './storage.js';

class FanoutWatcher implements Watcher {
  pending: StorageEvent[] = [];
  error: StorageError | undefined;
  stopped = false;
  queued = false;

  constructor(
    private readonly fanout: WatchFanout,
    readonly prefix: string,
    public lastRevision: number,
    readonly listener: WatchListener,
  ) {}

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.pending = [];
    this.fanout.remove(this);
  }
}

export class WatchFanout {
  private readonly watchers = new Set<FanoutWatcher>();
  private dirty: FanoutWatcher[] = [];
  private scheduled = false;

  /** Number of live watchers (for metrics and tests). */
  get size(): number {
    return this.watchers.size;
  }

  /**
   * Registers a watcher that has already seen everything up to `fromRevision`, then queues
   * `backlog` (events with revision > fromRevision that are already committed, in order).
   */
  add(prefix: string, fromRevision: number, listener: WatchListener, backlog: readonly StorageEvent[]): Watcher {
    const w = new FanoutWatcher(this, prefix, fromRevision, listener);
    this.watchers.add(w);
    for (const ev of backlog) this.enqueue(w, ev);
    return w;
  }

  /** A watcher that fails right away (e.g. Compacted); the error is delivered asynchronously. */
  failed(listener: WatchListener, err: StorageError): Watcher {
    const w = new FanoutWatcher(this, '', 0, listener);
    w.error = err;
    this.markDirty(w);
    return w;
  }

  /** Hands committed events (revision order) to every watcher whose prefix matches. */
  publish(events: readonly StorageEvent[]): void {
    if (this.watchers.size === 0) return;
    for (const w of this.watchers) {
      for (const ev of events) {
        if (ev.kv.key.startsWith(w.prefix)) this.enqueue(w, ev);
      }
    }
  }

  /** Ends every watcher with `err` (after the events already queued for it). */
  failAll(err: StorageError): void {
    for (const w of this.watchers) {
      w.error = err;
      this.markDirty(w);
    }
    this.watchers.clear();
  }

  remove(w: FanoutWatcher): void {
    this.watchers.delete(w);
  }

  private enqueue(w: FanoutWatcher, ev: StorageEvent): void {
    if (ev.revision <= w.lastRevision) return;
    w.lastRevision = ev.revision;
    w.pending.push(ev);
    this.markDirty(w);
  }

  private markDirty(w: FanoutWatcher): void {
    if (!w.queued) {
      w.queued = true;
      this.dirty.push(w);
    }
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const dirty = this.dirty;
    this.dirty = [];
    for (const w of dirty) {
      w.queued = false;
      if (w.stopped) continue;
      const events = w.pending;
      if (events.length > 0) {
        w.pending = [];
        deliver(() => w.listener.onEvents(events));
      }
      if (w.error && !w.stopped) {
        w.stopped = true;
        this.watchers.delete(w);
        const err = w.error;
        deliver(() => w.listener.onError(err));
      }
    }
  };
}

/** A throwing listener must not starve the other watchers; its error surfaces as uncaught. */
function deliver(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    setImmediate(() => {
      throw err;
    });
  }
}
