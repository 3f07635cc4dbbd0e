/**
 * Node lifecycle: watches each Node's heartbeat Lease (kube-node-lease/<node>). A Lease not
 * renewed for `gracePeriodMs` (40 s) — measured on this controller's clock from when it last
 * SAW the renewTime change — makes the node unreachable:
 * - every node condition becomes Unknown (reason NodeStatusUnknown), an Event is recorded;
 * - taints node.kubernetes.io/unreachable NoSchedule + NoExecute are added (a node whose agent
 *   reports Ready=False gets node.kubernetes.io/not-ready instead);
 * - the Ready condition of its pods is set False at once, so endpoints drop them (only when
 *   unreachable: a live agent reporting NotReady keeps reporting its pods itself);
 * - after each pod's toleration of the NoExecute taint runs out (its tolerationSeconds, or
 *   `podEvictionTimeoutMs` (300 s) when it has no matching toleration) the pod is deleted, so
 *   its controller recreates it elsewhere.
 * When the Lease is renewed again and the agent reports Ready, the taints are removed.
 */
import { objectKey } from '../../api/meta.js';
import { isConflict, isNotFound } from '../../api/status-error.js';
import type { Condition, Lease, Node, Pod, Taint, Toleration } from '../../api/types.js';
import type { SharedInformer } from '../../client/informer/shared-informer.js';
import { QueueWorker } from '../shared/queue-worker.js';
import type { Controller, ControllerContext } from '../shared/controller-context.js';
import { nowRfc3339, sameJson } from '../shared/pod-util.js';
import { R } from '../shared/resources.js';

export const UNREACHABLE_TAINT = 'node.kubernetes.io/unreachable';
export const NOT_READY_TAINT = 'node.kubernetes.io/not-ready';
const NODE_LEASE_NAMESPACE = 'kube-node-lease';
const POD_NODE_INDEX = 'node-lifecycle-node';

export interface NodeLifecycleOptions {
  gracePeriodMs?: number;
  podEvictionTimeoutMs?: number;
  monitorPeriodMs?: number;
}

function matchingToleration(tols: Toleration[] | undefined, taint: Taint): Toleration | undefined {
  return (tols ?? []).find((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if (t.operator === 'Exists') return !t.key || t.key === taint.key;
    return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
  });
}

export class NodeLifecycleController implements Controller {
  readonly name = 'nodelifecycle';
  readonly worker: QueueWorker;
  private readonly nodes: SharedInformer<Node>;
  private readonly leases: SharedInformer<Lease>;
  private readonly pods: SharedInformer<Pod>;
  private readonly gracePeriodMs: number;
  private readonly evictionMs: number;
  private readonly periodMs: number;
  /** node → last renewTime seen and when we saw it change */
  private readonly observed = new Map<string, { renewTime: string; atMs: number }>();
  /** When this controller added a NoExecute taint (timeAdded has only second precision). */
  private readonly taintedAtMs = new Map<string, number>();
  private cancelTick?: () => void;
  private stopped = false;

  constructor(
    private readonly ctx: ControllerContext,
    opts: NodeLifecycleOptions = {},
  ) {
    this.gracePeriodMs = opts.gracePeriodMs ?? 40_000;
    this.evictionMs = opts.podEvictionTimeoutMs ?? 300_000;
    this.periodMs = opts.monitorPeriodMs ?? 5_000;
    this.nodes = ctx.informers.informerFor<Node>(R.nodes);
    this.leases = ctx.informers.informerFor<Lease>(R.leases, { namespace: NODE_LEASE_NAMESPACE });
    this.pods = ctx.informers.informerFor<Pod>(R.pods);
    if (!this.pods.hasIndex(POD_NODE_INDEX)) this.pods.addIndex(POD_NODE_INDEX, (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []));
    this.worker = new QueueWorker({ name: this.name, sync: (k) => this.sync(k), informers: [this.nodes, this.leases, this.pods], workers: 2, clock: ctx.clock, logger: ctx.logger, metrics: ctx.metrics });
  }

