/**
 * Keeps `spec.replicas` active pods for each ReplicaSet (apps/v1, set-based selector) or
 * ReplicationController (core/v1, equality selector defaulted from the template labels) — one
 * implementation, two kinds, as in Kubernetes.
 *
 * Per sync: claim pods (adopt matching orphans by adding a controller ownerReference, release
 * owned pods that no longer match), then create or delete the difference — creates in
 * slow-start batches (1, 2, 4, ...; a failure stops the rest), deletes choosing the least
 * valuable pods first (unscheduled, pending, not ready, newest) — guarded by expectations so a
 * lagging watch never double-counts; then write status (replicas, fullyLabeledReplicas,
 * readyReplicas, availableReplicas, observedGeneration, ReplicaFailure condition).
 */
import { objectKey, type KubeObject, type OwnerReference } from '../../api/meta.js';
import { exactMatchesOf, selectorFromLabelSelector, selectorFromSet, type Selector } from '../../api/labels.js';
import type { ResourceInfo } from '../../api/resources.js';
import { isConflict, isNotFound, StatusError } from '../../api/status-error.js';
import type { Condition, Pod, PodTemplateSpec, ReplicaSet, ReplicaSetStatus, ReplicationController } from '../../api/types.js';
import type { SharedInformer } from '../../client/informer/shared-informer.js';
import { addPodLabelIndex, POD_LABEL_INDEX } from '../shared/endpoint-util.js';
import { Expectations } from '../shared/expectations.js';
import { QueueWorker } from '../shared/queue-worker.js';
import type { Controller, ControllerContext } from '../shared/controller-context.js';
import { controllerRefOf, isPodActive, isPodAvailable, isPodReady, nowRfc3339, sameJson } from '../shared/pod-util.js';
import { R } from '../shared/resources.js';

type Workload = ReplicaSet | ReplicationController;

const POD_CONTROLLER_INDEX = 'pod-controller-uid';

interface KindAdapter {
  resource: ResourceInfo;
  kind: string;
  apiVersion: string;
  selector(obj: Workload): Selector;
}

export const REPLICA_SET_KIND: KindAdapter = {
  resource: R.replicaSets,
  kind: 'ReplicaSet',
  apiVersion: 'apps/v1',
  selector: (obj) => selectorFromLabelSelector((obj as ReplicaSet).spec?.selector),
};

export const REPLICATION_CONTROLLER_KIND: KindAdapter = {
  resource: R.replicationControllers,
  kind: 'ReplicationController',
  apiVersion: 'v1',
  selector: (obj) => {
    const rc = obj as ReplicationController;
    const sel = rc.spec?.selector ?? rc.spec?.template?.metadata?.labels;
    // An RC without any selector selects nothing (validation normally prevents it).
    if (!sel || Object.keys(sel).length === 0) return selectorFromLabelSelector(undefined);
    return selectorFromSet(sel);
  },
};

export interface ReplicaSetControllerOptions {
  workers?: number;
  /** Most pods created or deleted in one sync (Kubernetes' burstReplicas). */
  burstReplicas?: number;
}

/** Lower rank = deleted first (Kubernetes' ActivePods ordering, simplified). */
function deletionRank(p: Pod): number[] {
  const phaseRank = p.status?.phase === 'Pending' ? 0 : p.status?.phase === 'Unknown' ? 1 : 2;
  const ready = isPodReady(p) ? 1 : 0;
  const restarts = (p.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);
  const created = p.metadata.creationTimestamp ? Date.parse(p.metadata.creationTimestamp) : 0;
  return [p.spec?.nodeName ? 1 : 0, phaseRank, ready, -restarts, -created];
}

