/**
 * Controllers + scheduler in this process, over their own credential: the one wiring behind
 * `skiff controllers`, `skiff server` (unless --no-controllers) and `skiff up`. With leader
 * election (several servers over one etcd, or several `skiff controllers`), the controller
 * manager and the scheduler each compete for their own Lease, as kube-controller-manager and
 * kube-scheduler do, so only one of each acts.
 */
import { hostname } from 'node:os';
import { InformerFactory } from '../client/informer/informer-factory.js';
import { RestClient } from '../client/rest-client.js';
import { LeaderElector } from '../controllers/leader-election/leader-elector.js';
import { startControllerManager } from '../controllers/manager.js';
import type { ControllerMetrics } from '../controllers/shared/controller-metrics.js';
import { startScheduler } from '../scheduler/scheduler.js';
import type { Logger } from '../util/logger.js';

export interface ControlPlaneOptions {
  kubeconfig: string;
  logger: Logger;
  /** Run the controller manager (default true) and the scheduler (default true). */
  controllerManager?: boolean;
  scheduler?: boolean;
  /** Controller names (default: all). */
  controllers?: string[];
  leaderElection?: boolean;
  /** Identity in the Leases (default hostname_pid). */
  identity?: string;
  leaseDurationMs?: number;
  nodeMonitorGracePeriodMs?: number;
  podEvictionTimeoutMs?: number;
  workers?: number;
  metrics?: ControllerMetrics;
}

export async function startControlPlane(o: ControlPlaneOptions): Promise<{ stop(): Promise<void> }> {
  const client = await RestClient.fromKubeconfig(o.kubeconfig, { userAgent: 'skiff-controllers' });
  const informers = new InformerFactory({ client, logger: o.logger });
  const identity = o.identity ?? `${hostname()}_${process.pid}`;
  const stoppers: Array<() => Promise<void>> = [];
  if (o.controllerManager !== false) {
    const manager = await startControllerManager({
      client,
      informers,
      logger: o.logger,
      controllers: o.controllers,
      leaderElection: o.leaderElection ? { identity, leaseDurationMs: o.leaseDurationMs } : false,
      nodeMonitorGracePeriodMs: o.nodeMonitorGracePeriodMs,
      podEvictionTimeoutMs: o.podEvictionTimeoutMs,
      workers: o.workers,
      metrics: o.metrics,
    });
    stoppers.push(() => manager.stop());
  }
  if (o.scheduler !== false && o.leaderElection) {
    let current: Promise<{ stop(): Promise<void> }> | undefined;
    const elector = new LeaderElector({
      client,
      identity,
      name: 'skiff-scheduler',
      leaseDurationMs: o.leaseDurationMs,
      logger: o.logger,
      onStartedLeading: () => {
        current = startScheduler({ client, informers, logger: o.logger });
      },
      onStoppedLeading: () => {
        const c = current;
        current = undefined;
        void c?.then((s) => s.stop());
      },
    });
    elector.start();
    stoppers.push(async () => {
      await elector.stop();
      await (await current)?.stop();
    });
  } else if (o.scheduler !== false) {
    const scheduler = await startScheduler({ client, informers, logger: o.logger });
    stoppers.push(() => scheduler.stop());
  }
  informers.start();
  return {
    async stop() {
      for (const stop of stoppers.reverse()) await stop();
      informers.stop();
      client.close();
    },
  };
}
