/**
 * Controllers + scheduler in this process, over their own credential (DIR/components/
 * controllers.kubeconfig): what `skiff server` (unless --no-controllers) and `skiff up` embed.
 */
import { InformerFactory } from '../client/informer/informer-factory.js';
import { RestClient } from '../client/rest-client.js';
import { startControllerManager } from '../controllers/manager.js';
import { startScheduler } from '../scheduler/scheduler.js';
import type { Logger } from '../util/logger.js';

export interface ControlPlaneOptions {
  kubeconfig: string;
  logger: Logger;
  nodeMonitorGracePeriodMs?: number;
  podEvictionTimeoutMs?: number;
}

export async function startControlPlane(o: ControlPlaneOptions): Promise<{ stop(): Promise<void> }> {
  const client = await RestClient.fromKubeconfig(o.kubeconfig, { userAgent: 'skiff-controllers' });
  const informers = new InformerFactory({ client, logger: o.logger });
  const manager = await startControllerManager({
    client,
    informers,
    logger: o.logger,
    nodeMonitorGracePeriodMs: o.nodeMonitorGracePeriodMs,
    podEvictionTimeoutMs: o.podEvictionTimeoutMs,
  });
  const scheduler = await startScheduler({ client, informers, logger: o.logger });
  informers.start();
  return {
    async stop() {
      await scheduler.stop();
      await manager.stop();
      informers.stop();
      client.close();
    },
  };
}
