/**
 * Deployments (apps/v1) through ReplicaSets, following kube-controller-manager's deployment
 * controller: the ReplicaSet of the current template (the "new" RS, named
 * `<deployment>-<pod-template-hash>`, labelled and selected by that hash) is scaled up while
 * the others ("old") are scaled down — RollingUpdate within maxSurge/maxUnavailable using the
 * ReplicaSets' availableReplicas, or Recreate (old to zero and gone before the new one
 * starts). Revisions live in the `deployment.kubernetes.io/revision` annotation; a template
 * matching an old RS (what `kubectl rollout undo` patches in) makes that RS new again with the
 * next revision. Paused Deployments only scale. Old RSs beyond revisionHistoryLimit are
 * deleted. Status and the Progressing / Available conditions are what `kubectl rollout status`
 * reads, including ProgressDeadlineExceeded.
 */
import { objectKey, type OwnerReference } from '../../api/meta.js';
import { selectorFromLabelSelector } from '../../api/labels.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../api/status-error.js';
import type { Condition, Deployment, DeploymentStatus, LabelSelector, Pod, ReplicaSet } from '../../api/types.js';
import type { SharedInformer } from '../../client/informer/shared-informer.js';
import { QueueWorker } from '../shared/queue-worker.js';
import type { Controller, ControllerContext } from '../shared/controller-context.js';
import { controllerRefOf, nowRfc3339, sameJson } from '../shared/pod-util.js';
import { R } from '../shared/resources.js';
import {
  ANNOTATIONS_TO_SKIP,
  byCreation,
  DESIRED_REPLICAS_ANNOTATION,
  equalIgnoreHash,
  MAX_REPLICAS_ANNOTATION,
  POD_TEMPLATE_HASH,
  podTemplateHash,
  resolveIntOrPercent,
  REVISION_ANNOTATION,
  revisionOf,
} from './deployment-util.js';

export interface DeploymentControllerOptions {
  workers?: number;
}

const rsReplicas = (rs: ReplicaSet) => rs.spec?.replicas ?? 0;
const sum = (xs: ReplicaSet[], f: (rs: ReplicaSet) => number) => xs.reduce((n, rs) => n + f(rs), 0);

export class DeploymentController implements Controller {
  readonly name = 'deployment';
  readonly worker: QueueWorker;
  private readonly deployments: SharedInformer<Deployment>;
  private readonly replicaSets: SharedInformer<ReplicaSet>;
  private readonly pods: SharedInformer<Pod>;

  constructor(
    private readonly ctx: ControllerContext,
    opts: DeploymentControllerOptions = {},
  ) {
    this.deployments = ctx.informers.informerFor<Deployment>(R.deployments);
    this.replicaSets = ctx.informers.informerFor<ReplicaSet>(R.replicaSets);
    this.pods = ctx.informers.informerFor<Pod>(R.pods);
    this.worker = new QueueWorker({
      name: this.name,
      sync: (k) => this.sync(k),
      informers: [this.deployments, this.replicaSets, this.pods],
      workers: opts.workers ?? 4,
      clock: ctx.clock,
      logger: ctx.logger,
      metrics: ctx.metrics,
    });
  }