  async start(): Promise<void> {
    this.nodes.addEventHandler({ onAdd: (n) => this.worker.enqueue(objectKey(n.metadata)), onUpdate: (_o, n) => this.worker.enqueue(objectKey(n.metadata)) });
    this.leases.addEventHandler({
      onAdd: (l) => this.leaseSeen(l),
      onUpdate: (_o, l) => this.leaseSeen(l),
    });
    // A pod landing on an unreachable node must be marked and timed too.
    this.pods.addEventHandler({ onAdd: (p) => p.spec?.nodeName && this.worker.enqueue(p.spec.nodeName) });
    void this.worker.start();
    const tick = () => {
      if (this.stopped) return;
      for (const n of this.nodes.store.list()) this.worker.enqueue(objectKey(n.metadata));
      this.cancelTick = this.ctx.clock.setTimeout(tick, this.periodMs);
    };
    this.cancelTick = this.ctx.clock.setTimeout(tick, this.periodMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTick?.();
    await this.worker.stop();
  }

  private leaseSeen(l: Lease): void {
    const node = l.metadata.name ?? '';
    const renew = l.spec?.renewTime ?? '';
    const prev = this.observed.get(node);
    if (!prev || prev.renewTime !== renew) {
      this.observed.set(node, { renewTime: renew, atMs: this.ctx.clock.now() });
      if (prev) this.worker.enqueue(node);
    }
  }

  /** Last time this controller saw the node alive (lease renewal), or first saw the node. */
  private lastSeenMs(node: Node): number {
    const name = node.metadata.name ?? '';
    let o = this.observed.get(name);
    if (!o) {
      // Never saw a lease change: grant a full grace period from now.
      o = { renewTime: '', atMs: this.ctx.clock.now() };
      this.observed.set(name, o);
    }
    return o.atMs;
  }

  async sync(key: string): Promise<void> {
    const node = this.nodes.store.get(key);
    if (!node) {
      this.observed.delete(key);
      return;
    }
    const now = this.ctx.clock.now();
    const unreachable = now - this.lastSeenMs(node) > this.gracePeriodMs;
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
    if (unreachable && ready?.status !== 'Unknown') {
      await this.markUnknown(node, now);
      return; // the update comes back through the informer
    }
    const wantTaint = unreachable ? UNREACHABLE_TAINT : ready && ready.status !== 'True' ? NOT_READY_TAINT : undefined;
    if (await this.reconcileTaints(node, wantTaint, now)) return;
    if (!wantTaint) return;
    await this.handlePods(node, now, unreachable);
  }

  private async markUnknown(node: Node, now: number): Promise<void> {
    const ts = nowRfc3339(now);
    const conds: Condition[] = (node.status?.conditions ?? []).map((c) => ({ ...c, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: c.status === 'Unknown' ? c.lastTransitionTime : ts }));
    if (!conds.some((c) => c.type === 'Ready')) conds.push({ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet never posted node status.', lastTransitionTime: ts });
    await this.ctx.client.update(R.nodes, { ...node, status: { ...node.status, conditions: conds } }, { subresource: 'status' });
    this.ctx.recorder.event({ ...node, metadata: { ...node.metadata, namespace: undefined } }, 'Normal', 'NodeNotReady', `Node ${node.metadata.name} status is now: NodeNotReady`);
    this.ctx.logger.info({ node: node.metadata.name }, 'node lifecycle: node unreachable');
  }

  /** Makes the node's lifecycle taints match `key` (or none); true when it wrote the node. */
  private async reconcileTaints(node: Node, key: string | undefined, now: number): Promise<boolean> {
    const current = node.spec?.taints ?? [];
    const others = current.filter((t) => t.key !== UNREACHABLE_TAINT && t.key !== NOT_READY_TAINT);
    const ours = current.filter((t) => t.key === key);
    const want: Taint[] = key
      ? (['NoSchedule', 'NoExecute'] as const).map((effect) => ours.find((t) => t.effect === effect) ?? { key, effect, ...(effect === 'NoExecute' ? { timeAdded: nowRfc3339(now) } : {}) })
      : [];
    const next = [...others, ...want];
    if (sameJson(next, current)) return false;
    if (key && !ours.some((t) => t.effect === 'NoExecute')) this.taintedAtMs.set(node.metadata.name ?? '', now);
    if (!key) this.taintedAtMs.delete(node.metadata.name ?? '');
    try {
      await this.ctx.client.update(R.nodes, { ...node, spec: { ...node.spec, taints: next.length ? next : undefined } });
    } catch (err) {
      if (!isConflict(err) && !isNotFound(err)) throw err;
    }
    return true;
  }

  /** `unreachable`: nobody else will update these pods, so their Ready condition is ours to clear. */
  private async handlePods(node: Node, now: number, unreachable: boolean): Promise<void> {
    const taint = (node.spec?.taints ?? []).find((t) => (t.key === UNREACHABLE_TAINT || t.key === NOT_READY_TAINT) && t.effect === 'NoExecute');
    const addedMs = Math.max(taint?.timeAdded ? Date.parse(taint.timeAdded) : now, this.taintedAtMs.get(node.metadata.name ?? '') ?? 0);
    let nextCheck = Infinity;
    for (const pod of this.pods.store.byIndex(POD_NODE_INDEX, node.metadata.name ?? '')) {
      if (pod.metadata.deletionTimestamp) continue;
      if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
      // Ready=False at once, so endpoints stop sending traffic here.
      const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
      if (unreachable && ready?.status === 'True') {
        const conditions = (pod.status?.conditions ?? []).map((c) => (c.type === 'Ready' ? { ...c, status: 'False' as const, reason: 'NodeNotReady', message: 'Node is not ready', lastTransitionTime: nowRfc3339(now) } : c));
        try {
          await this.ctx.client.update(R.pods, { ...pod, status: { ...pod.status, conditions } }, { subresource: 'status' });
        } catch (err) {
          if (!isConflict(err) && !isNotFound(err)) throw err;
        }
      }
      if (!taint) continue;
      const tol = matchingToleration(pod.spec?.tolerations, taint);
      if (tol && tol.tolerationSeconds === undefined) continue; // tolerates forever
      const delayMs = tol ? Math.max(0, tol.tolerationSeconds!) * 1000 : this.evictionMs;
      const due = addedMs + delayMs;
      if (due > now) {
        nextCheck = Math.min(nextCheck, due);
        continue;
      }
      try {
        await this.ctx.client.delete(R.pods, pod.metadata.name ?? '', pod.metadata.namespace, { preconditions: { uid: pod.metadata.uid } });
        this.ctx.recorder.event(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${pod.metadata.namespace}/${pod.metadata.name}`);
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
    }
    if (Number.isFinite(nextCheck)) this.worker.enqueueAfter(node.metadata.name ?? '', nextCheck - now + 10);
  }
}
