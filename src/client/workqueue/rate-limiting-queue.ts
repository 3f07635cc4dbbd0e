/**
 * WorkQueue + delayed adds + per-item exponential back-off (client-go's
 * ItemExponentialFailureRateLimiter: 5 ms doubling to 1000 s by default). Time comes from the
 * injected Clock so tests advance it by hand.
 */
import { systemClock, type Clock } from '../../util/clock.js';
import { WorkQueue } from './work-queue.js';

export interface RateLimitingQueueOptions {
  clock?: Clock;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export class RateLimitingQueue<T = string> extends WorkQueue<T> {
  private readonly clock: Clock;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly failures = new Map<T, number>();
  /** Pending delayed adds: the earliest wins. */
  private readonly delayed = new Map<T, { at: number; cancel: () => void }>();

  constructor(opts: RateLimitingQueueOptions = {}) {
    super();
    this.clock = opts.clock ?? systemClock;
    this.baseDelayMs = opts.baseDelayMs ?? 5;
    this.maxDelayMs = opts.maxDelayMs ?? 1_000_000;
  }

  /** Adds `item` after `delayMs` (at once when ≤ 0). */
  addAfter(item: T, delayMs: number): void {
    if (this.isShuttingDown()) return;
    if (delayMs <= 0) {
      this.add(item);
      return;
    }
    const at = this.clock.now() + delayMs;
    const pending = this.delayed.get(item);
    if (pending) {
      if (pending.at <= at) return;
      pending.cancel();
    }
    const cancel = this.clock.setTimeout(() => {
      this.delayed.delete(item);
      this.add(item);
    }, delayMs);
    this.delayed.set(item, { at, cancel });
  }

  /** The back-off `item` would get next, counting this failure. */
  when(item: T): number {
    const n = this.failures.get(item) ?? 0;
    this.failures.set(item, n + 1);
    const delay = this.baseDelayMs * 2 ** n;
    return Math.min(this.maxDelayMs, delay);
  }

  /** Re-adds after the item's back-off (a failure). */
  addRateLimited(item: T): void {
    this.addAfter(item, this.when(item));
  }

  /** Clears the item's failure count (a success). */
  forget(item: T): void {
    this.failures.delete(item);
  }

  numRequeues(item: T): number {
    return this.failures.get(item) ?? 0;
  }

  override shutDown(): void {
    for (const d of this.delayed.values()) d.cancel();
    this.delayed.clear();
    super.shutDown();
  }
}
