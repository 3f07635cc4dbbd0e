/**
 * The scheduler: binds each pending pod (no nodeName, schedulerName default-scheduler) to a
 * node through the pods/binding subresource.
 *
 * Filters (a node must pass all): schedulable (`spec.unschedulable` unset), every NoSchedule /
 * NoExecute taint tolerated, Ready, `nodeSelector` and required node affinity match, requests
 * fit the allocatable cpu (millicores), memory (bytes) and pod count after what is already
 * placed there (bound pods plus pods this scheduler bound but the informer has not shown yet).
 * Score (lowest wins): pods of the same Service / same controller already on the node (spread),
 * then number of pods, then requested fraction, then node name.
 *
 * A pod that fits nowhere gets `PodScheduled=False` (reason Unschedulable) with Kubernetes'
 * message ("0/2 nodes are available: 1 Insufficient cpu, ..."), a FailedScheduling Event, and
 * is retried with back-off and whenever a node changes.
 */
import { objectKey, type KubeObject } from '../api/meta.js';
import { findResource } from '../api/resources.js';
import { isConflict, isNotFound } from '../api/status-error.js';
import type { Condition, Node, Pod, Service, Taint, Toleration } from '../api/types.js';
import { InformerFactory } from '../client/informer/informer-factory.js';
import type { SharedInformer } from '../client/informer/shared-informer.js';
import { EventRecorder } from '../client/record/event-recorder.js';
import type { ApiClient } from '../client/types.js';
import { RateLimitingQueue } from '../client/workqueue/rate-limiting-queue.js';
import { systemClock, type Clock } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { cpuMillis, memoryBytes, podRequests, type ResourceVector } from './pod-resources.js';

const PODS = findResource('', 'pods')!;
const NODES = findResource('', 'nodes')!;
const SERVICES = findResource('', 'services')!;
const NODE_INDEX = 'scheduler-node';

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

export interface SchedulerOptions {
  client: ApiClient;
  informers?: InformerFactory;
  clock?: Clock;
  logger?: Logger;
  recorder?: EventRecorder;
  schedulerName?: string;
  workers?: number;
  /** Back-off for unschedulable pods (base, cap); default 1 s .. 60 s. */
  retryBaseMs?: number;
  retryMaxMs?: number;
}

interface NodeUse {
  requested: ResourceVector;
  podKeys: Set<string>;
}

function tolerates(tolerations: Toleration[] | undefined, taint: Taint): boolean {
  for (const t of tolerations ?? []) {
    if (t.effect && t.effect !== taint.effect) continue;
    if (t.operator === 'Exists') {
      if (!t.key || t.key === taint.key) return true;
      continue;
    }
    if (t.key === taint.key && (t.value ?? '') === (taint.value ?? '')) return true;
  }
  return false;
}

function nodeReady(node: Node): boolean {
  return node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
}

type NodeSelectorRequirement = { key: string; operator: string; values?: string[] };

function requirementMatches(labels: Record<string, string>, r: NodeSelectorRequirement): boolean {
  const v = labels[r.key];
  switch (r.operator) {
    case 'In':
      return v !== undefined && (r.values ?? []).includes(v);
    case 'NotIn':
      return v === undefined || !(r.values ?? []).includes(v);
    case 'Exists':
      return v !== undefined;
    case 'DoesNotExist':
      return v === undefined;
    case 'Gt':
      return v !== undefined && Number(v) > Number(r.values?.[0]);
    case 'Lt':
      return v !== undefined && Number(v) < Number(r.values?.[0]);
    default:
      return false;
  }
}

/** nodeSelector AND required node affinity (terms ORed, expressions ANDed). */
export function nodeMatchesPod(node: Node, pod: Pod): boolean {
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const affinity = pod.spec?.affinity as
    | { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: { matchExpressions?: NodeSelectorRequirement[]; matchFields?: NodeSelectorRequirement[] }[] } } }
    | undefined;
  const terms = affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (!terms || terms.length === 0) return true;
  return terms.some((t) => {
    const exprs = t.matchExpressions ?? [];
    const fields = t.matchFields ?? [];
    if (exprs.length === 0 && fields.length === 0) return false;
    return exprs.every((r) => requirementMatches(labels, r)) && fields.every((r) => requirementMatches({ 'metadata.name': node.metadata.name ?? '' }, r));
  });
}

