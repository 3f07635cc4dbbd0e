/** Prometheus metrics of one API server (own registry, so several servers share a process). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Storage } from '../storage/storage.js';

export class ApiMetrics {
  readonly registry = new Registry();

  constructor() {
    // process_resident_memory_bytes, nodejs_heap_size_used_bytes, event loop lag, GC ...
    collectDefaultMetrics({ register: this.registry });
  }

  readonly requests = new Counter({
    name: 'apiserver_request_total',
    help: 'API requests by verb, resource and HTTP code',
    labelNames: ['verb', 'resource', 'subresource', 'code'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'apiserver_request_duration_seconds',
    help: 'API request latency (watches: time to first byte)',
    labelNames: ['verb', 'resource'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly watchers = new Gauge({
    name: 'apiserver_registered_watchers',
    help: 'Open watch streams by resource',
    labelNames: ['resource'] as const,
    registers: [this.registry],
  });
  readonly storageLatency = new Histogram({
    name: 'skiff_storage_request_duration_seconds',
    help: 'Storage call latency by operation',
    labelNames: ['operation'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly watchEvents = new Counter({
    name: 'apiserver_watch_events_total',
    help: 'Watch events written to clients by resource',
    labelNames: ['resource'] as const,
    registers: [this.registry],
  });
}

/** Wraps a Storage so each call is timed into `skiff_storage_request_duration_seconds`. */
export function timedStorage(inner: Storage, metrics: ApiMetrics): Storage {
  const timed = <A extends unknown[], R>(op: string, fn: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      const end = metrics.storageLatency.startTimer({ operation: op });
      try {
        return await fn(...a);
      } finally {
        end();
      }
    };
  return {
    get: timed('get', inner.get.bind(inner)),
    list: timed('list', inner.list.bind(inner)),
    count: timed('count', inner.count.bind(inner)),
    create: timed('create', inner.create.bind(inner)),
    update: timed('update', inner.update.bind(inner)),
    delete: timed('delete', inner.delete.bind(inner)),
    watch: inner.watch.bind(inner),
    currentRevision: timed('currentRevision', inner.currentRevision.bind(inner)),
    compactedRevision: inner.compactedRevision.bind(inner),
    compact: inner.compact.bind(inner),
    close: inner.close.bind(inner),
  };
}
