/**
 * Prometheus metrics of the controller manager (own registry, so several managers can share a
 * process): syncs by controller and result, sync duration, work queue depth and retries,
 * events dropped by the recorder's spam filter. Served by `skiff controllers --metrics-port`.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export class ControllerMetrics {
  readonly registry = new Registry();
  readonly syncs = new Counter({ name: 'skiff_controller_syncs_total', help: 'sync(key) calls by controller and result', labelNames: ['controller', 'result'] as const, registers: [this.registry] });
  readonly syncSeconds = new Histogram({
    name: 'skiff_controller_sync_duration_seconds',
    help: 'duration of one sync(key)',
    labelNames: ['controller'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  private readonly depthSources = new Map<string, () => number>();

  constructor() {
    const sources = this.depthSources;
    new Gauge({
      name: 'skiff_workqueue_depth',
      help: 'keys waiting in a controller work queue',
      labelNames: ['controller'] as const,
      registers: [this.registry],
      collect() {
        for (const [name, fn] of sources) this.set({ controller: name }, fn());
      },
    });
  }

  /** Registers a queue whose depth is read at scrape time. */
  watchQueue(controller: string, depth: () => number): void {
    this.depthSources.set(controller, depth);
  }
}