function allocatable(node: Node): ResourceVector {
  const a = node.status?.allocatable ?? node.status?.capacity ?? {};
  return {
    cpuMillis: a.cpu === undefined ? Infinity : cpuMillis(a.cpu),
    memoryBytes: a.memory === undefined ? Infinity : memoryBytes(a.memory),
    pods: a.pods === undefined ? 110 : Number(a.pods),
  };
}

function isTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

export class Scheduler {
  readonly schedulerName: string;
  readonly queue: RateLimitingQueue<string>;
  private readonly informers: InformerFactory;
  private readonly ownsInformers: boolean;
  private readonly pods: SharedInformer<Pod>;
  private readonly nodes: SharedInformer<Node>;
  private readonly services: SharedInformer<Service>;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly recorder: EventRecorder;
  /** Pods bound by us that the informer has not yet shown bound: key → node. */
  private readonly assumed = new Map<string, { node: string; requests: ResourceVector }>();
  private readonly unschedulable = new Set<string>();
  private workers: Promise<void>[] = [];
  private synced: Promise<void> = Promise.resolve();
  /** Bindings made and scheduling failures (metrics, tests). */
  bound = 0;
  failedAttempts = 0;

  constructor(private readonly opts: SchedulerOptions) {
    this.schedulerName = opts.schedulerName ?? DEFAULT_SCHEDULER_NAME;
    this.clock = opts.clock ?? systemClock;
    this.log = opts.logger ?? silentLogger;
    this.ownsInformers = !opts.informers;
    this.informers = opts.informers ?? new InformerFactory({ client: opts.client, clock: this.clock, logger: this.log });
    this.recorder = opts.recorder ?? new EventRecorder({ client: opts.client, component: this.schedulerName, clock: this.clock, logger: this.log });
    this.queue = new RateLimitingQueue<string>({ clock: this.clock, baseDelayMs: opts.retryBaseMs ?? 1000, maxDelayMs: opts.retryMaxMs ?? 60_000 });
    this.pods = this.informers.informerFor<Pod>(PODS);
    this.nodes = this.informers.informerFor<Node>(NODES);
    this.services = this.informers.informerFor<Service>(SERVICES);
    if (!this.pods.hasIndex(NODE_INDEX)) this.pods.addIndex(NODE_INDEX, (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []));
  }

  private responsible(pod: Pod): boolean {
    return (pod.spec?.schedulerName ?? DEFAULT_SCHEDULER_NAME) === this.schedulerName;
  }

  private pending(pod: Pod): boolean {
    return !pod.spec?.nodeName && !pod.metadata.deletionTimestamp && !isTerminal(pod) && this.responsible(pod);
  }

  async start(): Promise<void> {
    const onPod = (pod: Pod) => {
      const key = objectKey(pod.metadata);
      if (pod.spec?.nodeName) {
        this.assumed.delete(key);
        this.unschedulable.delete(key);
      }
      if (this.pending(pod)) this.queue.add(key);
    };
    this.pods.addEventHandler({
      onAdd: onPod,
      onUpdate: (_o, n) => onPod(n),
      onDelete: (pod) => {
        const key = objectKey(pod.metadata);
        this.assumed.delete(key);
        this.unschedulable.delete(key);
        // Capacity freed: pods waiting for room may fit now.
        if (pod.spec?.nodeName) this.retryUnschedulable();
      },
    });
    this.nodes.addEventHandler({ onAdd: () => this.retryUnschedulable(), onUpdate: (o, n) => this.nodeChanged(o, n) });
    if (this.ownsInformers) this.informers.start();
    // Workers begin once the caches are complete; a shared factory may be started after us.
    this.synced = Promise.all([this.pods.whenSynced(), this.nodes.whenSynced(), this.services.whenSynced()]).then(() => {
      if (this.queue.isShuttingDown()) return;
      const n = this.opts.workers ?? 1;
      for (let i = 0; i < n; i++) this.workers.push(this.work());
    });
  }

