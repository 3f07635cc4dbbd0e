/**
 * The generic object store behind every resource (kube-apiserver's `registry/generic`): system
 * metadata (uid, timestamps, generation, resourceVersion), generateName, the status-subresource
 * rules, optimistic concurrency, finalizers and graceful deletion, dry-run, and admission.
 * Handlers decode requests and call these methods; nothing here knows about HTTP.
 */
import { randomUUID } from 'node:crypto';
import type { KubeObject, StatusCause } from '../api/meta.js';
import { apiVersionOf, storageKey, storagePrefix, type ResourceInfo } from '../api/resources.js';
import { errors, StatusError, isNotFound } from '../api/status-error.js';
import type { KeyValue, Storage } from '../storage/storage.js';
import { isStorageError } from '../storage/storage.js';
import { rfc3339, type Clock } from '../util/clock.js';
import { runAdmission, type AdmissionContext, type AdmissionPlugin } from './admission/admission.js';
import { translateStorageError } from './storage-errors.js';
import { decodeKv } from './watch-cache.js';
import { recordUpdateManagedFields } from './patch/index.js';

/** Adds/refreshes the manager's `Update` entry in metadata.managedFields, in place. */
function recordManagedFields(info: ResourceInfo, old: KubeObject | undefined, obj: KubeObject, opts: WriteOptions, clock: Clock): void {
  const out = recordUpdateManagedFields({
    old,
    new: obj,
    manager: opts.manager!,
    operation: 'Update',
    subresource: opts.subresource,
    info,
    now: rfc3339(clock.now()),
  });
  if (out !== obj) obj.metadata.managedFields = out.metadata.managedFields;
}

/** Kind-specific behaviour the API model provides (defaults, validation). */
export interface ObjectModel {
  /** Fills defaults in place; `old` on update (Services keep their allocations). */
  applyDefaults(info: ResourceInfo, obj: KubeObject, old?: KubeObject): void;
  /** Field problems of a create (`old` undefined) or update; [] when valid. */
  validate(info: ResourceInfo, obj: KubeObject, old?: KubeObject, subresource?: string): StatusCause[];
}

export interface WriteOptions {
  dryRun?: boolean;
  subresource?: string;
  /** Field manager recorded in managedFields for create/update/patch (not for apply). */
  manager?: string;
}

export interface DeleteOptions extends WriteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface RegistryOptions {
  storage: Storage;
  clock: Clock;
  model: ObjectModel;
  admission: readonly AdmissionPlugin[];
  /** Reads the watch cache (see AdmissionContext.cached). */
  cached?: (info: ResourceInfo, name: string, namespace?: string) => KubeObject | undefined;
}

/** Kinds that create-on-update (PUT to a missing name creates it), as in Kubernetes. */
const CREATE_ON_UPDATE = new Set(['Endpoints', 'Event', 'Lease']);
const MAX_GUARANTEED_UPDATE_TRIES = 16;

export type Mutation = (current: KubeObject | undefined) => KubeObject | Promise<KubeObject>;

export class Registry {
  constructor(private readonly o: RegistryOptions) {}

  private ctx(info: ResourceInfo, dryRun: boolean): AdmissionContext {
    return { info, dryRun, lookup: (i, name, ns) => this.find(i, name, ns), cached: (i, name, ns) => this.o.cached?.(i, name, ns) };
  }

  async getKv(info: ResourceInfo, name: string, namespace?: string): Promise<KeyValue | undefined> {
    try {
      return await this.o.storage.get(storageKey(info, name, namespace));
    } catch (err) {
      throw translateStorageError(err, info, name);
    }
  }

  async find(info: ResourceInfo, name: string, namespace?: string): Promise<KubeObject | undefined> {
    const kv = await this.getKv(info, name, namespace);
    return kv ? decodeKv(kv) : undefined;
  }

  async get(info: ResourceInfo, name: string, namespace?: string): Promise<KubeObject> {
    const obj = await this.find(info, name, namespace);
    if (!obj) throw errors.notFound(info, name);
    return obj;
  }

