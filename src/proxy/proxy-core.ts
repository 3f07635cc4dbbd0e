import type { EndpointSlice, Service } from '../api/types.js';
import type { Informer } from '../client/types.js';
import type { Clock } from '../util/clock.js';
import type { Exec } from '../util/exec.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { BoundedFrequencyRunner } from './bounded-frequency-runner.js';
import { deleteConntrack, staleUdpDeletions } from './conntrack.js';
import { categorizeEndpoints } from './endpoint-selection.js';
import { EndpointsChangeTracker } from './endpoints-change-tracker.js';
import { HealthCheckServers } from './health-check-server.js';
import { ProxyMetrics } from './metrics.js';
import { ServiceChangeTracker } from './service-change-tracker.js';
import type { ProxyBackend, ServicePortChange, ServicePortState } from './types.js';

export interface ProxyCoreOptions {
  backend: ProxyBackend;
  nodeName: string;
  clock: Clock;
  /** Runs `conntrack` (already wrapped for the right netns); needed by kernel modes. */
  exec?: Exec;
  metrics?: ProxyMetrics;
  logger?: Logger;
  /** Rate limit between syncs once the burst is spent (kube-proxy: minSyncPeriod). */
  minSyncIntervalMs?: number;
  /** A sync (normally a no-op) runs at least this often. */
  syncPeriodMs?: number;
  /** A full rebuild of the rules at least this often (repairs rules someone else changed). */
  fullSyncPeriodMs?: number;
  retryIntervalMs?: number;
  /** Where healthCheckNodePort servers listen; undefined = no health check servers. */
  healthCheckBindAddress?: string;
}

/**
 * The mode-agnostic proxy: informer events feed the two change trackers and ask the runner
 * for a sync; a sync recomputes only the changed Services' ports, hands the backend the
 * snapshot plus the delta, then flushes stale UDP conntrack entries and records metrics.
 * A failed sync keeps the loop alive and makes the next one full.
 */
export class ProxyCore {
  readonly services = new ServiceChangeTracker();
  readonly endpoints: EndpointsChangeTracker;
  readonly metrics: ProxyMetrics;
  private readonly ports = new Map<string, ServicePortState>();
  /** Service key → its port ids currently in `ports`. */
  private readonly portsByService = new Map<string, string[]>();
  private readonly runner: BoundedFrequencyRunner;
  private readonly log: Logger;
  private readonly health: HealthCheckServers | undefined;
  private needFull = true;
  private lastFullAt = 0;
  private syncs = 0;
  private readonly syncedWaiters: (() => void)[] = [];
  private servicesSynced: () => boolean = () => true;
  private slicesSynced: () => boolean = () => true;

  constructor(private readonly o: ProxyCoreOptions) {
    this.endpoints = new EndpointsChangeTracker(o.nodeName, o.clock);
    this.metrics = o.metrics ?? new ProxyMetrics();
    this.log = o.logger ?? silentLogger;
    this.health = o.healthCheckBindAddress !== undefined ? new HealthCheckServers(o.healthCheckBindAddress) : undefined;
    this.runner = new BoundedFrequencyRunner({
      fn: () => this.sync(),
      minIntervalMs: o.minSyncIntervalMs ?? 100,
      maxIntervalMs: o.syncPeriodMs ?? 30_000,
      burst: 2,
      retryIntervalMs: o.retryIntervalMs ?? 1000,
      clock: o.clock,
    });
  }

  /** Subscribes to the informers (call before they start). Syncing waits until both have listed. */
  attach(services: Informer<Service>, slices: Informer<EndpointSlice>): void {
    services.addEventHandler({
      onAdd: (s) => this.onService(undefined, s),
      onUpdate: (a, b) => this.onService(a, b),
      onDelete: (s) => this.onService(s, undefined),
    });
    slices.addEventHandler({
      onAdd: (s) => this.onSlice(undefined, s),
      onUpdate: (a, b) => this.onSlice(a, b),
      onDelete: (s) => this.onSlice(s, undefined),
    });
    this.servicesSynced = () => services.hasSynced();
    this.slicesSynced = () => slices.hasSynced();
    void services.whenSynced().then(() => this.runner.run());
    void slices.whenSynced().then(() => this.runner.run());
  }