  /** Resolves when the caches have synced and workers run. */
  whenRunning(): Promise<void> {
    return this.synced;
  }

  async stop(): Promise<void> {
    this.queue.shutDown();
    await Promise.all(this.workers);
    await this.recorder.flush();
    if (this.ownsInformers) this.informers.stop();
  }

  private nodeChanged(o: Node, n: Node): void {
    // Heartbeat-only updates do not change feasibility.
    if (JSON.stringify([o.spec, o.metadata.labels, o.status?.allocatable, nodeReady(o)]) === JSON.stringify([n.spec, n.metadata.labels, n.status?.allocatable, nodeReady(n)])) return;
    this.retryUnschedulable();
  }

  private retryUnschedulable(): void {
    for (const key of this.unschedulable) this.queue.add(key);
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        const retry = await this.scheduleOne(key);
        if (retry) this.queue.addRateLimited(key);
        else this.queue.forget(key);
      } catch (err) {
        this.log.warn({ key, err: String(err) }, 'scheduler: attempt failed');
        this.queue.addRateLimited(key);
      } finally {
        this.queue.done(key);
      }
    }
  }

  private nodeUse(nodeName: string): NodeUse {
    const use: NodeUse = { requested: { cpuMillis: 0, memoryBytes: 0, pods: 0 }, podKeys: new Set() };
    const add = (key: string, r: ResourceVector) => {
      if (use.podKeys.has(key)) return;
      use.podKeys.add(key);
      use.requested.cpuMillis += r.cpuMillis;
      use.requested.memoryBytes += r.memoryBytes;
      use.requested.pods += 1;
    };
    for (const p of this.pods.store.byIndex(NODE_INDEX, nodeName)) if (!isTerminal(p)) add(objectKey(p.metadata), podRequests(p));
    for (const [key, a] of this.assumed) if (a.node === nodeName) add(key, a.requests);
    return use;
  }

  /** Why `node` cannot take `pod`, or [] if it can. */
  private filter(node: Node, pod: Pod, req: ResourceVector, use: NodeUse): string[] {
    if (node.spec?.unschedulable) return ['node(s) were unschedulable'];
    for (const t of node.spec?.taints ?? []) {
      if (t.effect !== 'NoSchedule' && t.effect !== 'NoExecute') continue;
      if (!tolerates(pod.spec?.tolerations, t)) return [`node(s) had untolerated taint {${t.key}: ${t.value ?? ''}}`];
    }
    if (!nodeReady(node)) {
      const t: Taint = { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' };
      if (!tolerates(pod.spec?.tolerations, t)) return ['node(s) had untolerated taint {node.kubernetes.io/not-ready: }'];
    }
    if (!nodeMatchesPod(node, pod)) return ["node(s) didn't match Pod's node affinity/selector"];
    const alloc = allocatable(node);
    const reasons: string[] = [];
    if (use.requested.pods + 1 > alloc.pods) reasons.push('Too many pods');
    if (req.cpuMillis > 0 && use.requested.cpuMillis + req.cpuMillis > alloc.cpuMillis) reasons.push('Insufficient cpu');
    if (req.memoryBytes > 0 && use.requested.memoryBytes + req.memoryBytes > alloc.memoryBytes) reasons.push('Insufficient memory');
    return reasons;
  }

  /** Keys of pods that count as "the same group" as `pod` for spreading. */
  private peersOf(pod: Pod): (other: Pod) => boolean {
    const ns = pod.metadata.namespace;
    const selectors: Record<string, string>[] = [];
    for (const svc of this.services.store.byIndex('namespace', ns ?? '')) {
      const sel = svc.spec?.selector;
      if (!sel || Object.keys(sel).length === 0) continue;
      const labels = pod.metadata.labels ?? {};
      if (Object.entries(sel).every(([k, v]) => labels[k] === v)) selectors.push(sel);
    }
    const owner = pod.metadata.ownerReferences?.find((r) => r.controller)?.uid;
    return (other) => {
      if (other.metadata.namespace !== ns) return false;
      if (owner && other.metadata.ownerReferences?.some((r) => r.controller && r.uid === owner)) return true;
      const labels = other.metadata.labels ?? {};
      return selectors.some((sel) => Object.entries(sel).every(([k, v]) => labels[k] === v));
    };
  }

  /** Tries to place one pod; true means "retry later". */
  async scheduleOne(key: string): Promise<boolean> {
    const pod = this.pods.store.get(key);
    if (!pod || !this.pending(pod) || this.assumed.has(key)) return false;
    const req = podRequests(pod);
    const nodes = this.nodes.store.list();
    const reasons = new Map<string, number>();
    const feasible: { node: Node; use: NodeUse }[] = [];
    for (const node of nodes) {
      const use = this.nodeUse(node.metadata.name ?? '');
      const why = this.filter(node, pod, req, use);
      if (why.length === 0) feasible.push({ node, use });
      for (const r of why) reasons.set(r, (reasons.get(r) ?? 0) + 1);
    }
    if (feasible.length === 0) {
      const parts = [...reasons.entries()].map(([r, n]) => `${n} ${r}`).sort();
      const message = `0/${nodes.length} nodes are available${parts.length ? `: ${parts.join(', ')}` : ''}.`;
      await this.markUnschedulable(pod, message);
      return true;
    }
    const isPeer = this.peersOf(pod);
    const scored = feasible.map(({ node, use }) => {
      let peers = 0;
      for (const k of use.podKeys) {
        const other = this.pods.store.get(k);
        if (other && isPeer(other)) peers++;
      }
      const alloc = allocatable(node);
      const frac = (Number.isFinite(alloc.cpuMillis) ? use.requested.cpuMillis / Math.max(1, alloc.cpuMillis) : 0) + (Number.isFinite(alloc.memoryBytes) ? use.requested.memoryBytes / Math.max(1, alloc.memoryBytes) : 0);
      return { name: node.metadata.name ?? '', peers, pods: use.requested.pods, frac };
    });
    scored.sort((a, b) => a.peers - b.peers || a.pods - b.pods || a.frac - b.frac || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const target = scored[0].name;
    this.assumed.set(key, { node: target, requests: req });
    try {
      await this.opts.client.create(
        PODS,
        { apiVersion: 'v1', kind: 'Binding', metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace }, target: { apiVersion: 'v1', kind: 'Node', name: target } } as KubeObject,
        { namespace: pod.metadata.namespace, subresource: 'binding' },
      );
    } catch (err) {
      this.assumed.delete(key);
      if (isNotFound(err)) return false; // pod deleted meanwhile
      if (isConflict(err)) return false; // already bound by someone else
      throw err;
    }
    this.bound++;
    this.unschedulable.delete(key);
    this.recorder.event(pod, 'Normal', 'Scheduled', `Successfully assigned ${key} to ${target}`);
    return false;
  }

  private async markUnschedulable(pod: Pod, message: string): Promise<void> {
    const key = objectKey(pod.metadata);
    this.failedAttempts++;
    this.unschedulable.add(key);
    this.recorder.event(pod, 'Warning', 'FailedScheduling', message);
    const cur = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (cur?.status === 'False' && cur.reason === 'Unschedulable' && cur.message === message) return;
    const now = new Date(Math.floor(this.clock.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
    const cond: Condition = { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastProbeTime: null, lastTransitionTime: cur?.status === 'False' ? (cur.lastTransitionTime ?? now) : now };
    const conditions = [...(pod.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled'), cond];
    try {
      await this.opts.client.update(PODS, { ...pod, status: { phase: 'Pending', ...pod.status, conditions } }, { subresource: 'status' });
    } catch (err) {
      if (!isConflict(err) && !isNotFound(err)) throw err;
    }
  }
}

/** Starts a scheduler (its own informers unless `informers` is given); `stop()` ends it. */
export async function startScheduler(opts: SchedulerOptions): Promise<{ scheduler: Scheduler; stop(): Promise<void> }> {
  const scheduler = new Scheduler(opts);
  await scheduler.start();
  return { scheduler, stop: () => scheduler.stop() };
}
