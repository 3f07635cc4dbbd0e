/**
 * The garbage collector: follows ownerReferences across the monitored resources.
 * - Background: a dependent whose every owner is gone (not in the cache, and a live GET says
 *   NotFound or another uid) is deleted; owners that are gone are dropped from a dependent
 *   that still has a live one.
 * - Foreground: an owner being deleted with the `foregroundDeletion` finalizer has its
 *   dependents deleted (foreground too); once no dependent with blockOwnerDeletion remains the
 *   finalizer is removed and the owner goes.
 * - Orphan: an owner being deleted with the `orphan` finalizer has its ownerReference removed
 *   from every dependent, then the finalizer is removed.
 */
import { type KubeObject, type OwnerReference } from '../../api/meta.js';
import { resourceForKind, type ResourceInfo } from '../../api/resources.js';
import { isConflict, isNotFound } from '../../api/status-error.js';
import type { SharedInformer } from '../../client/informer/shared-informer.js';
import { QueueWorker } from '../shared/queue-worker.js';
import type { Controller, ControllerContext } from '../shared/controller-context.js';
import { R } from '../shared/resources.js';

export const FOREGROUND_FINALIZER = 'foregroundDeletion';
export const ORPHAN_FINALIZER = 'orphan';

export interface GarbageCollectorOptions {
  workers?: number;
  /** Resources whose objects are followed (as dependents and owners). */
  resources?: ResourceInfo[];
}

interface Node {
  resource: ResourceInfo;
  obj: KubeObject;
}

const DEFAULT_RESOURCES = [R.pods, R.replicaSets, R.replicationControllers, R.deployments, R.services, R.endpoints, R.endpointSlices, R.configMaps, R.secrets];

function ref(resource: ResourceInfo, obj: KubeObject): string {
  return `${resource.group}/${resource.resource}|${obj.metadata.namespace ?? ''}|${obj.metadata.name}`;
}

export class GarbageCollector implements Controller {
  readonly name = 'garbagecollector';
  readonly worker: QueueWorker;
  private readonly informers: SharedInformer<KubeObject>[] = [];
  private readonly byUid = new Map<string, Node>();
  /** owner uid → dependent uids */
  private readonly dependents = new Map<string, Set<string>>();

  constructor(
    private readonly ctx: ControllerContext,
    opts: GarbageCollectorOptions = {},
  ) {
    for (const r of opts.resources ?? DEFAULT_RESOURCES) this.informers.push(ctx.informers.informerFor<KubeObject>(r));
    this.worker = new QueueWorker({ name: this.name, sync: (k) => this.sync(k), informers: this.informers, workers: opts.workers ?? 4, clock: ctx.clock, logger: ctx.logger, metrics: ctx.metrics });
  }

  async start(): Promise<void> {
    for (const inf of this.informers) {
      const resource = inf.resource;
      inf.addEventHandler({
        onAdd: (o) => this.upsert(resource, o, undefined),
        onUpdate: (old, o) => this.upsert(resource, o, old),
        onDelete: (o) => this.remove(o),
      });
    }
    void this.worker.start();
  }

  async stop(): Promise<void> {
    await this.worker.stop();
  }

  private upsert(resource: ResourceInfo, obj: KubeObject, old: KubeObject | undefined): void {
    const uid = obj.metadata.uid;
    if (!uid) return;
    if (old) for (const r of old.metadata.ownerReferences ?? []) this.dependents.get(r.uid)?.delete(uid);
    this.byUid.set(uid, { resource, obj });
    for (const r of obj.metadata.ownerReferences ?? []) {
      let set = this.dependents.get(r.uid);
      if (!set) this.dependents.set(r.uid, (set = new Set()));
      set.add(uid);
    }
    if (obj.metadata.ownerReferences?.length) this.worker.enqueue(`dep:${uid}`);
    const fin = obj.metadata.finalizers ?? [];
    if (obj.metadata.deletionTimestamp && (fin.includes(FOREGROUND_FINALIZER) || fin.includes(ORPHAN_FINALIZER))) this.worker.enqueue(`owner:${uid}`);
  }

  private remove(obj: KubeObject): void {
    const uid = obj.metadata.uid;
    if (!uid) return;
    this.byUid.delete(uid);
    for (const r of obj.metadata.ownerReferences ?? []) {
      this.dependents.get(r.uid)?.delete(uid);
      // An owner waiting in foreground for this dependent may finish now.
      this.worker.enqueue(`owner:${r.uid}`);
    }
    for (const dep of this.dependents.get(uid) ?? []) this.worker.enqueue(`dep:${dep}`);
  }