  async start(): Promise<void> {
    const enqueue = (d: Deployment) => this.worker.enqueue(objectKey(d.metadata));
    this.deployments.addEventHandler({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n), onDelete: enqueue });
    const rsChanged = (rs: ReplicaSet) => {
      const ref = controllerRefOf(rs);
      if (ref?.kind === 'Deployment') this.worker.enqueue(`${rs.metadata.namespace}/${ref.name}`);
      else if (!ref) for (const d of this.deployments.store.byIndex('namespace', rs.metadata.namespace ?? '')) if (selectorFromLabelSelector(d.spec?.selector).matches(rs.metadata.labels)) enqueue(d);
    };
    this.replicaSets.addEventHandler({ onAdd: rsChanged, onUpdate: (_o, n) => rsChanged(n), onDelete: rsChanged });
    // Recreate waits for old pods to be gone: their deletion must wake the Deployment.
    this.pods.addEventHandler({
      onDelete: (p) => {
        const ref = controllerRefOf(p);
        if (ref?.kind !== 'ReplicaSet') return;
        const rs = this.replicaSets.store.get(`${p.metadata.namespace}/${ref.name}`);
        const dref = rs && controllerRefOf(rs);
        if (dref?.kind === 'Deployment') this.worker.enqueue(`${p.metadata.namespace}/${dref.name}`);
      },
    });
    void this.worker.start();
  }

  async stop(): Promise<void> {
    await this.worker.stop();
  }

  private ownerRef(d: Deployment): OwnerReference {
    return { apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name ?? '', uid: d.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
  }

  /** Owned RSs; adopts matching orphans, releases owned ones that stopped matching. */
  private async claimReplicaSets(d: Deployment): Promise<ReplicaSet[]> {
    const selector = selectorFromLabelSelector(d.spec?.selector);
    const out: ReplicaSet[] = [];
    for (const rs of this.replicaSets.store.byIndex('namespace', d.metadata.namespace ?? '')) {
      const ref = controllerRefOf(rs);
      const matches = selector.matches(rs.metadata.labels);
      if (ref) {
        if (ref.uid !== d.metadata.uid) continue;
        if (matches) out.push(rs);
        else if (!d.metadata.deletionTimestamp) {
          const refs = (rs.metadata.ownerReferences ?? []).filter((r) => r.uid !== d.metadata.uid);
          await this.ctx.client.patch(R.replicaSets, rs.metadata.name ?? '', rs.metadata.namespace, { metadata: { ownerReferences: refs.length ? refs : null, uid: rs.metadata.uid } }, 'merge').catch((e) => {
            if (!isNotFound(e)) throw e;
          });
        }
        continue;
      }
      if (!matches || d.metadata.deletionTimestamp || rs.metadata.deletionTimestamp) continue;
      try {
        out.push(await this.ctx.client.patch<ReplicaSet>(R.replicaSets, rs.metadata.name ?? '', rs.metadata.namespace, { metadata: { ownerReferences: [...(rs.metadata.ownerReferences ?? []), this.ownerRef(d)], uid: rs.metadata.uid } }, 'merge'));
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    return out;
  }

  private findNewRS(d: Deployment, rsList: ReplicaSet[]): ReplicaSet | undefined {
    const hash = podTemplateHash(d.spec!.template, d.status?.collisionCount);
    const sorted = [...rsList].sort(byCreation);
    return sorted.find((rs) => rs.metadata.labels?.[POD_TEMPLATE_HASH] === hash && equalIgnoreHash(rs.spec?.template, d.spec?.template)) ?? sorted.find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
  }

  private maxSurge(d: Deployment): number {
    const replicas = d.spec?.replicas ?? 1;
    if (d.spec?.strategy?.type === 'Recreate') return 0;
    return resolveIntOrPercent(d.spec?.strategy?.rollingUpdate?.maxSurge, replicas, true, '25%');
  }

  private maxUnavailable(d: Deployment): number {
    const replicas = d.spec?.replicas ?? 1;
    if (d.spec?.strategy?.type === 'Recreate') return replicas;
    let mu = resolveIntOrPercent(d.spec?.strategy?.rollingUpdate?.maxUnavailable, replicas, false, '25%');
    if (mu === 0 && this.maxSurge(d) === 0) mu = 1;
    return Math.min(mu, replicas);
  }

  /** Annotations a RS of this Deployment should carry (deployment's own, minus the skipped ones). */
  private rsAnnotations(d: Deployment, revision: number, existing?: Record<string, string>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(existing ?? {})) if (ANNOTATIONS_TO_SKIP.has(k)) out[k] = v;
    for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) if (!ANNOTATIONS_TO_SKIP.has(k)) out[k] = v;
    out[REVISION_ANNOTATION] = String(revision);
    out[DESIRED_REPLICAS_ANNOTATION] = String(d.spec?.replicas ?? 1);
    out[MAX_REPLICAS_ANNOTATION] = String((d.spec?.replicas ?? 1) + this.maxSurge(d));
    return out;
  }

  private async scaleRS(d: Deployment, rs: ReplicaSet, replicas: number, annotations?: Record<string, string>): Promise<ReplicaSet> {
    const changedAnn = annotations && !sameJson(annotations, rs.metadata.annotations ?? {});
    if (rsReplicas(rs) === replicas && !changedAnn) return rs;
    const next: ReplicaSet = { ...rs, metadata: { ...rs.metadata, annotations: annotations ?? rs.metadata.annotations }, spec: { ...rs.spec!, replicas } };
    const out = await this.ctx.client.update<ReplicaSet>(R.replicaSets, next);
    if (rsReplicas(rs) !== replicas) {
      const verb = replicas > rsReplicas(rs) ? 'up' : 'down';
      this.ctx.recorder.event(d, 'Normal', 'ScalingReplicaSet', `Scaled ${verb} replica set ${rs.metadata.name} from ${rsReplicas(rs)} to ${replicas}`);
    }
    return out;
  }

  private async createNewRS(d: Deployment, revision: number, replicas: number): Promise<ReplicaSet> {
    const collision = d.status?.collisionCount;
    const hash = podTemplateHash(d.spec!.template, collision);
    const template = structuredClone(d.spec!.template);
    template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH]: hash } };
    const selector: LabelSelector = structuredClone(d.spec!.selector);
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [POD_TEMPLATE_HASH]: hash };
    const rs: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        namespace: d.metadata.namespace,
        labels: template.metadata.labels,
        annotations: this.rsAnnotations(d, revision),
        ownerReferences: [this.ownerRef(d)],
      },
      spec: { replicas, minReadySeconds: d.spec?.minReadySeconds, selector, template },
    };
    if (rs.spec!.minReadySeconds === undefined) delete rs.spec!.minReadySeconds;
    try {
      const out = await this.ctx.client.create<ReplicaSet>(R.replicaSets, rs);
      this.ctx.recorder.event(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${out.metadata.name} from 0 to ${replicas}`);
      return out;
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const live = await this.ctx.client.get<ReplicaSet>(R.replicaSets, rs.metadata.name!, d.metadata.namespace);
      if (controllerRefOf(live)?.uid === d.metadata.uid && equalIgnoreHash(live.spec?.template, d.spec?.template)) return live;
      // A hash collision with a different template: bump collisionCount and try again next sync.
      await this.ctx.client.update(R.deployments, { ...d, status: { ...d.status, collisionCount: (collision ?? 0) + 1 } }, { subresource: 'status' });
      throw err;
    }
  }

  async sync(key: string): Promise<void> {
    const d = this.deployments.store.get(key);
    if (!d || !d.spec) return;
    const selector = selectorFromLabelSelector(d.spec.selector);
    if (selector.isEmpty()) {
      this.ctx.recorder.event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      return;
    }
    const rsList = await this.claimReplicaSets(d);
    if (d.metadata.deletionTimestamp) {
      await this.syncStatus(d, rsList, this.findNewRS(d, rsList), false);
      return;
    }
    const replicas = d.spec.replicas ?? 1;
    let newRS = this.findNewRS(d, rsList);
    let oldRSs = rsList.filter((rs) => rs !== newRS);
    const maxOldRevision = oldRSs.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
    let progressed = false;

    if (d.spec.paused) {
      // Paused: no rollout; keep the active RS at the desired size.
      const active = newRS ?? [...rsList].sort((a, b) => revisionOf(b) - revisionOf(a))[0];
      if (active && rsReplicas(active) !== replicas && sum(rsList, rsReplicas) - rsReplicas(active) === 0) await this.scaleRS(d, active, replicas);
      await this.cleanup(d, oldRSs);
      await this.syncStatus(d, rsList, newRS, false);
      return;
    }

    // The template went back to an old RS's (rollback): that RS becomes new with the next revision.
    if (newRS && revisionOf(newRS) <= maxOldRevision) {
      newRS = await this.scaleRS(d, newRS, rsReplicas(newRS), this.rsAnnotations(d, maxOldRevision + 1, newRS.metadata.annotations));
      progressed = true;
    }

    if (d.spec.strategy?.type === 'Recreate') {
      const oldActive = oldRSs.filter((rs) => rsReplicas(rs) > 0);
      for (const rs of oldActive) await this.scaleRS(d, rs, 0);
      if (oldActive.length) progressed = true;
      const oldPodsRunning = oldRSs.some((rs) => (rs.status?.replicas ?? 0) > 0) || this.oldPodsExist(d, oldRSs);
      if (oldActive.length === 0 && !oldPodsRunning) {
        if (!newRS) {
          newRS = await this.createNewRS(d, maxOldRevision + 1, replicas);
          progressed = true;
        } else if (rsReplicas(newRS) !== replicas) {
          newRS = await this.scaleRS(d, newRS, replicas, this.rsAnnotations(d, revisionOf(newRS), newRS.metadata.annotations));
          progressed = true;
        }
      }
    } else {
      const maxSurge = this.maxSurge(d);
      const maxUnavailable = this.maxUnavailable(d);
      // Scale the new RS up (or create it).
      const total = sum(rsList, rsReplicas);
      if (!newRS) {
        const room = Math.max(0, replicas + maxSurge - total);
        newRS = await this.createNewRS(d, maxOldRevision + 1, Math.min(room, replicas));
        progressed = true;
      } else {
        const cur = rsReplicas(newRS);
        let target = cur;
        if (cur > replicas) target = replicas;
        else if (cur < replicas) {
          const room = Math.max(0, replicas + maxSurge - total);
          target = cur + Math.min(room, replicas - cur);
        }
        const ann = this.rsAnnotations(d, revisionOf(newRS), newRS.metadata.annotations);
        if (target !== cur) progressed = true;
        newRS = await this.scaleRS(d, newRS, target, ann);
      }
      oldRSs = rsList.filter((rs) => rs.metadata.uid !== newRS!.metadata.uid);
      // Scale old RSs down, never below replicas - maxUnavailable available pods.
      const all = [newRS, ...oldRSs];
      if (sum(oldRSs, rsReplicas) > 0) {
        const minAvailable = replicas - maxUnavailable;
        const newUnavailable = Math.max(0, rsReplicas(newRS) - (newRS.status?.availableReplicas ?? 0));
        let maxScaledDown = sum(all, rsReplicas) - minAvailable - newUnavailable;
        if (maxScaledDown > 0) {
          const sortedOld = [...oldRSs].sort(byCreation);
          // First the old pods that are not available anyway.
          for (const [i, rs] of sortedOld.entries()) {
            if (maxScaledDown <= 0) break;
            const unhealthy = rsReplicas(rs) - (rs.status?.availableReplicas ?? 0);
            const n = Math.min(maxScaledDown, Math.max(0, unhealthy));
            if (n > 0) {
              sortedOld[i] = await this.scaleRS(d, rs, rsReplicas(rs) - n);
              maxScaledDown -= n;
              progressed = true;
            }
          }
          // Then available old pods, while enough stay available.
          const available = sum([newRS, ...sortedOld], (rs) => Math.min(rsReplicas(rs), rs.status?.availableReplicas ?? 0));
          let budget = Math.min(maxScaledDown, available - minAvailable);
          for (const rs of sortedOld) {
            if (budget <= 0) break;
            const n = Math.min(budget, rsReplicas(rs));
            if (n > 0) {
              await this.scaleRS(d, rs, rsReplicas(rs) - n);
              budget -= n;
              progressed = true;
            }
          }
        }
      }
    }
    await this.cleanup(d, rsList.filter((rs) => rs.metadata.uid !== newRS?.metadata.uid));
    // The Deployment carries its current revision too (kubectl rollout undo/history rely on it).
    if (newRS && d.metadata.annotations?.[REVISION_ANNOTATION] !== String(revisionOf(newRS))) {
      await this.ctx.client.patch(R.deployments, d.metadata.name ?? '', d.metadata.namespace, { metadata: { annotations: { [REVISION_ANNOTATION]: String(revisionOf(newRS)) } } }, 'merge');
    }
    await this.syncStatus(d, this.replicaSetsOf(d, rsList), newRS, progressed);
  }

  /** The freshest view of the RSs we just wrote (informer updates may be in flight). */
  private replicaSetsOf(d: Deployment, fallback: ReplicaSet[]): ReplicaSet[] {
    const fresh = this.replicaSets.store.byIndex('namespace', d.metadata.namespace ?? '').filter((rs) => controllerRefOf(rs)?.uid === d.metadata.uid);
    return fresh.length ? fresh : fallback;
  }

  private oldPodsExist(d: Deployment, oldRSs: ReplicaSet[]): boolean {
    const uids = new Set(oldRSs.map((rs) => rs.metadata.uid));
    return this.pods.store.byIndex('namespace', d.metadata.namespace ?? '').some((p) => {
      const ref = controllerRefOf(p);
      return !!ref && uids.has(ref.uid) && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';
    });
  }

  /** Deletes the oldest old RSs with no replicas beyond revisionHistoryLimit (default 10). */
  private async cleanup(d: Deployment, oldRSs: ReplicaSet[]): Promise<void> {
    const limit = d.spec?.revisionHistoryLimit ?? 10;
    const idle = oldRSs.filter((rs) => rsReplicas(rs) === 0 && (rs.status?.replicas ?? 0) === 0 && !rs.metadata.deletionTimestamp).sort((a, b) => revisionOf(a) - revisionOf(b));
    const extra = idle.length - limit;
    for (let i = 0; i < extra; i++) {
      try {
        await this.ctx.client.delete(R.replicaSets, idle[i].metadata.name ?? '', idle[i].metadata.namespace, { preconditions: { uid: idle[i].metadata.uid } });
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
    }
  }

  private async syncStatus(d: Deployment, rsList: ReplicaSet[], newRS: ReplicaSet | undefined, progressed: boolean): Promise<void> {
    const replicas = d.spec?.replicas ?? 1;
    const now = this.ctx.clock.now();
    const ts = nowRfc3339(now);
    const available = sum(rsList, (rs) => rs.status?.availableReplicas ?? 0);
    const status: DeploymentStatus = {
      observedGeneration: d.metadata.generation,
      replicas: sum(rsList, (rs) => rs.status?.replicas ?? 0),
      updatedReplicas: newRS?.status?.replicas ?? 0,
      readyReplicas: sum(rsList, (rs) => rs.status?.readyReplicas ?? 0),
      availableReplicas: available,
      unavailableReplicas: Math.max(0, replicas - available),
    };
    if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
    const prev = d.status?.conditions ?? [];
    const prevOf = (type: string) => prev.find((c) => c.type === type);
    const conditions: Condition[] = [];
    const minAvailable = replicas - this.maxUnavailable(d);
    const availableCond: Condition =
      available >= minAvailable
        ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }
        : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' };
    conditions.push(this.withTimes(prevOf('Available'), availableCond, ts, false));

    const rsName = newRS?.metadata.name ?? '';
    const oldReplicas = sum(rsList.filter((rs) => rs !== newRS && rs.metadata.uid !== newRS?.metadata.uid), (rs) => rs.status?.replicas ?? 0);
    const complete = !!newRS && status.updatedReplicas === replicas && status.availableReplicas! >= replicas && status.replicas === replicas && oldReplicas === 0;
    const prevProg = prevOf('Progressing');
    let prog: Condition | undefined;
    let bumpUpdate = false;
    if (d.spec?.paused) {
      prog = { type: 'Progressing', status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' };
    } else if (prevProg?.reason === 'DeploymentPaused') {
      prog = { type: 'Progressing', status: 'Unknown', reason: 'DeploymentResumed', message: 'Deployment is resumed' };
      bumpUpdate = true;
    } else if (complete) {
      prog = { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rsName}" has successfully progressed.` };
      bumpUpdate = prevProg?.reason !== 'NewReplicaSetAvailable';
    } else {
      const statusMoved =
        progressed ||
        !prevProg ||
        d.status?.updatedReplicas !== status.updatedReplicas ||
        d.status?.availableReplicas !== status.availableReplicas ||
        d.status?.readyReplicas !== status.readyReplicas ||
        d.status?.replicas !== status.replicas;
      const deadline = d.spec?.progressDeadlineSeconds ?? 600;
      if (statusMoved) {
        const created = newRS && newRS.metadata.creationTimestamp && now - Date.parse(newRS.metadata.creationTimestamp) < 2000 && progressed && prevProg?.message !== `ReplicaSet "${rsName}" is progressing.`;
        prog = created
          ? { type: 'Progressing', status: 'True', reason: 'NewReplicaSetCreated', message: `Created new replica set "${rsName}"` }
          : { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${rsName}" is progressing.` };
        bumpUpdate = true;
        this.worker.enqueueAfter(objectKey(d.metadata), deadline * 1000 + 100);
      } else if (prevProg && prevProg.reason !== 'ProgressDeadlineExceeded') {
        const last = Date.parse(prevProg.lastUpdateTime ?? prevProg.lastTransitionTime ?? ts);
        if (now - last > deadline * 1000) {
          prog = { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${rsName}" has timed out progressing.` };
          bumpUpdate = true;
          this.ctx.recorder.event(d, 'Warning', 'ProgressDeadlineExceeded', `Deployment "${d.metadata.name}" has timed out progressing.`);
        } else {
          prog = prevProg;
          this.worker.enqueueAfter(objectKey(d.metadata), last + deadline * 1000 - now + 100);
        }
      } else prog = prevProg;
    }
    if (prog) conditions.push(this.withTimes(prevProg, prog, ts, bumpUpdate));
    // Keep the conventional order: Available, Progressing, then others (e.g. ReplicaFailure).
    for (const c of prev) if (c.type !== 'Available' && c.type !== 'Progressing') conditions.push(c);
    status.conditions = conditions;
    const cur = d.status ?? {};
    if (sameJson({ ...cur, conditions: undefined }, { ...status, conditions: undefined }) && sameJson(cur.conditions ?? [], conditions)) return;
    try {
      await this.ctx.client.update(R.deployments, { ...d, status }, { subresource: 'status' });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private withTimes(prev: Condition | undefined, next: Condition, ts: string, bumpUpdate: boolean): Condition {
    const same = prev && prev.status === next.status && prev.reason === next.reason && prev.message === next.message;
    if (same && !bumpUpdate) return prev;
    return {
      type: next.type,
      status: next.status,
      lastUpdateTime: same && !bumpUpdate ? (prev.lastUpdateTime ?? ts) : ts,
      lastTransitionTime: prev && prev.status === next.status ? (prev.lastTransitionTime ?? ts) : ts,
      reason: next.reason,
      message: next.message,
    };
  }
}
