/**
 * The loop every controller runs: handlers enqueue keys, N workers take keys and call
 * `sync(key)`; an error re-queues the key with per-item back-off, success forgets it. Workers
 * start only after every informer the controller reads has synced.
 */
import { isConflict, isNotFound } from '../../api/status-error.js';
import { RateLimitingQueue } from '../../client/workqueue/rate-limiting-queue.js';
import type { Informer } from '../../client/types.js';
import type { KubeObject } from '../../api/meta.js';
import { systemClock, type Clock } from '../../util/clock.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import type { ControllerMetrics } from './controller-metrics.js';

export interface QueueWorkerOptions {
  name: string;
  sync(key: string): Promise<void>;
  /** Informers that must have synced before the first sync. */
  informers: ReadonlyArray<Pick<Informer<KubeObject>, 'whenSynced'>>;
  workers?: number;
  clock?: Clock;
  logger?: Logger;
  baseDelayMs?: number;
  maxDelayMs?: number;
  metrics?: ControllerMetrics;
}

export class QueueWorker {
  readonly queue: RateLimitingQueue<string>;
  private running: Promise<void>[] = [];
  private readonly log: Logger;
  /** Completed syncs and failed ones (tests and metrics). */
  syncs = 0;
  failures = 0;

  constructor(private readonly opts: QueueWorkerOptions) {
    this.queue = new RateLimitingQueue<string>({ clock: opts.clock ?? systemClock, baseDelayMs: opts.baseDelayMs, maxDelayMs: opts.maxDelayMs ?? 60_000 });
    this.log = opts.logger ?? silentLogger;
    opts.metrics?.watchQueue(opts.name, () => this.queue.len());
  }

  enqueue(key: string): void {
    this.queue.add(key);
  }

  enqueueAfter(key: string, delayMs: number): void {
    this.queue.addAfter(key, delayMs);
  }

  async start(): Promise<void> {
    await Promise.all(this.opts.informers.map((i) => i.whenSynced()));
    if (this.queue.isShuttingDown()) return;
    const n = this.opts.workers ?? 2;
    for (let i = 0; i < n; i++) this.running.push(this.work());
  }

  async stop(): Promise<void> {
    this.queue.shutDown();
    await Promise.all(this.running);
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      const end = this.opts.metrics?.syncSeconds.startTimer({ controller: this.opts.name });
      try {
        await this.opts.sync(key);
        this.queue.forget(key);
        this.syncs++;
        this.opts.metrics?.syncs.inc({ controller: this.opts.name, result: 'success' });
      } catch (err) {
        this.failures++;
        this.opts.metrics?.syncs.inc({ controller: this.opts.name, result: 'error' });
        // Conflicts and vanished objects are normal races: retry quietly.
        if (isConflict(err) || isNotFound(err)) this.log.debug({ key, err: String(err) }, `${this.opts.name}: retrying`);
        else this.log.warn({ key, err: String(err) }, `${this.opts.name}: sync failed, retrying`);
        if (!this.queue.isShuttingDown()) this.queue.addRateLimited(key);
      } finally {
        end?.();
        this.queue.done(key);
      }
    }
  }
}
