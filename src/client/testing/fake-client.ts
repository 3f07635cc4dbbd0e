/**
 * An in-memory ApiClient that behaves like the API server in the ways controllers depend on:
 * resourceVersions, uid/generateName/creationTimestamp, generation bumps on spec changes,
 * optimistic concurrency (409), the status and binding subresources, deletion with finalizers
 * and propagationPolicy (orphan / foregroundDeletion finalizers, deletionTimestamp), merge
 * patches, label/field selectors on list and watch. For unit tests of controllers; e2e tests
 * use the real server.
 */
import { randomUUID } from 'node:crypto';
import type { KubeList, KubeObject, WatchEvent } from '../../api/meta.js';
import { objectKey } from '../../api/meta.js';
import { parseSelector } from '../../api/labels.js';
import type { ResourceInfo } from '../../api/resources.js';
import { errors, StatusError } from '../../api/status-error.js';
import type {
  ApiClient,
  DeleteOptions,
  ListParams,
  PatchType,
  WatchCallbacks,
  WatchHandle,
  WatchParams,
  WriteOptions,
} from '../types.js';

interface Sub {
  resource: string;
  params: WatchParams;
  cb: WatchCallbacks<KubeObject>;
}

const clone = <T>(o: T): T => structuredClone(o);

function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function fieldValue(obj: KubeObject, path: string): string {
  let cur: unknown = obj;
  for (const part of path.split('.')) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[part] : undefined;
  return cur === undefined || cur === null ? '' : String(cur);
}

function fieldMatches(obj: KubeObject, selector?: string): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const neg = term.includes('!=');
    const [k, v] = term.split(neg ? '!=' : term.includes('==') ? '==' : '=');
    return (fieldValue(obj, k.trim()) === v.trim()) !== neg;
  });
}

function readyToRemove(resource: ResourceInfo, obj: KubeObject): boolean {
  if (obj.metadata.finalizers?.length) return false;
  if ((obj.metadata.deletionGracePeriodSeconds ?? 0) > 0) return false;
  if (resource.resource === 'namespaces' && ((obj.spec as { finalizers?: string[] } | undefined)?.finalizers?.length ?? 0) > 0) return false;
  return true;
}

export class FakeClient implements ApiClient {
  private rv = 100;
  private readonly data = new Map<string, Map<string, KubeObject>>();
  private subs = new Set<Sub>();
  /** Every write, in order: `create pods default/x`, `update pods/status default/x`, ... */
  readonly actions: string[] = [];
  /** Called before each write; throw to inject failures. */
  beforeWrite?: (verb: string, resource: string, obj: KubeObject | undefined) => void;
  now = () => Date.now();

  private coll(resource: ResourceInfo | string): Map<string, KubeObject> {
    const name = typeof resource === 'string' ? resource : resource.resource;
    let c = this.data.get(name);
    if (!c) this.data.set(name, (c = new Map()));
    return c;
  }

  /** Current objects of a resource (copies). */
  objects<T extends KubeObject>(resource: ResourceInfo | string, namespace?: string): T[] {
    return [...this.coll(resource).values()].filter((o) => !namespace || o.metadata.namespace === namespace).map((o) => clone(o) as T);
  }

  peek<T extends KubeObject>(resource: ResourceInfo | string, name: string, namespace?: string): T | undefined {
    const o = this.coll(resource).get(namespace ? `${namespace}/${name}` : name);
    return o ? (clone(o) as T) : undefined;
  }

  private log: Array<{ rv: number; resource: string; type: WatchEvent['type']; obj: KubeObject }> = [];

  private deliver(s: Sub, resource: string, type: WatchEvent['type'], obj: KubeObject): void {
    if (s.resource !== resource) return;
    if (s.params.namespace && s.params.namespace !== obj.metadata.namespace) return;
    if (s.params.labelSelector && !parseSelector(s.params.labelSelector).matches(obj.metadata.labels)) return;
    if (!fieldMatches(obj, s.params.fieldSelector)) return;
    s.cb.onEvent({ type, object: clone(obj) });
  }

  private emit(resource: string, type: WatchEvent['type'], obj: KubeObject): void {
    this.log.push({ rv: Number(obj.metadata.resourceVersion), resource, type, obj: clone(obj) });
    if (this.log.length > 10_000) this.log.splice(0, 5_000);
    for (const s of [...this.subs]) {
      if (s.resource !== resource) continue;
      if (s.params.namespace && s.params.namespace !== obj.metadata.namespace) continue;
      if (s.params.labelSelector && !parseSelector(s.params.labelSelector).matches(obj.metadata.labels)) continue;
      if (!fieldMatches(obj, s.params.fieldSelector)) continue;
      s.cb.onEvent({ type, object: clone(obj) });
    }
  }

  private gr(resource: ResourceInfo) {
    return { group: resource.group, resource: resource.resource };
  }