  async sync(key: string): Promise<void> {
    const [kind, uid] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
    if (kind === 'dep') return this.syncDependent(uid);
    return this.syncOwner(uid);
  }

  /** Is the owner gone? Cache first; a live GET confirms absence (the owner's watch may lag). */
  private async ownerAbsent(dep: Node, r: OwnerReference): Promise<boolean> {
    if (this.byUid.has(r.uid)) return false;
    const resource = resourceForKind(r.kind);
    if (!resource) return false; // unknown kinds are never collected
    const namespace = resource.namespaced ? dep.obj.metadata.namespace : undefined;
    if (resource.namespaced && !namespace) return false;
    try {
      const live = await this.ctx.client.get(resource, r.name, namespace);
      return live.metadata.uid !== r.uid;
    } catch (err) {
      if (isNotFound(err)) return true;
      throw err;
    }
  }

  private async syncDependent(uid: string): Promise<void> {
    const dep = this.byUid.get(uid);
    if (!dep) return;
    const refs = dep.obj.metadata.ownerReferences ?? [];
    if (refs.length === 0) return;
    const absent: OwnerReference[] = [];
    let foregroundOwner = false;
    for (const r of refs) {
      if (await this.ownerAbsent(dep, r)) absent.push(r);
      else {
        const owner = this.byUid.get(r.uid)?.obj;
        if (owner?.metadata.deletionTimestamp && owner.metadata.finalizers?.includes(FOREGROUND_FINALIZER)) foregroundOwner = true;
      }
    }
    if (absent.length === 0) {
      if (foregroundOwner && !dep.obj.metadata.deletionTimestamp) await this.deleteObject(dep, 'Foreground');
      return;
    }
    if (absent.length === refs.length) {
      if (!dep.obj.metadata.deletionTimestamp) await this.deleteObject(dep, 'Background');
      return;
    }
    // Some owners remain: only drop the dangling references.
    const keep = refs.filter((r) => !absent.includes(r));
    await this.patchRefs(dep, keep);
  }

  private async syncOwner(uid: string): Promise<void> {
    const owner = this.byUid.get(uid);
    if (!owner || !owner.obj.metadata.deletionTimestamp) return;
    const fin = owner.obj.metadata.finalizers ?? [];
    const deps = [...(this.dependents.get(uid) ?? [])].map((d) => this.byUid.get(d)).filter((d): d is Node => !!d);
    if (fin.includes(ORPHAN_FINALIZER)) {
      for (const d of deps) await this.patchRefs(d, (d.obj.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid));
      await this.removeFinalizer(owner, ORPHAN_FINALIZER);
      return;
    }
    if (fin.includes(FOREGROUND_FINALIZER)) {
      let blocking = 0;
      for (const d of deps) {
        const r = d.obj.metadata.ownerReferences?.find((x) => x.uid === uid);
        if (r?.blockOwnerDeletion) blocking++;
        if (!d.obj.metadata.deletionTimestamp) await this.deleteObject(d, 'Foreground');
      }
      if (blocking === 0) await this.removeFinalizer(owner, FOREGROUND_FINALIZER);
    }
  }

  private async deleteObject(n: Node, policy: 'Foreground' | 'Background'): Promise<void> {
    try {
      await this.ctx.client.delete(n.resource, n.obj.metadata.name ?? '', n.obj.metadata.namespace, { propagationPolicy: policy, preconditions: { uid: n.obj.metadata.uid } });
      this.ctx.logger.debug({ object: ref(n.resource, n.obj), policy }, 'garbage collector: deleted dependent');
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }

  private async patchRefs(n: Node, refs: OwnerReference[]): Promise<void> {
    try {
      await this.ctx.client.patch(n.resource, n.obj.metadata.name ?? '', n.obj.metadata.namespace, { metadata: { ownerReferences: refs.length ? refs : null, uid: n.obj.metadata.uid } }, 'merge');
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private async removeFinalizer(n: Node, finalizer: string): Promise<void> {
    const fresh = await this.ctx.client.get(n.resource, n.obj.metadata.name ?? '', n.obj.metadata.namespace).catch((err) => {
      if (isNotFound(err)) return undefined;
      throw err;
    });
    if (!fresh || fresh.metadata.uid !== n.obj.metadata.uid) return;
    const finalizers = (fresh.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    await this.ctx.client.update(n.resource, { ...fresh, metadata: { ...fresh.metadata, finalizers } });
  }
}
