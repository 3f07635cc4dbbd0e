/**
 * Server-side apply (`PATCH` with `application/apply-patch+yaml`) and the managedFields
 * bookkeeping of ordinary writes, after Kubernetes' structured-merge-diff:
 *
 * apply: the applied configuration is merged into the live object (maps and structs merge,
 * map-lists merge item by key, sets unite, everything else is replaced); fields this manager
 * applied last time and now omits are removed unless another manager owns them; a field that
 * another manager owns and whose value the apply changes is a conflict (409 listing them, as
 * kube-apiserver words it) unless `force`, which takes the field over. The manager's entry
 * (operation Apply) then owns exactly the fields of its configuration.
 *
 * update: a create/update/patch by manager M takes ownership of every field it added or
 * changed (other managers lose them) and everyone loses the fields it removed.
 *
 * Ownership is per (manager, operation, subresource), as in Kubernetes. `status` is not
 * tracked for the main resource, only for the `status` subresource.
 */
import { parse as parseYaml } from 'yaml';
import type { KubeObject, ManagedFieldsEntry, StatusCause } from '../../api/meta.js';
import { apiVersionOf, type ResourceInfo } from '../../api/resources.js';
import { StatusError } from '../../api/status-error.js';
import { AUTOSCALING, DEFINITIONS, definitionNameFor } from '../openapi/schema-table.js';
import { clone, deepEqual, isPlainObject, withDepthGuard, type JsonObject } from './json-util.js';
import { fieldShape, fromFieldsV1, isPrefix, itemElement, objectFieldSet, pathKey, pathString, shapeOf, toFieldsV1, type FieldSet, type Shape } from './fieldset.js';

export interface ServerSideApplyOptions {
  /** The stored object; undefined when the apply creates it. */
  live: KubeObject | undefined;
  /** The decoded apply body (see parseApplyBody). */
  applied: KubeObject;
  /** `fieldManager` query parameter (required for apply; the caller checks presence). */
  manager: string;
  /** `force=true`: take conflicting fields over instead of failing with 409. */
  force: boolean;
  info: ResourceInfo;
  /** RFC 3339 time stamped on the manager's managedFields entry. */
  now: string;
  /** Subresource the apply targets (`status`, `scale`), if any. */
  subresource?: string;
}

export interface UpdateManagedFieldsOptions {
  /** The object before the write; undefined for a create. */
  old: KubeObject | undefined;
  /** The object about to be stored. */
  new: KubeObject;
  manager: string;
  operation: 'Update';
  subresource?: string;
  info: ResourceInfo;
  now: string;
}

/** Manager that owns the fields of objects that had no managedFields before their first apply. */
export const BEFORE_FIRST_APPLY = 'before-first-apply';

// ---- body ----------------------------------------------------------------------------------

