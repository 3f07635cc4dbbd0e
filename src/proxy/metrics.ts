import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The proxy's Prometheus metrics, in a registry of its own (several proxies may share a process in tests). */
export class ProxyMetrics {
  readonly registry = new Registry();
  readonly syncDuration = new Histogram({
    name: 'skiff_proxy_sync_proxy_rules_duration_seconds',
    help: 'Time to turn the desired state into rules and apply them',
    labelNames: ['mode', 'kind'],
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30],
    registers: [this.registry],
  });
  readonly networkProgrammingLatency = new Histogram({
    name: 'skiff_proxy_network_programming_duration_seconds',
    help: 'From an endpoint change (EndpointSlice last-change-trigger-time, else event arrival) to rules applied',
    labelNames: ['mode'],
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly rules = new Gauge({
    name: 'skiff_proxy_rules',
    help: 'Rules, map elements or listeners the backend holds after the last sync',
    labelNames: ['mode'],
    registers: [this.registry],
  });
  readonly servicePorts = new Gauge({
    name: 'skiff_proxy_service_ports',
    help: 'Service ports in the desired state',
    registers: [this.registry],
  });
  readonly syncFailures = new Counter({
    name: 'skiff_proxy_sync_failures_total',
    help: 'Syncs whose rules could not be applied (each schedules a full resync)',
    labelNames: ['mode'],
    registers: [this.registry],
  });
  readonly lastSync = new Gauge({
    name: 'skiff_proxy_last_sync_timestamp_seconds',
    help: 'When rules were last applied successfully',
    registers: [this.registry],
  });
}
