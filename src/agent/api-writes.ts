/**
 * The agent's writes to the API server (pod status patches, events) through a small bounded
 * queue, status first. Why: a burst of pods otherwise fires ~5 writes per pod at once; each
 * one beyond the keep-alive pool opens a new TLS connection (a handshake on both sides, on
 * the same two cores that start the pods), and events delay the status patch that makes the
 * pod Ready. A few writes in flight keep the server busy just as well (it is one process).
 */
export type WritePriority = 'status' | 'event';

interface Queued {
  run(): void;
}

export class ApiWriteQueue {
  private inFlight = 0;
  private readonly waiting: Record<WritePriority, Queued[]> = { status: [], event: [] };

  constructor(private readonly limit = 4) {}

  /** Runs `fn` when a slot is free (status writes before events), resolving with its result. */
  run<T>(priority: WritePriority, fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const job: Queued = {
        run: () => {
          this.inFlight++;
          fn()
            .then(resolve, reject)
            .finally(() => {
              this.inFlight--;
              this.next();
            });
        },
      };
      this.waiting[priority].push(job);
      this.next();
    });
  }

  /** Writes queued or running (tests). */
  get pending(): number {
    return this.inFlight + this.waiting.status.length + this.waiting.event.length;
  }

  private next(): void {
    while (this.inFlight < this.limit) {
      const job = this.waiting.status.shift() ?? this.waiting.event.shift();
      if (!job) return;
      job.run();
    }
  }
}
