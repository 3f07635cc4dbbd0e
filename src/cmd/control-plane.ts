/**
 * Controllers + scheduler in this process, over their own credential (DIR/components/
 * controllers.kubeconfig): what `skiff server` (unless --no-controllers) and `skiff up` embed.
 * With leader election (several `skiff server`s over one etcd), the controller manager and
 * the scheduler each compete for their own Lease, as kube-controller-manager and
 * kube-scheduler do, so only one of each acts.
 */
import { hostname } from 'node:os';
import { InformerFactory } from '../client/informer/informer-factory.js';
import { RestClient } from '../client/rest-client.js';
import { LeaderElector } from '../controllers/leader-election/leader-elector.js';
import { startControllerManager } from '../controllers/manager.js';
import { startScheduler } from '../scheduler/scheduler.js';
import type { Logger } from '../util/logger.js';

export interface ControlPlaneOptions {
  kubeconfig: string;
  logger: Logger;
  leaderElection?: boolean;
  nodeMonitorGracePeriodMs?: number;
  podEvictionTimeoutMs?: number;
}

export async function startControlPlane(o: ControlPlaneOptions): Promise<{ stop(): Promise<void> }> {
  const client = await RestClient.fromKubeconfig(o.kubeconfig, { userAgent: 'skiff-controllers' });
  const informers = new InformerFactory({ client, logger: o.logger });
  const identity = `${hostname()}_${process.pid}`;
  const manager = await startControllerManager({
    client,
    informers,
    logger: o.logger,
    leaderElection: o.leaderElection ? { identity } : false,
    nodeMonitorGracePeriodMs: o.nodeMonitorGracePeriodMs,
    podEvictionTimeoutMs: o.podEvictionTimeoutMs,
  });
  let stopScheduler: () => Promise<void>;
  if (o.leaderElection) {
    let current: Promise<{ stop(): Promise<void> }> | undefined;
    const elector = new LeaderElector({
      client,
      identity,
      name: 'skiff-scheduler',
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
    stopScheduler = async () => {
      await elector.stop();
      await (await current)?.stop();
    };
  } else {
    const scheduler = await startScheduler({ client, informers, logger: o.logger });
    stopScheduler = () => scheduler.stop();
  }
  informers.start();
  return {
    async stop() {
      await stopScheduler();
      await manager.stop();
      informers.stop();
      client.close();
    },
  };
}