  private store(resource: ResourceInfo, obj: KubeObject, type: 'ADDED' | 'MODIFIED'): KubeObject {
    obj.metadata.resourceVersion = String(++this.rv);
    // Deleting an object with no finalizers left completes the delete.
    if (obj.metadata.deletionTimestamp && readyToRemove(resource, obj)) {
      this.coll(resource).delete(objectKey(obj.metadata));
      this.emit(resource.resource, 'DELETED', obj);
      return clone(obj);
    }
    this.coll(resource).set(objectKey(obj.metadata), obj);
    this.emit(resource.resource, type, obj);
    return clone(obj);
  }

  async get<T extends KubeObject>(resource: ResourceInfo, name: string, namespace?: string): Promise<T> {
    const o = this.coll(resource).get(resource.namespaced && namespace ? `${namespace}/${name}` : name);
    if (!o) throw errors.notFound(this.gr(resource), name);
    return clone(o) as T;
  }

  async list<T extends KubeObject>(resource: ResourceInfo, params: ListParams = {}): Promise<KubeList<T>> {
    const sel = params.labelSelector ? parseSelector(params.labelSelector) : undefined;
    const items = [...this.coll(resource).values()].filter(
      (o) => (!params.namespace || o.metadata.namespace === params.namespace) && (!sel || sel.matches(o.metadata.labels)) && fieldMatches(o, params.fieldSelector),
    );
    return { apiVersion: 'v1', kind: `${resource.kind}List`, metadata: { resourceVersion: String(this.rv) }, items: items.map((o) => clone(o) as T) };
  }

  watch<T extends KubeObject>(resource: ResourceInfo, params: WatchParams, callbacks: WatchCallbacks<T>): WatchHandle {
    const sub: Sub = { resource: resource.resource, params, cb: callbacks as unknown as WatchCallbacks<KubeObject> };
    let stopped = false;
    // Like the server: replay what happened after the requested resourceVersion, then go live.
    queueMicrotask(() => {
      if (stopped) return;
      const from = Number(params.resourceVersion || 0);
      if (from) for (const e of this.log) if (e.rv > from) this.deliver(sub, e.resource, e.type, e.obj);
      this.subs.add(sub);
    });
    return {
      stop: () => {
        stopped = true;
        this.subs.delete(sub);
      },
    };
  }

  /** Ends every watch with `err` (or cleanly), to exercise re-list paths. */
  closeWatches(err?: Error): void {
    const subs = [...this.subs];
    this.subs.clear();
    for (const s of subs) s.cb.onClose(err);
  }

  async create<T extends KubeObject>(resource: ResourceInfo, object: T, options: WriteOptions & { namespace?: string } = {}): Promise<T> {
    const obj = clone(object) as KubeObject;
    const namespace = resource.namespaced ? (options.namespace ?? obj.metadata.namespace ?? 'default') : undefined;
    this.beforeWrite?.(`create${options.subresource ? '/' + options.subresource : ''}`, resource.resource, obj);
    if (options.subresource === 'binding') {
      const pod = this.coll(resource).get(`${namespace}/${obj.metadata.name}`);
      if (!pod) throw errors.notFound(this.gr(resource), obj.metadata.name ?? '');
      const spec = (pod.spec ?? {}) as Record<string, unknown>;
      if (spec.nodeName) throw errors.conflict(this.gr(resource), obj.metadata.name ?? '', `pod ${obj.metadata.name} is already assigned to node "${spec.nodeName}"`);
      const updated = clone(pod);
      (updated.spec as Record<string, unknown>) = { ...spec, nodeName: (obj.target as { name: string }).name };
      this.actions.push(`bind pods ${namespace}/${obj.metadata.name} ${(obj.target as { name: string }).name}`);
      this.store(resource, updated, 'MODIFIED');
      return clone(obj) as T;
    }
    if (!obj.metadata.name && obj.metadata.generateName) obj.metadata.name = obj.metadata.generateName + Math.random().toString(36).slice(2, 7);
    if (!obj.metadata.name) throw new StatusError('Invalid', 'name or generateName is required');
    if (namespace) obj.metadata.namespace = namespace;
    if (this.coll(resource).has(objectKey(obj.metadata))) throw errors.alreadyExists(this.gr(resource), obj.metadata.name);
    obj.apiVersion = resource.group ? `${resource.group}/${resource.version}` : resource.version;
    obj.kind = resource.kind;
    obj.metadata.uid = randomUUID();
    obj.metadata.creationTimestamp = new Date(this.now()).toISOString().replace(/\.\d+Z$/, 'Z');
    obj.metadata.generation = 1;
    delete obj.metadata.deletionTimestamp;
    if (resource.resource === 'namespaces') {
      obj.spec = { finalizers: ['kubernetes'], ...(obj.spec as object) };
      obj.status = { phase: 'Active' };
    }
    this.actions.push(`create ${resource.resource} ${objectKey(obj.metadata)}`);
    return this.store(resource, obj, 'ADDED') as T;
  }

