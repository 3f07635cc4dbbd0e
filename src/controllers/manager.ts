/**
 * The controller manager: builds the enabled controllers over one shared InformerFactory and
 * runs them, optionally only while holding the leader Lease (so several managers can run
 * against one API server and exactly one acts).
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { InformerFactory } from '../client/informer/informer-factory.js';
import { EventRecorder } from '../client/record/event-recorder.js';
import type { ApiClient } from '../client/types.js';
import { systemClock, type Clock } from '../util/clock.js';
import { createLogger, type Logger } from '../util/logger.js';
import { DeploymentController } from './deployment/deployment-controller.js';
import { EndpointsController } from './endpoints/endpoints-controller.js';
import { EndpointSliceController } from './endpointslice/endpointslice-controller.js';
import { EndpointSliceMirroringController } from './endpointslice-mirroring/endpointslice-mirroring-controller.js';
import { GarbageCollector } from './garbage-collector/garbage-collector.js';
import { NamespaceController } from './namespace/namespace-controller.js';
import { NodeLifecycleController } from './node-lifecycle/node-lifecycle-controller.js';
import { ServiceAccountController } from './serviceaccount/serviceaccount-controller.js';
import { LeaderElector } from './leader-election/leader-elector.js';
import { REPLICA_SET_KIND, REPLICATION_CONTROLLER_KIND, ReplicaSetController } from './replicaset/replica-set-controller.js';
import type { Controller, ControllerContext } from './shared/controller-context.js';
import type { ControllerMetrics } from './shared/controller-metrics.js';

export interface LeaderElectionOptions {
  identity?: string;
  namespace?: string;
  name?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export interface ControllerManagerOptions {
  client: ApiClient;
  /** Shared informers (e.g. with a scheduler in the same process); a private factory otherwise. */
  informers?: InformerFactory;
  clock?: Clock;
  logger?: Logger;
  /** Controller names to run (default: all). See CONTROLLER_NAMES. */
  controllers?: string[];
  /** Off by default; pass `true` or options to compete for the Lease. */
  leaderElection?: boolean | LeaderElectionOptions;
  /** Node lifecycle: a Node whose Lease is older than this becomes NotReady/Unknown (default 40 s). */
  nodeMonitorGracePeriodMs?: number;
  /** Node lifecycle: pods on an unreachable node are evicted after this (default 300 s; pod tolerationSeconds wins). */
  podEvictionTimeoutMs?: number;
  /** How often the node lifecycle controller checks leases (default 5 s). */
  nodeMonitorPeriodMs?: number;
  /** Workers per controller (default 4). */
  workers?: number;
  /** Sync counters, durations and queue depths go here when given. */
  metrics?: ControllerMetrics;
}

export interface ControllerManager {
  isLeader(): boolean;
  /** Controllers currently running (empty while standing by). */
  running(): Controller[];
  stop(): Promise<void>;
}

type Factory = (ctx: ControllerContext, opts: ControllerManagerOptions) => Controller;

const FACTORIES: Record<string, Factory> = {
  endpoints: (ctx, o) => new EndpointsController(ctx, { workers: o.workers }),
  endpointslice: (ctx, o) => new EndpointSliceController(ctx, { workers: o.workers }),
  endpointslicemirroring: (ctx) => new EndpointSliceMirroringController(ctx),
  replicaset: (ctx, o) => new ReplicaSetController(ctx, REPLICA_SET_KIND, { workers: o.workers }),
  deployment: (ctx, o) => new DeploymentController(ctx, { workers: o.workers }),
  garbagecollector: (ctx, o) => new GarbageCollector(ctx, { workers: o.workers }),
  namespace: (ctx) => new NamespaceController(ctx),
  nodelifecycle: (ctx, o) => new NodeLifecycleController(ctx, { gracePeriodMs: o.nodeMonitorGracePeriodMs, podEvictionTimeoutMs: o.podEvictionTimeoutMs, monitorPeriodMs: o.nodeMonitorPeriodMs }),
  serviceaccount: (ctx) => new ServiceAccountController(ctx),
  replicationcontroller: (ctx, o) => new ReplicaSetController(ctx, REPLICATION_CONTROLLER_KIND, { workers: o.workers }),
};

export const CONTROLLER_NAMES = Object.keys(FACTORIES);

export async function startControllerManager(opts: ControllerManagerOptions): Promise<ControllerManager> {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? createLogger('controller-manager');
  const names = opts.controllers ?? CONTROLLER_NAMES;
  for (const n of names) if (!FACTORIES[n]) throw new Error(`unknown controller ${JSON.stringify(n)} (known: ${CONTROLLER_NAMES.join(', ')})`);
  let current: { controllers: Controller[]; informers: InformerFactory; recorder: EventRecorder; own: boolean } | undefined;
  let transition: Promise<void> = Promise.resolve();

  const startAll = async () => {
    const own = !opts.informers;
    const informers = opts.informers ?? new InformerFactory({ client: opts.client, clock, logger });
    const recorder = new EventRecorder({ client: opts.client, component: 'controller-manager', clock, logger });
    const ctx: ControllerContext = { client: opts.client, informers, clock, logger, recorder, metrics: opts.metrics };
    const controllers = names.map((n) => FACTORIES[n](ctx, opts));
    for (const c of controllers) await c.start();
    informers.start();
    current = { controllers, informers, recorder, own };
    logger.info({ controllers: names }, 'controllers started');
  };
  const stopAll = async () => {
    const c = current;
    current = undefined;
    if (!c) return;
    await Promise.all(c.controllers.map((x) => x.stop()));
    await c.recorder.flush();
    if (c.own) c.informers.stop();
  };

  if (!opts.leaderElection) {
    await startAll();
    return { isLeader: () => true, running: () => current?.controllers ?? [], stop: stopAll };
  }
  const le = opts.leaderElection === true ? {} : opts.leaderElection;
  const elector = new LeaderElector({
    client: opts.client,
    identity: le.identity ?? `${hostname()}_${randomUUID()}`,
    namespace: le.namespace,
    name: le.name,
    leaseDurationMs: le.leaseDurationMs,
    renewDeadlineMs: le.renewDeadlineMs,
    retryPeriodMs: le.retryPeriodMs,
    clock,
    logger,
    onStartedLeading: () => {
      transition = transition.then(startAll);
    },
    onStoppedLeading: () => {
      transition = transition.then(stopAll);
    },
  });
  elector.start();
  return {
    isLeader: () => elector.isLeader(),
    running: () => current?.controllers ?? [],
    stop: async () => {
      await elector.stop();
      await transition;
      await stopAll();
    },
  };
}
