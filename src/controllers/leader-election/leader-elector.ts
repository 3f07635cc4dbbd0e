/**
 * Leader election over a coordination.k8s.io/v1 Lease (client-go's leaderelection with a
 * LeaseLock): every `retryPeriodMs` a candidate tries to take or renew the Lease. The Lease
 * belongs to another holder until `leaseDurationMs` has passed since this candidate last SAW
 * it change (local observation time, so clocks need not agree). A leader that cannot renew
 * for `renewDeadlineMs` steps down. On stop() a leader releases the Lease so a standby takes
 * over at once.
 */
import { isAlreadyExists, isConflict, isNotFound } from '../../api/status-error.js';
import type { Lease } from '../../api/types.js';
import type { ApiClient } from '../../client/types.js';
import { rfc3339Micro, systemClock, type Clock } from '../../util/clock.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import { R } from '../shared/resources.js';

export interface LeaderElectorOptions {
  client: ApiClient;
  identity: string;
  namespace?: string;
  name?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  clock?: Clock;
  logger?: Logger;
  onStartedLeading(): void;
  onStoppedLeading(): void;
  onNewLeader?(identity: string): void;
}

export class LeaderElector {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly namespace: string;
  private readonly name: string;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private leading = false;
  private stopped = true;
  private cancelTimer?: () => void;
  private observedRecord = '';
  private observedAtMs = 0;
  private lastRenewMs = 0;
  private lastLeader = '';
  private tick: Promise<void> = Promise.resolve();

  constructor(private readonly opts: LeaderElectorOptions) {
    this.clock = opts.clock ?? systemClock;
    this.log = opts.logger ?? silentLogger;
    this.namespace = opts.namespace ?? 'kube-system';
    this.name = opts.name ?? 'skiff-controller-manager';
    this.leaseDurationMs = opts.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = opts.retryPeriodMs ?? 2_000;
  }

  isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops trying; a leader releases the Lease and steps down. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    await this.tick;
    if (this.leading) {
      try {
        const lease = await this.opts.client.get<Lease>(R.leases, this.name, this.namespace);
        if (lease.spec?.holderIdentity === this.opts.identity) {
          await this.opts.client.update(R.leases, { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: rfc3339Micro(this.clock.now()) } });
        }
      } catch (err) {
        this.log.debug({ err: String(err) }, 'leader election: release failed');
      }
      this.stepDown();
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.cancelTimer = this.clock.setTimeout(() => {
      this.tick = this.round().finally(() => this.schedule(this.retryPeriodMs));
    }, delayMs);
  }

  private stepDown(): void {
    if (!this.leading) return;
    this.leading = false;
    this.log.info({ identity: this.opts.identity }, 'leader election: stopped leading');
    this.opts.onStoppedLeading();
  }

  private async round(): Promise<void> {
    if (this.stopped) return;
    let ok = false;
    try {
      ok = await this.tryAcquireOrRenew();
    } catch (err) {
      this.log.debug({ err: String(err) }, 'leader election: round failed');
    }
    const now = this.clock.now();
    if (ok) {
      this.lastRenewMs = now;
      if (!this.leading && !this.stopped) {
        this.leading = true;
        this.log.info({ identity: this.opts.identity }, 'leader election: started leading');
        this.opts.onStartedLeading();
      }
    } else if (this.leading && now - this.lastRenewMs > this.renewDeadlineMs) {
      this.stepDown();
    }
  }

  private observe(lease: Lease): void {
    const record = JSON.stringify([lease.spec?.holderIdentity, lease.spec?.renewTime, lease.spec?.leaseDurationSeconds]);
    if (record !== this.observedRecord) {
      this.observedRecord = record;
      this.observedAtMs = this.clock.now();
    }
    const holder = lease.spec?.holderIdentity ?? '';
    if (holder && holder !== this.lastLeader) {
      this.lastLeader = holder;
      this.opts.onNewLeader?.(holder);
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { client, identity } = this.opts;
    const now = this.clock.now();
    const micro = rfc3339Micro(now);
    const durationSeconds = Math.max(1, Math.round(this.leaseDurationMs / 1000));
    let lease: Lease;
    try {
      lease = await client.get<Lease>(R.leases, this.name, this.namespace);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        const created = await client.create<Lease>(R.leases, {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.name, namespace: this.namespace },
          spec: { holderIdentity: identity, leaseDurationSeconds: durationSeconds, acquireTime: micro, renewTime: micro, leaseTransitions: 0 },
        });
        this.observe(created);
        return true;
      } catch (e) {
        if (isAlreadyExists(e)) return false;
        throw e;
      }
    }
    this.observe(lease);
    const holder = lease.spec?.holderIdentity ?? '';
    const heldByOther = holder !== '' && holder !== identity;
    const durMs = (lease.spec?.leaseDurationSeconds ?? durationSeconds) * 1000;
    if (heldByOther && this.observedAtMs + durMs > now) return false;
    const spec = { ...lease.spec, holderIdentity: identity, leaseDurationSeconds: durationSeconds, renewTime: micro };
    if (holder !== identity) {
      spec.acquireTime = micro;
      spec.leaseTransitions = (lease.spec?.leaseTransitions ?? 0) + (holder ? 1 : 0);
    }
    try {
      const updated = await client.update<Lease>(R.leases, { ...lease, spec });
      this.observe(updated);
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }
}