  async update<T extends KubeObject>(resource: ResourceInfo, object: T, options: WriteOptions = {}): Promise<T> {
    const key = objectKey({ namespace: resource.namespaced ? object.metadata.namespace : undefined, name: object.metadata.name });
    const cur = this.coll(resource).get(key);
    if (!cur) throw errors.notFound(this.gr(resource), object.metadata.name ?? '');
    this.beforeWrite?.(`update${options.subresource ? '/' + options.subresource : ''}`, resource.resource, object);
    if (object.metadata.resourceVersion && object.metadata.resourceVersion !== cur.metadata.resourceVersion) throw errors.conflict(this.gr(resource), object.metadata.name ?? '');
    const incoming = clone(object) as KubeObject;
    let next: KubeObject;
    if (options.subresource === 'status') {
      next = { ...clone(cur), status: incoming.status };
    } else if (options.subresource === 'finalize') {
      next = { ...clone(cur), spec: { ...(cur.spec as object), finalizers: (incoming.spec as { finalizers?: string[] } | undefined)?.finalizers ?? [] } };
    } else {
      next = { ...incoming, status: cur.status, metadata: { ...incoming.metadata, uid: cur.metadata.uid, creationTimestamp: cur.metadata.creationTimestamp, deletionTimestamp: cur.metadata.deletionTimestamp, generation: cur.metadata.generation } };
      if (next.status === undefined) delete next.status;
      const specChanged = JSON.stringify(incoming.spec) !== JSON.stringify(cur.spec) || JSON.stringify(incoming.template) !== JSON.stringify(cur.template);
      if (specChanged) next.metadata.generation = (cur.metadata.generation ?? 1) + 1;
    }
    this.actions.push(`update ${resource.resource}${options.subresource ? '/' + options.subresource : ''} ${key}`);
    return this.store(resource, next, 'MODIFIED') as T;
  }

  async patch<T extends KubeObject>(resource: ResourceInfo, name: string, namespace: string | undefined, patch: unknown, type: PatchType, options: WriteOptions = {}): Promise<T> {
    if (type === 'json') throw new StatusError('UnsupportedMediaType', 'the fake client only does merge patches');
    const cur = this.coll(resource).get(resource.namespaced && namespace ? `${namespace}/${name}` : name);
    if (!cur) throw errors.notFound(this.gr(resource), name);
    const merged = mergePatch(clone(cur), patch) as KubeObject;
    const wantRv = (patch as { metadata?: { resourceVersion?: string } })?.metadata?.resourceVersion;
    if (!wantRv) merged.metadata.resourceVersion = cur.metadata.resourceVersion;
    return this.update(resource, merged as T, options);
  }

  async delete(resource: ResourceInfo, name: string, namespace?: string, options: DeleteOptions = {}): Promise<void> {
    const key = resource.namespaced && namespace ? `${namespace}/${name}` : name;
    const cur = this.coll(resource).get(key);
    if (!cur) throw errors.notFound(this.gr(resource), name);
    this.beforeWrite?.('delete', resource.resource, cur);
    if (options.preconditions?.uid && options.preconditions.uid !== cur.metadata.uid) throw errors.conflict(this.gr(resource), name, 'Precondition failed: UID in precondition does not match');
    this.actions.push(`delete ${resource.resource} ${key}`);
    const next = clone(cur);
    const finalizers = new Set(next.metadata.finalizers ?? []);
    if (options.propagationPolicy === 'Foreground') finalizers.add('foregroundDeletion');
    if (options.propagationPolicy === 'Orphan') finalizers.add('orphan');
    next.metadata.finalizers = [...finalizers];
    if (next.metadata.finalizers.length === 0) delete next.metadata.finalizers;
    let grace = 0;
    if (resource.resource === 'pods') {
      const spec = (next.spec ?? {}) as { nodeName?: string; terminationGracePeriodSeconds?: number };
      const phase = (next.status as { phase?: string } | undefined)?.phase;
      if (spec.nodeName && phase !== 'Succeeded' && phase !== 'Failed') grace = options.gracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? 30;
    }
    if (next.metadata.deletionTimestamp && grace === 0 && (next.metadata.deletionGracePeriodSeconds ?? 0) > 0) next.metadata.deletionGracePeriodSeconds = 0;
    if (!next.metadata.deletionTimestamp) {
      next.metadata.deletionTimestamp = new Date(this.now() + grace * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
      next.metadata.deletionGracePeriodSeconds = grace;
    }
    // Namespaces pass through Terminating; the namespace controller finishes them.
    if (resource.resource === 'namespaces') {
      next.status = { ...(next.status as object), phase: 'Terminating' };
    }
    this.store(resource, next, 'MODIFIED');
  }
}