/** Decodes an apply body (YAML or JSON) into an object; 400 when it is not one. */
export function parseApplyBody(body: Buffer | string): KubeObject {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  let v: unknown;
  try {
    v = parseYaml(text, { prettyErrors: false, uniqueKeys: true });
  } catch (err) {
    throw new StatusError('BadRequest', `error decoding YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!isPlainObject(v)) throw new StatusError('BadRequest', 'error decoding YAML: the apply body must be an object');
  if (v.metadata !== undefined && !isPlainObject(v.metadata)) throw new StatusError('BadRequest', 'error decoding YAML: metadata must be an object');
  return { ...v, metadata: (v.metadata as KubeObject['metadata']) ?? {} } as KubeObject;
}

// ---- merge ---------------------------------------------------------------------------------

function mergeValue(live: unknown, config: unknown, shape: Shape): unknown {
  if (config === undefined) return live;
  if (config === null) return undefined;
  switch (shape.kind) {
    case 'leaf':
      return clone(config);
    case 'struct':
    case 'map': {
      if (!isPlainObject(config)) return clone(config);
      const out: JsonObject = isPlainObject(live) ? { ...live } : {};
      for (const [k, v] of Object.entries(config)) {
        const child = shape.kind === 'struct' ? fieldShape(shape.def, k).shape : shapeOf(shape.values);
        const merged = mergeValue(out[k], v, child);
        if (merged === undefined) delete out[k];
        else out[k] = merged;
      }
      return out;
    }
    case 'set': {
      if (!Array.isArray(config)) return clone(config);
      const out = Array.isArray(live) ? live.slice() : [];
      for (const v of config) if (!out.some((o) => deepEqual(o, v))) out.push(clone(v));
      return out;
    }
    case 'mapList':
      if (!Array.isArray(config)) return clone(config);
      return mergeMapList(Array.isArray(live) ? live : [], config, shape);
  }
}

/** SMD's list merge: live-only items keep their places, shared and new items follow the config. */
function mergeMapList(live: unknown[], config: unknown[], shape: Extract<Shape, { kind: 'mapList' }>): unknown[] {
  const pe = (x: unknown) => itemElement(x, shape.keys);
  const lhs = live.map(pe);
  const rhs = config.map(pe);
  const lhsBy = new Map<string, unknown>();
  live.forEach((x, i) => lhsBy.has(lhs[i]) || lhsBy.set(lhs[i], x));
  const rhsBy = new Map<string, unknown>();
  config.forEach((x, i) => rhsBy.has(rhs[i]) || rhsBy.set(rhs[i], x));
  const item = (p: string) => (shape.itemDef ? mergeValue(lhsBy.get(p), rhsBy.get(p), { kind: 'struct', def: shape.itemDef }) : clone(rhsBy.get(p)));
  const sharedOrder = rhs.filter((p) => lhsBy.has(p));
  let nextShared = sharedOrder.shift();
  const done = new Set<string>();
  const out: unknown[] = [];
  let l = 0;
  let r = 0;
  while (l < lhs.length || r < rhs.length) {
    if (l < lhs.length && r < rhs.length) {
      const p = lhs[l];
      if (p === rhs[r]) {
        done.add(p);
        out.push(item(p));
        l++;
        r++;
        nextShared = sharedOrder.shift();
        continue;
      }
      if (rhsBy.has(p) && nextShared !== undefined && nextShared !== p) {
        l++;
        continue;
      }
    }
    if (l < lhs.length) {
      const p = lhs[l];
      if (!rhsBy.has(p)) {
        out.push(live[l]);
        l++;
        continue;
      }
      if (done.has(p)) {
        l++;
        continue;
      }
    }
    if (r < rhs.length) {
      const p = rhs[r];
      if (!done.has(p)) {
        done.add(p);
        out.push(item(p));
      }
      r++;
      if (nextShared !== undefined && nextShared === p) nextShared = sharedOrder.shift();
    }
  }
  return out;
}

/**
 * Removes the member at `path` from `obj` (in place); missing paths are ignored. Maps and lists
 * the removal leaves empty are dropped too, as Go's `omitempty` would drop them.
 */
function removePath(obj: unknown, path: string[]): void {
  removeAt(obj, path, 0);
}

function isEmptyContainer(v: unknown): boolean {
  return (Array.isArray(v) && v.length === 0) || (isPlainObject(v) && Object.keys(v).length === 0);
}

function removeAt(cur: unknown, path: string[], i: number): void {
  const pe = path[i];
  const last = i === path.length - 1;
  const kind = pe.slice(0, 2);
  const body = pe.slice(2);
  if (kind === 'f:') {
    if (!isPlainObject(cur) || !(body in cur)) return;
    if (last) {
      delete cur[body];
      return;
    }
    removeAt(cur[body], path, i + 1);
    if (isEmptyContainer(cur[body]) && (i > 0 || !['metadata', 'spec', 'status'].includes(body))) delete cur[body];
    return;
  }
  if (!Array.isArray(cur)) return;
  let idx = -1;
  if (kind === 'k:') {
    let keys: JsonObject;
    try {
      keys = JSON.parse(body) as JsonObject;
    } catch {
      return;
    }
    idx = cur.findIndex((el) => itemElement(el, Object.keys(keys)) === pe);
  } else if (kind === 'v:') {
    idx = cur.findIndex((el) => JSON.stringify(el) === body);
  } else if (kind === 'i:') {
    idx = Number(body);
  }
  if (idx < 0 || idx >= cur.length) return;
  if (last) cur.splice(idx, 1);
  else removeAt(cur[idx], path, i + 1);
}

// ---- managers ------------------------------------------------------------------------------

interface ManagerState {
  entry: ManagedFieldsEntry;
  set: FieldSet;
}

const sameManager = (e: ManagedFieldsEntry, manager: string, operation: string, subresource?: string) =>
  e.manager === manager && e.operation === operation && (e.subresource ?? '') === (subresource ?? '');

/** Stored or client-sent entries; anything malformed (not a list, not objects) is ignored. */
function managersOf(entries: unknown): ManagerState[] {
  if (!Array.isArray(entries)) return [];
  return entries.filter((e): e is ManagedFieldsEntry => isPlainObject(e)).map((entry) => ({ entry, set: fromFieldsV1(entry.fieldsV1) }));
}

function entryFor(opts: { manager: string; operation: 'Apply' | 'Update'; apiVersion: string; now: string; subresource?: string }, set: FieldSet): ManagedFieldsEntry {
  const e: ManagedFieldsEntry = {
    manager: opts.manager,
    operation: opts.operation,
    apiVersion: opts.apiVersion,
    time: opts.now,
    fieldsType: 'FieldsV1',
    fieldsV1: toFieldsV1(set.values()),
  };
  if (opts.subresource) e.subresource = opts.subresource;
  return e;
}

/** How `ours` differs from `theirs`: paths added or changed, and paths removed. */
function compare(before: FieldSet, after: FieldSet): { changed: Set<string>; removed: Set<string> } {
  const changed = new Set<string>();
  const removed = new Set<string>();
  for (const [k, m] of after) {
    const b = before.get(k);
    if (!b || b.value !== m.value) changed.add(k);
  }
  for (const k of before.keys()) if (!after.has(k)) removed.add(k);
  return { changed, removed };
}

function printManager(e: ManagedFieldsEntry): string {
  let s = JSON.stringify(e.manager ?? '');
  if (e.subresource) s += ` with subresource ${JSON.stringify(e.subresource)}`;
  if (e.operation === 'Update') s += ` using ${e.apiVersion ?? ''}`;
  return s;
}

/** 409 exactly as kube-apiserver words an apply conflict. */
export function applyConflictError(conflicts: { entry: ManagedFieldsEntry; path: string[] }[]): StatusError {
  const sorted = conflicts
    .map((c) => ({ manager: printManager(c.entry), path: pathString(c.path) }))
    .sort((a, b) => a.manager.localeCompare(b.manager) || a.path.localeCompare(b.path));
  const causes: StatusCause[] = sorted.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${c.manager}`, field: c.path }));
  let message: string;
  if (sorted.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${sorted[0].manager}: ${sorted[0].path}`;
  } else {
    const lines: string[] = [];
    let current = '';
    for (const c of sorted) {
      if (c.manager !== current) {
        lines.push(`conflicts with ${c.manager}:`);
        current = c.manager;
      }
      lines.push(`- ${c.path}`);
    }
    message = `Apply failed with ${sorted.length} conflicts: ${lines.join('\n')}`;
  }
  return new StatusError('Conflict', message, { causes });
}

function definitionFor(info: ResourceInfo, obj: KubeObject | undefined, subresource?: string): string | undefined {
  if (subresource === 'scale' || obj?.kind === 'Scale') return `${AUTOSCALING}Scale`;
  const def = definitionNameFor(info.group, info.version, info.kind);
  return DEFINITIONS[def] ? def : undefined;
}

const SYSTEM_METADATA = ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'selfLink', 'managedFields'];

/** The part of an apply body that is merged: no system metadata; status only for /status. */
function applicableConfig(applied: KubeObject, subresource?: string): JsonObject {
  const config = clone(applied) as unknown as JsonObject;
  const meta = isPlainObject(config.metadata) ? config.metadata : {};
  for (const k of SYSTEM_METADATA) delete meta[k];
  config.metadata = meta;
  if (subresource === 'status') {
    return { apiVersion: config.apiVersion, kind: config.kind, metadata: {}, ...(config.status !== undefined ? { status: config.status } : {}) };
  }
  if (subresource === undefined) delete config.status;
  return config;
}

// ---- apply ---------------------------------------------------------------------------------

/**
 * Applies `applied` for `manager` onto `live` (undefined: create) and returns the object to
 * store, managedFields included. Throws 409 Conflict (unless force) and 400 for bodies that
 * are not applicable (managedFields set, wrong kind).
 */
export function applyServerSideApply(opts: ServerSideApplyOptions): KubeObject {
  return withDepthGuard(() => serverSideApply(opts));
}

function serverSideApply(opts: ServerSideApplyOptions): KubeObject {
  const { live, applied, manager, force, info, now, subresource } = opts;
  if (!isPlainObject(applied)) throw new StatusError('BadRequest', 'the apply body must be an object');
  const managed = applied.metadata?.managedFields;
  if (Array.isArray(managed) ? managed.length > 0 : managed !== undefined && managed !== null) {
    throw new StatusError('BadRequest', 'metadata.managedFields must be nil');
  }
  const expectedKind = subresource === 'scale' ? 'Scale' : info.kind;
  if (applied.kind !== undefined && applied.kind !== expectedKind) {
    throw new StatusError('BadRequest', `the kind in the apply body (${String(applied.kind)}) does not match the expected kind (${expectedKind})`);
  }
  const apiVersion = subresource === 'scale' ? 'autoscaling/v1' : apiVersionOf(info);
  const def = definitionFor(info, applied, subresource);
  const shape: Shape = def ? { kind: 'struct', def } : { kind: 'map', values: { kind: 'open' } };

  const base: KubeObject = live ? clone(live) : { apiVersion, kind: expectedKind, metadata: {} };
  const managers = managersOf(live?.metadata.managedFields);
  if (live && managers.length === 0) {
    const set = objectFieldSet(live, def, subresource);
    if (set.size > 0) managers.push({ entry: entryFor({ manager: BEFORE_FIRST_APPLY, operation: 'Update', apiVersion, now }, set), set });
  }
  const selfIndex = managers.findIndex((m) => sameManager(m.entry, manager, 'Apply', subresource));
  const lastSet: FieldSet = selfIndex >= 0 ? managers[selfIndex].set : new Map();

  const config = applicableConfig(applied, subresource);
  const newSet = objectFieldSet(config, def, subresource);
  const merged = mergeValue(base, config, shape) as KubeObject;
  merged.apiVersion ??= apiVersion;
  merged.kind ??= expectedKind;
  if (!isPlainObject(merged.metadata)) merged.metadata = {};

  // Prune what this manager applied before, dropped now, and nobody else owns.
  const others = managers.filter((_, i) => i !== selfIndex);
  const ownedElsewhere = (path: string[]) => {
    const k = pathKey(path);
    if (newSet.has(k) || others.some((o) => o.set.has(k))) return true;
    const below = (s: FieldSet) => [...s.values()].some((m) => m.path.length > path.length && isPrefix(path, m.path));
    return below(newSet) || others.some((o) => below(o.set));
  };
  const toPrune = [...lastSet.values()].filter((m) => !ownedElsewhere(m.path));
  const pruneKeys = new Set(toPrune.map((m) => pathKey(m.path)));
  // Remove only top-most paths: an item goes as a whole, its fields with it.
  for (const m of toPrune) if (!m.path.some((_, i) => i > 0 && pruneKeys.has(pathKey(m.path.slice(0, i))))) removePath(merged, m.path);

  // Conflicts: fields other managers own whose value this apply changes.
  const { changed, removed } = compare(objectFieldSet(live ?? {}, def, subresource, { mapNodes: true }), objectFieldSet(merged, def, subresource, { mapNodes: true }));
  const conflicts: { entry: ManagedFieldsEntry; path: string[]; owner: ManagerState }[] = [];
  for (const o of others) for (const [k, m] of o.set) if (changed.has(k)) conflicts.push({ entry: o.entry, path: m.path, owner: o });
  if (conflicts.length > 0 && !force) throw applyConflictError(conflicts);
  for (const c of conflicts) c.owner.set.delete(pathKey(c.path));
  for (const o of others) for (const k of removed) o.set.delete(k);

  const unchanged = selfIndex >= 0 && changed.size === 0 && removed.size === 0 && sameKeys(lastSet, newSet);
  const selfEntry = unchanged ? managers[selfIndex].entry : entryFor({ manager, operation: 'Apply', apiVersion, now, subresource }, newSet);
  const entries: ManagedFieldsEntry[] = [];
  managers.forEach((m, i) => {
    if (i === selfIndex) {
      if (newSet.size > 0) entries.push(selfEntry);
      return;
    }
    if (m.set.size === 0) return;
    const touched = conflicts.some((c) => c.owner === m) || removed.size > 0;
    entries.push(touched ? { ...m.entry, fieldsV1: toFieldsV1(m.set.values()) } : m.entry);
  });
  if (selfIndex < 0 && newSet.size > 0) entries.push(selfEntry);
  if (entries.length > 0) merged.metadata.managedFields = entries;
  else delete merged.metadata.managedFields;
  return merged;
}

function sameKeys(a: FieldSet, b: FieldSet): boolean {
  if (a.size !== b.size) return false;
  for (const k of a.keys()) if (!b.has(k)) return false;
  return true;
}

// ---- update --------------------------------------------------------------------------------

/**
 * Records a non-apply write by `manager` (create when `old` is undefined) in
 * `metadata.managedFields` and returns the object to store (the same object when nothing
 * about ownership changed). Called by the registry for create, update and patch.
 */
export function recordUpdateManagedFields(opts: UpdateManagedFieldsOptions): KubeObject {
  return withDepthGuard(() => recordUpdate(opts));
}

function recordUpdate(opts: UpdateManagedFieldsOptions): KubeObject {
  const { old, manager, subresource, info, now } = opts;
  const obj = opts.new;
  if (!manager || typeof obj !== 'object' || obj === null || typeof obj.metadata !== 'object' || obj.metadata === null) return obj;
  const def = definitionFor(info, obj, subresource === 'scale' ? undefined : subresource);
  const trackSub = subresource === 'status' ? 'status' : undefined;
  const apiVersion = apiVersionOf(info);

  // Kubernetes' reset rules: `[{}]` strips managedFields entirely; an empty list or no list
  // keeps the stored ones (clients unaware of the field never strip it); any other list sent
  // by the client replaces them.
  const sent = obj.metadata.managedFields;
  if (Array.isArray(sent) && sent.length === 1 && isPlainObject(sent[0]) && Object.keys(sent[0]).length === 0) {
    const metadata = { ...obj.metadata };
    delete metadata.managedFields;
    return { ...obj, metadata };
  }
  const sentNothing = sent === undefined || (Array.isArray(sent) && sent.length === 0);
  const base = old === undefined ? (sentNothing ? undefined : sent) : sentNothing || deepEqual(sent, old.metadata.managedFields) ? old.metadata.managedFields : sent;
  const managers = managersOf(base);

  const after = objectFieldSet(obj, def, trackSub, { mapNodes: true });
  const { changed, removed } = compare(objectFieldSet(old ?? {}, def, trackSub, { mapNodes: true }), after);
  if (changed.size === 0 && removed.size === 0 && base === old?.metadata.managedFields) {
    if (base === undefined) return obj;
    return sent === base ? obj : { ...obj, metadata: { ...obj.metadata, managedFields: base } };
  }
  let self = managers.find((m) => sameManager(m.entry, manager, 'Update', subresource));
  if (!self) {
    self = { entry: { manager, operation: 'Update', apiVersion }, set: new Map() };
    managers.push(self);
  }
  for (const k of changed) self.set.set(k, after.get(k)!);
  for (const k of removed) self.set.delete(k);
  for (const m of managers) {
    if (m === self) continue;
    for (const k of changed) m.set.delete(k);
    for (const k of removed) m.set.delete(k);
  }
  const entries: ManagedFieldsEntry[] = [];
  for (const m of managers) {
    if (m.set.size === 0) continue;
    if (m === self) entries.push(entryFor({ manager, operation: 'Update', apiVersion, now, subresource }, m.set));
    else entries.push({ ...m.entry, fieldsV1: toFieldsV1(m.set.values()) });
  }
  const metadata = { ...obj.metadata };
  if (entries.length > 0) metadata.managedFields = entries;
  else delete metadata.managedFields;
  return { ...obj, metadata };
}
