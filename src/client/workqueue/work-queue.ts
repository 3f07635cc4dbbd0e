/**
 * A fair and stingy work queue (client-go's semantics):
 * - FIFO: items are handed out in the order they were first added;
 * - duplicates collapse: adding an item already waiting does nothing;
 * - never twice at once: an item being processed is not handed to another worker; if it is
 *   added again meanwhile it is queued once `done(item)` is called.
 * Workers loop `const item = await q.get(); if (item === undefined) return; ...; q.done(item)`.
 */
export class WorkQueue<T = string> {
  private queue: T[] = [];
  private head = 0;
  /** Items that need processing (queued, or re-added while processing). */
  private readonly dirty = new Set<T>();
  private readonly processing = new Set<T>();
  private waiters: Array<(item: T | undefined) => void> = [];
  private shuttingDown = false;
  private drainWaiters: Array<() => void> = [];

  add(item: T): void {
    if (this.shuttingDown) return;
    if (this.dirty.has(item)) return;
    this.dirty.add(item);
    if (this.processing.has(item)) return;
    this.push(item);
  }

  /** Items waiting (not counting those being processed). */
  len(): number {
    return this.queue.length - this.head;
  }

  processingCount(): number {
    return this.processing.size;
  }

  /** Next item, waiting if none; `undefined` once shut down. */
  get(): Promise<T | undefined> {
    const item = this.take();
    if (item !== undefined) return Promise.resolve(item);
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks the end of processing `item`; queues it again if it was added meanwhile. */
  done(item: T): void {
    this.processing.delete(item);
    if (this.dirty.has(item)) this.push(item);
    this.checkDrained();
  }

  shutDown(): void {
    this.shuttingDown = true;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w(undefined);
    this.checkDrained();
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Resolves when nothing is queued or processing (for tests and graceful stops). */
  whenIdle(): Promise<void> {
    if (this.len() === 0 && this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private push(item: T): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      this.dirty.delete(item);
      this.processing.add(item);
      waiter(item);
      return;
    }
    this.queue.push(item);
  }

  private take(): T | undefined {
    if (this.head >= this.queue.length) return undefined;
    const item = this.queue[this.head++];
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.dirty.delete(item);
    this.processing.add(item);
    return item;
  }

  private checkDrained(): void {
    if (this.drainWaiters.length === 0) return;
    if (this.len() === 0 && this.processing.size === 0) {
      const ws = this.drainWaiters;
      this.drainWaiters = [];
      for (const w of ws) w();
    }
  }
}
