import type { Clock } from '../util/clock.js';

export interface BoundedFrequencyRunnerOptions {
  /** The work; a rejection schedules a retry after `retryIntervalMs`. */
  fn: () => Promise<void>;
  /** Minimum time between runs once the burst is spent. */
  minIntervalMs: number;
  /** Runs at least this often even when nobody asks (periodic resync). */
  maxIntervalMs: number;
  /** Runs allowed back to back before `minIntervalMs` applies (token bucket size). */
  burst?: number;
  retryIntervalMs?: number;
  clock: Clock;
}

/**
 * kube-proxy's BoundedFrequencyRunner: `run()` asks for a run "soon"; runs never overlap, are
 * rate limited by a token bucket (one token per `minIntervalMs`, `burst` at most), requests
 * arriving during a run collapse into one follow-up run, and the loop runs at least every
 * `maxIntervalMs`. A failed run is retried after `retryIntervalMs`.
 */
export class BoundedFrequencyRunner {
  private tokens: number;
  private lastRefill: number;
  private running = false;
  private requested = false;
  private stopped = true;
  private timerAt = Infinity;
  private cancelTimer: (() => void) | undefined;
  private idle: Promise<void> = Promise.resolve();

  constructor(private readonly o: BoundedFrequencyRunnerOptions) {
    this.tokens = o.burst ?? 2;
    this.lastRefill = o.clock.now();
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops scheduling; resolves when a run in progress has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.timerAt = Infinity;
    await this.idle;
  }

  run(): void {
    this.requested = true;
    if (!this.running) this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    const at = this.o.clock.now() + delayMs;
    if (at >= this.timerAt) return;
    this.cancelTimer?.();
    this.timerAt = at;
    this.cancelTimer = this.o.clock.setTimeout(() => {
      this.timerAt = Infinity;
      this.cancelTimer = undefined;
      this.tick();
    }, delayMs);
  }

  private refill(): void {
    const now = this.o.clock.now();
    const burst = this.o.burst ?? 2;
    const gained = Math.floor((now - this.lastRefill) / this.o.minIntervalMs);
    if (gained > 0) {
      this.tokens = Math.min(burst, this.tokens + gained);
      this.lastRefill = this.tokens === burst ? now : this.lastRefill + gained * this.o.minIntervalMs;
    }
  }

  private tick(): void {
    if (this.stopped || this.running) return;
    this.refill();
    if (this.tokens < 1) {
      this.schedule(this.lastRefill + this.o.minIntervalMs - this.o.clock.now());
      return;
    }
    this.tokens -= 1;
    this.running = true;
    this.requested = false;
    this.idle = this.o
      .fn()
      .then(
        () => this.o.maxIntervalMs,
        () => this.o.retryIntervalMs ?? 1000,
      )
      .then((next) => {
        this.running = false;
        if (this.requested) this.schedule(0);
        else this.schedule(next);
      });
  }
}