  onService(oldSvc: Service | undefined, newSvc: Service | undefined): void {
    this.services.update(oldSvc, newSvc);
    this.runner.run();
  }

  onSlice(oldSlice: EndpointSlice | undefined, newSlice: EndpointSlice | undefined): void {
    this.endpoints.update(oldSlice, newSlice);
    this.runner.run();
  }

  start(): void {
    this.runner.start();
  }

  async stop(): Promise<void> {
    await this.runner.stop();
    await this.health?.close();
  }

  /** Resolves after the first successful sync. */
  whenSynced(): Promise<void> {
    if (this.syncs > 0) return Promise.resolve();
    return new Promise((r) => this.syncedWaiters.push(r));
  }

  /** Number of successful syncs (tests poll it). */
  get syncCount(): number {
    return this.syncs;
  }

  snapshotPorts(): ReadonlyMap<string, ServicePortState> {
    return this.ports;
  }

  /** One sync; public for tests and for `skiff proxy` one-shot use. Throws when the backend failed. */
  async sync(): Promise<void> {
    if (!this.servicesSynced() || !this.slicesSynced()) return; // never program a half-listed world
    const start = this.o.clock.now();
    const changedSvcs = this.services.takePending();
    const triggers = this.endpoints.takePending();
    for (const k of triggers.keys()) changedSvcs.add(k);
    const changes = this.recompute(changedSvcs);
    const full = this.needFull || start - this.lastFullAt >= (this.o.fullSyncPeriodMs ?? 3_600_000);
    const mode = this.o.backend.mode;
    let rules: number;
    try {
      ({ rules } = await this.o.backend.sync({ nodeName: this.o.nodeName, ports: this.ports }, changes, full));
    } catch (err) {
      this.needFull = true;
      this.endpoints.restorePending(triggers);
      this.metrics.syncFailures.inc({ mode });
      this.log.error({ err }, 'proxy sync failed; a full resync follows');
      throw err;
    }
    if (full) {
      this.needFull = false;
      this.lastFullAt = start;
    }
    const end = this.o.clock.now();
    if (this.o.backend.usesConntrack && this.o.exec) {
      const deletions = staleUdpDeletions(changes);
      if (deletions.length) await deleteConntrack(this.o.exec, deletions, this.log);
    }
    if (this.health) await this.health.update({ nodeName: this.o.nodeName, ports: this.ports });
    this.metrics.syncDuration.observe({ mode, kind: full ? 'full' : 'partial' }, (end - start) / 1000);
    for (const t of triggers.values()) this.metrics.networkProgrammingLatency.observe({ mode }, Math.max(0, end - t) / 1000);
    this.metrics.rules.set({ mode }, rules);
    this.metrics.servicePorts.set(this.ports.size);
    this.metrics.lastSync.set(end / 1000);
    if (changes.length || full) this.log.debug({ changes: changes.length, full, rules, ms: end - start }, 'proxy synced');
    this.syncs += 1;
    for (const w of this.syncedWaiters.splice(0)) w();
  }

  /** Rebuilds the ports of the given Services; returns what really changed. */
  private recompute(serviceKeys: Set<string>): ServicePortChange[] {
    const changes: ServicePortChange[] = [];
    for (const key of serviceKeys) {
      const oldIds = this.portsByService.get(key) ?? [];
      const newIds: string[] = [];
      for (const info of this.services.portsOf(key)) {
        const endpoints = this.endpoints.endpointsFor(key, info);
        const state: ServicePortState = { ...info, endpoints, ...categorizeEndpoints(info, endpoints) };
        newIds.push(info.id);
        const old = this.ports.get(info.id);
        if (old && sameState(old, state)) continue;
        this.ports.set(info.id, state);
        changes.push({ id: info.id, old, new: state });
      }
      for (const id of oldIds) {
        if (newIds.includes(id)) continue;
        const old = this.ports.get(id);
        this.ports.delete(id);
        if (old) changes.push({ id, old });
      }
      if (newIds.length) this.portsByService.set(key, newIds);
      else this.portsByService.delete(key);
    }
    return changes;
  }
}

function sameState(a: ServicePortState, b: ServicePortState): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