function compareRanks(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

export class ReplicaSetController implements Controller {
  readonly name: string;
  readonly worker: QueueWorker;
  readonly expectations: Expectations;
  private readonly owners: SharedInformer<Workload>;
  private readonly pods: SharedInformer<Pod>;
  private readonly burst: number;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly kind: KindAdapter,
    opts: ReplicaSetControllerOptions = {},
  ) {
    this.name = kind.kind === 'ReplicaSet' ? 'replicaset' : 'replicationcontroller';
    this.burst = opts.burstReplicas ?? 500;
    this.expectations = new Expectations(ctx.clock);
    this.owners = ctx.informers.informerFor<Workload>(kind.resource);
    this.pods = ctx.informers.informerFor<Pod>(R.pods);
    addPodLabelIndex(this.pods);
    if (!this.pods.hasIndex(POD_CONTROLLER_INDEX)) this.pods.addIndex(POD_CONTROLLER_INDEX, (p) => { const r = controllerRefOf(p); return r ? [r.uid] : []; });
    this.worker = new QueueWorker({ name: this.name, sync: (k) => this.sync(k), informers: [this.owners, this.pods], workers: opts.workers ?? 4, clock: ctx.clock, logger: ctx.logger, metrics: ctx.metrics });
  }

  async start(): Promise<void> {
    const enqueue = (o: Workload) => this.worker.enqueue(objectKey(o.metadata));
    this.owners.addEventHandler({
      onAdd: enqueue,
      onUpdate: (_o, n) => enqueue(n),
      onDelete: (o) => {
        this.expectations.forget(objectKey(o.metadata));
        enqueue(o);
      },
    });
    this.pods.addEventHandler({
      onAdd: (p) => {
        const key = this.ownerKey(p);
        if (p.metadata.deletionTimestamp) {
          if (key) this.expectations.deletionObserved(key, p.metadata.uid);
        } else if (key) this.expectations.creationObserved(key);
        if (key) this.worker.enqueue(key);
        else this.enqueueMatching(p);
      },
      onUpdate: (o, n) => {
        if (o.metadata.resourceVersion === n.metadata.resourceVersion) return;
        const oldKey = this.ownerKey(o);
        const key = this.ownerKey(n);
        if (n.metadata.deletionTimestamp && !o.metadata.deletionTimestamp && key) this.expectations.deletionObserved(key, n.metadata.uid);
        if (oldKey && oldKey !== key) this.worker.enqueue(oldKey);
        if (key) this.worker.enqueue(key);
        const labelsChanged = !sameJson(o.metadata.labels, n.metadata.labels);
        if (!key && (labelsChanged || oldKey)) this.enqueueMatching(n);
        // Becoming available later (minReadySeconds) needs a look then.
        if (key && !isPodReady(o) && isPodReady(n)) {
          const owner = this.owners.store.get(key);
          const mrs = owner?.spec?.minReadySeconds ?? 0;
          if (mrs > 0) this.worker.enqueueAfter(key, mrs * 1000 + 50);
        }
      },
      onDelete: (p) => {
        const key = this.ownerKey(p);
        if (key) {
          this.expectations.deletionObserved(key, p.metadata.uid);
          this.worker.enqueue(key);
        }
      },
    });
    void this.worker.start();
  }

  async stop(): Promise<void> {
    await this.worker.stop();
  }

  private ownerKey(p: Pod): string | undefined {
    const ref = controllerRefOf(p);
    if (!ref || ref.kind !== this.kind.kind) return undefined;
    const key = `${p.metadata.namespace}/${ref.name}`;
    const owner = this.owners.store.get(key);
    if (owner && owner.metadata.uid !== ref.uid) return undefined;
    return key;
  }

  private enqueueMatching(p: Pod): void {
    for (const o of this.owners.store.byIndex('namespace', p.metadata.namespace ?? '')) {
      if (this.kind.selector(o).matches(p.metadata.labels)) this.worker.enqueue(objectKey(o.metadata));
    }
  }

  private ownerRef(o: Workload): OwnerReference {
    return { apiVersion: this.kind.apiVersion, kind: this.kind.kind, name: o.metadata.name ?? '', uid: o.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
  }

  /**
   * Pods that may concern `o`: those it controls plus those its selector may match — read from
   * the label index through one `key=value` the selector requires, instead of scanning the
   * namespace (a namespace may hold tens of thousands of pods).
   */
  private candidatePods(o: Workload, selector: Selector): Pod[] {
    const ns = o.metadata.namespace ?? '';
    const exact = exactMatchesOf(selector);
    if (exact.size === 0 || selector.matchesNothing()) return this.pods.store.byIndex('namespace', ns);
    let bucket: Pod[] | undefined;
    for (const [k, v] of exact) {
      const b = this.pods.store.byIndex(POD_LABEL_INDEX, `${ns}/${k}=${v}`);
      if (!bucket || b.length < bucket.length) bucket = b;
    }
    const out = new Set<Pod>(bucket);
    for (const p of this.pods.store.byIndex(POD_CONTROLLER_INDEX, o.metadata.uid ?? '')) out.add(p);
    return [...out];
  }

  /** Adopts matching orphans and releases owned pods that stopped matching; returns the owned pods. */
  private async claimPods(o: Workload, selector: Selector): Promise<Pod[]> {
    const owned: Pod[] = [];
    const deleting = !!o.metadata.deletionTimestamp;
    for (const pod of this.candidatePods(o, selector)) {
      const ref = controllerRefOf(pod);
      const matches = selector.matches(pod.metadata.labels);
      if (ref) {
        if (ref.uid !== o.metadata.uid) continue;
        if (matches || deleting) {
          owned.push(pod);
          continue;
        }
        // Release: drop our ownerReference (conditional on the pod's uid).
        const refs = (pod.metadata.ownerReferences ?? []).filter((r) => r.uid !== o.metadata.uid);
        try {
          await this.ctx.client.patch(R.pods, pod.metadata.name ?? '', pod.metadata.namespace, { metadata: { ownerReferences: refs.length ? refs : null, uid: pod.metadata.uid } }, 'merge');
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
        continue;
      }
      if (!matches || deleting || pod.metadata.deletionTimestamp) continue;
      try {
        const refs = [...(pod.metadata.ownerReferences ?? []), this.ownerRef(o)];
        const adopted = await this.ctx.client.patch<Pod>(R.pods, pod.metadata.name ?? '', pod.metadata.namespace, { metadata: { ownerReferences: refs, uid: pod.metadata.uid } }, 'merge');
        owned.push(adopted);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return owned;
  }

  async sync(key: string): Promise<void> {
    const o = this.owners.store.get(key);
    if (!o) {
      this.expectations.forget(key);
      return;
    }
    const selector = this.kind.selector(o);
    const needsSync = this.expectations.satisfied(key);
    const owned = await this.claimPods(o, selector);
    const active = owned.filter(isPodActive);
    let manageError: unknown;
    if (needsSync && !o.metadata.deletionTimestamp) {
      try {
        await this.manageReplicas(o, key, active);
      } catch (err) {
        manageError = err;
      }
    }
    await this.updateStatus(o, active, manageError);
    if (manageError) throw manageError;
  }

  private async manageReplicas(o: Workload, key: string, active: Pod[]): Promise<void> {
    const want = o.spec?.replicas ?? 1;
    const diff = active.length - want;
    if (diff < 0) {
      const n = Math.min(-diff, this.burst);
      this.expectations.expectCreations(key, n);
      let created = 0;
      let failure: unknown;
      for (let batch = 1; created < n && !failure; batch *= 2) {
        const size = Math.min(batch, n - created);
        const results = await Promise.allSettled(Array.from({ length: size }, () => this.createPod(o)));
        for (const r of results) {
          if (r.status === 'fulfilled') {
            created++;
          } else {
            failure ??= r.reason;
            this.expectations.creationObserved(key);
          }
        }
      }
      // Pods never attempted will not be observed either.
      const attempted = created + (failure ? 1 : 0);
      for (let i = attempted; i < n; i++) this.expectations.creationObserved(key);
      if (failure) {
        this.ctx.recorder.event(o, 'Warning', 'FailedCreate', `Error creating: ${(failure as Error).message}`);
        throw failure;
      }
    } else if (diff > 0) {
      const victims = [...active].sort((a, b) => compareRanks(deletionRank(a), deletionRank(b))).slice(0, Math.min(diff, this.burst));
      this.expectations.expectDeletions(key, victims.map((p) => p.metadata.uid ?? ''));
      const results = await Promise.allSettled(
        victims.map(async (p) => {
          try {
            await this.ctx.client.delete(R.pods, p.metadata.name ?? '', p.metadata.namespace, { preconditions: { uid: p.metadata.uid } });
            this.ctx.recorder.event(o, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
          } catch (err) {
            this.expectations.deletionObserved(key, p.metadata.uid);
            if (!isNotFound(err)) throw err;
          }
        }),
      );
      const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
      if (failed) throw failed.reason;
    }
  }

  private async createPod(o: Workload): Promise<Pod> {
    const template: PodTemplateSpec = o.spec?.template ?? {};
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName: `${o.metadata.name}-`,
        namespace: o.metadata.namespace,
        labels: { ...(template.metadata?.labels ?? {}) },
        annotations: template.metadata?.annotations ? { ...template.metadata.annotations } : undefined,
        finalizers: template.metadata?.finalizers,
        ownerReferences: [this.ownerRef(o)],
      },
      spec: structuredClone(template.spec ?? { containers: [] }),
    };
    if (!pod.metadata.annotations) delete pod.metadata.annotations;
    if (!pod.metadata.finalizers) delete pod.metadata.finalizers;
    const created = await this.ctx.client.create<Pod>(R.pods, pod, { namespace: o.metadata.namespace });
    this.ctx.recorder.event(o, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
    return created;
  }

  private async updateStatus(o: Workload, active: Pod[], manageError: unknown): Promise<void> {
    const templateLabels = o.spec?.template?.metadata?.labels ?? {};
    const now = this.ctx.clock.now();
    const minReady = o.spec?.minReadySeconds ?? 0;
    let fully = 0;
    let ready = 0;
    let available = 0;
    let needRecheck = false;
    for (const p of active) {
      const labels = p.metadata.labels ?? {};
      if (Object.entries(templateLabels).every(([k, v]) => labels[k] === v)) fully++;
      if (isPodReady(p)) {
        ready++;
        if (isPodAvailable(p, minReady, now)) available++;
        else needRecheck = true;
      }
    }
    let conditions: Condition[] | undefined = o.status?.conditions?.filter((c) => c.type !== 'ReplicaFailure');
    if (manageError) {
      const reason = manageError instanceof StatusError && manageError.reason === 'Forbidden' ? 'FailedCreate' : 'FailedCreate';
      conditions = [...(conditions ?? []), { type: 'ReplicaFailure', status: 'True', reason, message: (manageError as Error).message, lastTransitionTime: nowRfc3339(now) }];
    }
    if (conditions && conditions.length === 0) conditions = undefined;
    const status: ReplicaSetStatus = {
      replicas: active.length,
      fullyLabeledReplicas: fully,
      readyReplicas: ready,
      availableReplicas: available,
      observedGeneration: o.metadata.generation,
    };
    if (conditions) status.conditions = conditions;
    if (needRecheck) this.worker.enqueueAfter(objectKey(o.metadata), minReady * 1000);
    const cur = o.status ?? ({} as Partial<ReplicaSetStatus>);
    const same =
      cur.replicas === status.replicas &&
      (cur.fullyLabeledReplicas ?? 0) === status.fullyLabeledReplicas &&
      (cur.readyReplicas ?? 0) === status.readyReplicas &&
      (cur.availableReplicas ?? 0) === status.availableReplicas &&
      cur.observedGeneration === status.observedGeneration &&
      sameJson(cur.conditions?.map((c) => [c.type, c.status, c.message]), conditions?.map((c) => [c.type, c.status, c.message]));
    if (same) return;
    try {
      await this.ctx.client.update(this.kind.resource, { ...o, status } as KubeObject, { subresource: 'status' });
    } catch (err) {
      if (isNotFound(err)) return;
      if (isConflict(err)) {
        // Our cache is behind: retry with the fresh object on the next pass.
        throw err;
      }
      throw err;
    }
  }
}