  async create(info: ResourceInfo, namespace: string | undefined, input: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    const obj = structuredClone(input);
    this.checkTypeMeta(info, obj);
    obj.metadata ??= {};
    const meta = obj.metadata;
    if (info.namespaced) {
      if (meta.namespace && namespace && meta.namespace !== namespace) {
        throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = meta.namespace || namespace;
      if (!meta.namespace) throw errors.badRequest('the namespace of the object must be set for a namespaced resource');
    } else {
      delete meta.namespace;
    }
    const generated = !meta.name && !!meta.generateName;
    if (!meta.name && !meta.generateName) {
      throw errors.invalid(info.kind, info.group, '', [{ reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' }]);
    }
    meta.uid = randomUUID();
    meta.creationTimestamp = rfc3339(this.o.clock.now());
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete (meta as Record<string, unknown>).selfLink;
    if (opts.subresource === undefined) resetStatusOnCreate(info, obj);
    if ('spec' in obj && hasGeneration(info)) meta.generation = 1;
    else delete meta.generation;
    this.o.model.applyDefaults(info, obj);
    if (opts.manager) recordManagedFields(info, undefined, obj, opts, this.o.clock);

    for (let attempt = 0; ; attempt++) {
      if (generated) meta.name = `${meta.generateName}${randomSuffix()}`;
      this.validate(info, obj);
      const ctx = this.ctx(info, !!opts.dryRun);
      const undo = await runAdmission(this.o.admission, (p) => p.admitCreate?.(ctx, obj));
      if (opts.dryRun) {
        await undo.rollback();
        return obj;
      }
      try {
        const kv = await this.o.storage.create(storageKey(info, meta.name!, meta.namespace), encodeForStorage(obj));
        await undo.commit?.();
        // What was stored, plus its revision: no need to parse it back.
        meta.resourceVersion = String(kv.modRevision);
        return obj;
      } catch (err) {
        await undo.rollback();
        if (generated && isStorageError(err, 'KeyExists') && attempt < 5) continue;
        throw translateStorageError(err, info, meta.name!);
      }
    }
  }

  /**
   * A guaranteed update: read, mutate, write-if-unchanged, retrying on conflicts unless the
   * caller pinned a resourceVersion (then a conflict is the caller's 409).
   */
  async update(
    info: ResourceInfo,
    name: string,
    namespace: string | undefined,
    mutate: Mutation,
    opts: WriteOptions & { allowCreate?: boolean } = {},
  ): Promise<{ obj: KubeObject; created: boolean }> {
    for (let attempt = 0; ; attempt++) {
      const kv = await this.getKv(info, name, namespace);
      if (!kv) {
        const wanted = await mutate(undefined);
        if (!(opts.allowCreate || CREATE_ON_UPDATE.has(info.kind)) || opts.subresource) throw errors.notFound(info, name);
        wanted.metadata ??= {};
        wanted.metadata.name ??= name;
        if (wanted.metadata.resourceVersion) throw errors.notFound(info, name);
        return { obj: await this.create(info, namespace, wanted, opts), created: true };
      }
      const old = decodeKv(kv);
      const next = structuredClone(await mutate(structuredClone(old)));
      const pinned = next.metadata?.resourceVersion;
      if (pinned !== undefined && pinned !== '' && pinned !== old.metadata.resourceVersion) throw errors.conflict(info, name);
      const prepared = this.prepareUpdate(info, name, namespace, next, old, opts.subresource);
      if (prepared === 'delete') {
        const deleted = await this.deleteNow(info, old, kv, opts);
        if (deleted) return { obj: deleted, created: false };
        continue;
      }
      if (opts.manager) recordManagedFields(info, old, prepared, opts, this.o.clock);
      this.validate(info, prepared, old, opts.subresource);
      const ctx = this.ctx(info, !!opts.dryRun);
      const undo = await runAdmission(this.o.admission, (p) => p.admitUpdate?.(ctx, prepared, old));
      if (opts.dryRun) {
        await undo.rollback();
        return { obj: prepared, created: false };
      }
      if (sameStored(prepared, old)) {
        await undo.rollback();
        return { obj: old, created: false };
      }
      try {
        const written = await this.o.storage.update(kv.key, encodeForStorage(prepared), kv.modRevision);
        await undo.commit?.();
        prepared.metadata.resourceVersion = String(written.modRevision);
        return { obj: prepared, created: false };
      } catch (err) {
        await undo.rollback();
        const retry = isStorageError(err, 'Conflict') && !pinned && attempt < MAX_GUARANTEED_UPDATE_TRIES;
        if (retry) continue;
        if (isStorageError(err, 'NotFound')) throw errors.notFound(info, name);
        throw translateStorageError(err, info, name);
      }
    }
  }

  /** Applies the rules of an update; 'delete' when the object is due for removal. */
  private prepareUpdate(
    info: ResourceInfo,
    name: string,
    namespace: string | undefined,
    next: KubeObject,
    old: KubeObject,
    subresource: string | undefined,
  ): KubeObject | 'delete' {
    this.checkTypeMeta(info, next);
    next.metadata ??= {};
    if (next.metadata.name && next.metadata.name !== name) {
      throw errors.badRequest(`the name of the object (${next.metadata.name}) does not match the name on the URL (${name})`);
    }
    if (info.namespaced && next.metadata.namespace && next.metadata.namespace !== namespace) {
      throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    let obj: KubeObject;
    if (subresource === 'status') {
      obj = { ...old, status: next.status };
      obj.metadata = { ...old.metadata };
    } else if (subresource === 'finalize') {
      obj = { ...old, spec: { ...(old.spec as object), finalizers: (next.spec as { finalizers?: string[] } | undefined)?.finalizers ?? [] } };
      obj.metadata = { ...old.metadata };
    } else if (subresource === 'binding') {
      obj = next;
    } else {
      obj = next;
      if (info.subresources.includes('status')) {
        if (old.status === undefined) delete obj.status;
        else obj.status = old.status;
      }
    }
    const meta = obj.metadata;
    meta.name = name;
    if (info.namespaced) meta.namespace = namespace;
    else delete meta.namespace;
    meta.uid = old.metadata.uid;
    meta.creationTimestamp = old.metadata.creationTimestamp;
    delete meta.resourceVersion;
    delete meta.generateName;
    if (old.metadata.generateName) meta.generateName = old.metadata.generateName;
    if (old.metadata.deletionTimestamp) {
      meta.deletionTimestamp = old.metadata.deletionTimestamp;
      meta.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
    } else {
      delete meta.deletionTimestamp;
      delete meta.deletionGracePeriodSeconds;
    }
    if (old.metadata.generation !== undefined) {
      meta.generation = old.metadata.generation;
      if (JSON.stringify(obj.spec) !== JSON.stringify(old.spec)) meta.generation += 1;
    } else {
      delete meta.generation;
    }
    if (subresource === undefined) this.o.model.applyDefaults(info, obj, old);
    if (meta.deletionTimestamp && readyToRemove(info, obj)) return 'delete';
    return obj;
  }

  async delete(info: ResourceInfo, name: string, namespace: string | undefined, opts: DeleteOptions = {}): Promise<{ obj: KubeObject; deleted: boolean }> {
    for (let attempt = 0; attempt < MAX_GUARANTEED_UPDATE_TRIES; attempt++) {
      const kv = await this.getKv(info, name, namespace);
      if (!kv) throw errors.notFound(info, name);
      const obj = decodeKv(kv);
      checkPreconditions(info, obj, opts);
      const pending = this.pendingDeletion(info, obj, opts);
      if (pending) {
        if (opts.dryRun) return { obj: pending, deleted: false };
        try {
          const written = await this.o.storage.update(kv.key, encodeForStorage(pending), kv.modRevision);
          return { obj: decodeKv(written), deleted: false };
        } catch (err) {
          if (isStorageError(err, 'Conflict') || isStorageError(err, 'NotFound')) continue;
          throw translateStorageError(err, info, name);
        }
      }
      if (opts.dryRun) return { obj, deleted: true };
      const deleted = await this.deleteNow(info, obj, kv, opts);
      if (deleted) return { obj: deleted, deleted: true };
    }
    throw errors.conflict(info, name);
  }

  /**
   * The object with deletion marked when it cannot go at once (finalizers, a graceful pod,
   * a namespace with spec finalizers); undefined when it can be removed now.
   */
  private pendingDeletion(info: ResourceInfo, obj: KubeObject, opts: DeleteOptions): KubeObject | undefined {
    const next = structuredClone(obj);
    const meta = next.metadata;
    const finalizers = [...(meta.finalizers ?? [])];
    const policy = opts.propagationPolicy ?? (opts.orphanDependents === true ? 'Orphan' : opts.orphanDependents === false ? 'Background' : undefined);
    if (policy === 'Foreground' && !finalizers.includes('foregroundDeletion')) finalizers.push('foregroundDeletion');
    if (policy === 'Orphan' && !finalizers.includes('orphan')) finalizers.push('orphan');
    if (policy === 'Background' && meta.deletionTimestamp) {
      // Changing one's mind to background lets the object go once other finalizers are done.
      const i = finalizers.indexOf('foregroundDeletion');
      if (i >= 0) finalizers.splice(i, 1);
    }
    let grace = 0;
    if (info.kind === 'Pod') grace = podGracePeriod(next, opts);
    const nsFinalizers = info.kind === 'Namespace' ? ((next.spec as { finalizers?: string[] } | undefined)?.finalizers ?? []) : [];
    if (finalizers.length === 0 && grace === 0 && nsFinalizers.length === 0) return undefined;
    if (finalizers.length) meta.finalizers = finalizers;
    delete meta.resourceVersion;
    const now = this.o.clock.now();
    if (!meta.deletionTimestamp) {
      meta.deletionTimestamp = rfc3339(now + grace * 1000);
      meta.deletionGracePeriodSeconds = grace;
    } else if (grace < (meta.deletionGracePeriodSeconds ?? 0)) {
      // A shorter grace period may replace a longer one (kubectl delete --grace-period=0 --force).
      meta.deletionTimestamp = rfc3339(now + grace * 1000);
      meta.deletionGracePeriodSeconds = grace;
      if (grace === 0 && finalizers.length === 0 && nsFinalizers.length === 0) return undefined;
    }
    if (info.kind === 'Namespace') next.status = { ...(next.status as object), phase: 'Terminating' };
    if (!meta.finalizers?.length) delete meta.finalizers;
    return next;
  }

  /** Removes the object if still at kv's revision; undefined on a lost race (caller re-reads). */
  private async deleteNow(info: ResourceInfo, obj: KubeObject, kv: KeyValue, opts: WriteOptions): Promise<KubeObject | undefined> {
    if (opts.dryRun) return obj;
    try {
      const gone = await this.o.storage.delete(kv.key, kv.modRevision);
      const out = decodeKv(gone);
      const ctx = this.ctx(info, false);
      for (const p of this.o.admission) await p.deleted?.(ctx, out);
      return out;
    } catch (err) {
      if (isStorageError(err, 'Conflict')) return undefined;
      if (isStorageError(err, 'NotFound')) throw errors.notFound(info, obj.metadata.name ?? '');
      throw translateStorageError(err, info, obj.metadata.name ?? '');
    }
  }

  private validate(info: ResourceInfo, obj: KubeObject, old?: KubeObject, subresource?: string): void {
    const causes = this.o.model.validate(info, obj, old, subresource);
    if (causes.length) throw errors.invalid(info.kind, info.group, obj.metadata?.name ?? '', causes);
  }

  private checkTypeMeta(info: ResourceInfo, obj: KubeObject): void {
    const want = apiVersionOf(info);
    if (obj.apiVersion && obj.apiVersion !== want) {
      throw errors.badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${want})`);
    }
    if (obj.kind && obj.kind !== info.kind) {
      throw errors.badRequest(`the kind in the data (${obj.kind}) does not match the expected kind (${info.kind})`);
    }
    obj.apiVersion = want;
    obj.kind = info.kind;
  }

  /** Every key of a resource, for allocator repair and deletecollection. */
  async listAll(info: ResourceInfo, namespace?: string): Promise<KubeObject[]> {
    const prefix = namespace && info.namespaced ? `${storagePrefix(info)}${namespace}/` : storagePrefix(info);
    const res = await this.o.storage.list(prefix);
    return res.items.map(decodeKv);
  }
}

export function isIgnorableNotFound(err: unknown): boolean {
  return isNotFound(err);
}

function readyToRemove(info: ResourceInfo, obj: KubeObject): boolean {
  if (obj.metadata.finalizers?.length) return false;
  if ((obj.metadata.deletionGracePeriodSeconds ?? 0) > 0) return false;
  if (info.kind === 'Namespace' && ((obj.spec as { finalizers?: string[] } | undefined)?.finalizers?.length ?? 0) > 0) return false;
  return true;
}

function podGracePeriod(pod: KubeObject, opts: DeleteOptions): number {
  const spec = pod.spec as { nodeName?: string; terminationGracePeriodSeconds?: number } | undefined;
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  // Pods that never reached a node, or already finished, go at once (as in Kubernetes).
  if (!spec?.nodeName || phase === 'Succeeded' || phase === 'Failed') return 0;
  const g = opts.gracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? 30;
  return Math.max(0, Math.floor(g));
}

function checkPreconditions(info: ResourceInfo, obj: KubeObject, opts: DeleteOptions): void {
  const p = opts.preconditions;
  if (!p) return;
  if (p.uid && p.uid !== obj.metadata.uid) {
    throw new StatusError('Conflict', `Precondition failed: UID in precondition: ${p.uid}, UID in object meta: ${obj.metadata.uid}`, {
      name: obj.metadata.name,
      group: info.group,
      kind: info.resource,
    });
  }
  if (p.resourceVersion && p.resourceVersion !== obj.metadata.resourceVersion) {
    throw new StatusError(
      'Conflict',
      `Precondition failed: ResourceVersion in precondition: ${p.resourceVersion}, ResourceVersion in object meta: ${obj.metadata.resourceVersion}`,
      { name: obj.metadata.name, group: info.group, kind: info.resource },
    );
  }
}

/** Kinds whose metadata.generation tracks spec changes. */
function hasGeneration(info: ResourceInfo): boolean {
  return info.kind !== 'Namespace' && info.kind !== 'Node';
}

/** Clears status a client may not set on create, as Kubernetes' strategies do. */
function resetStatusOnCreate(info: ResourceInfo, obj: KubeObject): void {
  switch (info.kind) {
    case 'Pod':
      obj.status = { phase: 'Pending' };
      break;
    case 'Namespace':
      // The namespace controller removes this finalizer once the namespace is empty.
      obj.spec = { ...(obj.spec as object), finalizers: ['kubernetes'] };
      obj.status = { phase: 'Active' };
      break;
    case 'Service':
      obj.status = { loadBalancer: {} };
      break;
    case 'Deployment':
    case 'ReplicaSet':
    case 'ReplicationController':
    case 'HorizontalPodAutoscaler':
      obj.status = {};
      break;
    default:
      break;
  }
}

/** JSON for storage: no resourceVersion (it is the storage revision, added on read). */
export function encodeForStorage(obj: KubeObject): string {
  const rv = obj.metadata.resourceVersion;
  delete obj.metadata.resourceVersion;
  const s = JSON.stringify(obj);
  if (rv !== undefined) obj.metadata.resourceVersion = rv;
  return s;
}

function sameStored(a: KubeObject, b: KubeObject): boolean {
  return encodeForStorage(structuredClone(a)) === encodeForStorage(structuredClone(b));
}

const ALPHANUM = 'bcdfghjklmnpqrstvwxz2456789';
/** Kubernetes' generateName suffix: 5 characters without vowels or look-alikes. */
export function randomSuffix(): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += ALPHANUM[Math.floor(Math.random() * ALPHANUM.length)];
  return s;
}
