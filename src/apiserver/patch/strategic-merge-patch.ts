/**
 * Kubernetes strategic merge patch (`application/strategic-merge-patch+json`), the body
 * `kubectl apply` (client side), `kubectl edit`, `kubectl label` and friends send for built-in
 * kinds. Semantics follow k8s.io/apimachinery's strategicpatch.StrategicMergeMapPatch with
 * the options kube-apiserver uses (parallel lists merged, unmatched nulls ignored):
 *
 * - maps merge recursively; `null` deletes a key; `$patch: replace` replaces the map,
 *   `$patch: delete` empties it; `$retainKeys: [..]` drops every other key first;
 * - lists with `patchStrategy: merge` and a `patchMergeKey` (schema-table.ts) merge element
 *   by element on that key; elements `{"<key>": v, "$patch": "delete"}` remove, an element
 *   `{"$patch": "replace"}` makes the list replace;
 * - primitive lists with `patchStrategy: merge` (finalizers) are unions;
 *   `$deleteFromPrimitiveList/<list>: [..]` removes values;
 * - `$setElementOrder/<list>: [..]` fixes the order of the merged list;
 * - every other list is replaced by the patch.
 * Order of merged lists: patch items in patch (or setElementOrder) order, server-only items
 * interleaved at their live positions, as Kubernetes' normalizeElementOrder does.
 */
import type { KubeObject } from '../../api/meta.js';
import { StatusError } from '../../api/status-error.js';
import { DEFINITIONS, fieldOf, refOf, type FieldSpec } from '../openapi/schema-table.js';
import { clone, deepEqual, isPlainObject, withDepthGuard, type JsonObject } from './json-util.js';
import { unprocessablePatch } from './json-patch.js';

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ELEMENT_ORDER = '$setElementOrder/';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList/';

/** Kind → OpenAPI definition name, for the kinds with a GVK in the schema table. */
const definitionByKind = new Map<string, string>();
for (const [name, def] of Object.entries(DEFINITIONS)) {
  if (def.gvk && !definitionByKind.has(def.gvk.kind)) definitionByKind.set(def.gvk.kind, name);
}

/** The schema definition strategic merge uses for `kind` (undefined: merge maps, replace lists). */
export function definitionForKind(kind: string): string | undefined {
  return definitionByKind.get(kind);
}

class PatchShapeError extends Error {}

/**
 * Applies a decoded strategic merge patch to `obj` for built-in `kind` and returns the result.
 * Throws StatusError 400 when the patch is not an object or a directive is malformed,
 * 422 when the patch cannot be applied (an element without its merge key, ...).
 */
export function applyStrategicMergePatch<T extends KubeObject = KubeObject>(obj: T, patch: unknown, kind: string): T {
  if (!isPlainObject(patch)) throw new StatusError('BadRequest', 'invalid JSON document: a strategic merge patch must be a JSON object');
  try {
    return withDepthGuard(() => mergeMap(clone(obj) as JsonObject, clone(patch), definitionForKind(kind)) as T);
  } catch (err) {
    if (err instanceof PatchShapeError) throw new StatusError('BadRequest', err.message);
    if (err instanceof StatusError) throw err;
    throw unprocessablePatch((err as Error).message);
  }
}

/** Merges `patch` into `original` (both owned: mutated and returned). */
function mergeMap(original: JsonObject, patch: JsonObject, def: string | undefined): JsonObject {
  if (DIRECTIVE in patch) {
    const directive = patch[DIRECTIVE];
    if (directive === 'replace') {
      delete patch[DIRECTIVE];
      return stripDirectives(patch, def) as JsonObject;
    }
    if (directive === 'delete') return {};
    if (directive !== 'merge') throw new PatchShapeError(`Unexpected patch type ${JSON.stringify(directive)}`);
    delete patch[DIRECTIVE];
  }

  if (RETAIN_KEYS in patch) {
    const keep = patch[RETAIN_KEYS];
    delete patch[RETAIN_KEYS];
    if (!Array.isArray(keep)) throw new PatchShapeError('invalid patch: the value of $retainKeys must be a list');
    const set = new Set(keep.map(String));
    for (const k of Object.keys(patch)) {
      if (k.startsWith('$')) continue;
      if (!set.has(k) && patch[k] !== null) throw new Error('The patch content doesn\'t match retainKeys list');
    }
    for (const k of Object.keys(original)) if (!set.has(k)) delete original[k];
  }

  // $setElementOrder lists: merge the list and its order directive together.
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER)) continue;
    const field = key.slice(SET_ELEMENT_ORDER.length);
    const order = patch[key];
    delete patch[key];
    if (!Array.isArray(order)) throw new PatchShapeError('invalid patch: $setElementOrder must be a list');
    const spec = fieldOf(def, field);
    const origList = Array.isArray(original[field]) ? (original[field] as unknown[]) : [];
    const hasPatchList = Object.hasOwn(patch, field);
    const patchList = hasPatchList ? patch[field] : [];
    if (hasPatchList && !Array.isArray(patchList)) {
      // A null (or scalar) replaces the list; the order directive is moot.
      continue;
    }
    delete patch[field];
    const merged = spec?.patchStrategy?.includes('merge')
      ? mergeList({ original: origList, patch: patchList as unknown[], spec, order })
      : hasPatchList
        ? stripList(patchList as unknown[], spec)
        : origList;
    if (merged.length === 0) delete original[field];
    else original[field] = merged;
  }

  for (const rawKey of Object.keys(patch)) {
    let key = rawKey;
    let isDeleteList = false;
    if (rawKey.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      key = rawKey.slice(DELETE_FROM_PRIMITIVE_LIST.length);
      isDeleteList = true;
    } else if (rawKey.startsWith('$')) {
      continue; // unknown directives are ignored
    }
    const patchV = patch[rawKey];
    const spec = fieldOf(def, key);

    if (isDeleteList) {
      if (!Array.isArray(patchV)) throw new PatchShapeError('invalid patch: $deleteFromPrimitiveList must be a list');
      if (Array.isArray(original[key])) {
        const remaining = (original[key] as unknown[]).filter((v) => !patchV.some((d) => deepEqual(d, v)));
        original[key] = remaining;
      }
      continue;
    }
    if (patchV === null) {
      delete original[key];
      continue;
    }
    const origV = original[key];
    if (origV === undefined) {
      original[key] = stripValue(patchV, spec);
      continue;
    }
    if (isPlainObject(origV) && isPlainObject(patchV)) {
      const sub = refOf(spec?.type);
      original[key] = mergeMap(origV, patchV, spec?.type.kind === 'ref' ? sub : undefined);
      continue;
    }
    if (Array.isArray(origV) && Array.isArray(patchV)) {
      if (spec?.patchStrategy?.includes('merge')) original[key] = mergeList({ original: origV, patch: patchV, spec });
      else original[key] = stripList(patchV, spec);
      continue;
    }
    original[key] = stripValue(patchV, spec);
  }
  return original;
}

/** Merges a patch list into a live list per the field's strategy (merge). */
interface MergeListInput {
  original: unknown[];
  patch: unknown[];
  /** The list field's spec (merge key, strategy, item type). */
  spec: FieldSpec;
  /** A `$setElementOrder` list, when the patch carried one. */
  order?: unknown[];
}

function mergeList({ original, patch, spec, order }: MergeListInput): unknown[] {
  const itemDef = refOf(spec.type);
  const mergeKey = spec.mergeKey ?? '';
  if (original.length === 0 && patch.length === 0) return original;
  const isMapList = [...original, ...patch].some((v) => isPlainObject(v));
  if (!isMapList) {
    // Set of primitives (finalizers): union, first occurrence wins.
    const merged: unknown[] = [];
    for (const v of [...original, ...patch]) if (!merged.some((m) => deepEqual(m, v))) merged.push(v);
    const patchItems = merged.filter((v) => (order ?? patch).some((p) => deepEqual(p, v)));
    const serverOnly = merged.filter((v) => !(order ?? patch).some((p) => deepEqual(p, v)));
    return normalizeElementOrder(patchItems, serverOnly, order ?? patch, original, '');
  }
  if (!mergeKey) throw new Error(`cannot merge lists without merge key for ${itemDef ?? 'list'}`);

  // Special elements: {"$patch": "replace"} and {key: v, "$patch": "delete"}.
  let live = original.slice();
  const plain: JsonObject[] = [];
  let replace = false;
  for (const v of patch) {
    if (!isPlainObject(v)) throw new PatchShapeError('invalid patch: a merge list mixes maps and primitives');
    if (!(DIRECTIVE in v)) {
      plain.push(v);
      continue;
    }
    const directive = v[DIRECTIVE];
    if (directive === 'delete') {
      if (!(mergeKey in v)) throw new Error(`map: ${JSON.stringify(v)} does not contain declared merge key: ${mergeKey}`);
      live = live.filter((o) => !(isPlainObject(o) && sameElement(o, v, mergeKey, spec)));
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'merge') {
      throw new Error('merging lists cannot yet be specified in the patch');
    } else {
      throw new PatchShapeError(`Unexpected patch type ${JSON.stringify(directive)}`);
    }
  }
  if (replace) return plain.map((p) => stripDirectives(p, itemDef));

  const merged = live.slice();
  for (const p of plain) {
    if (!(mergeKey in p)) throw new Error(`map: ${JSON.stringify(p)} does not contain declared merge key: ${mergeKey}`);
    const i = merged.findIndex((o) => isPlainObject(o) && sameElement(o, p, mergeKey, spec));
    if (i >= 0) merged[i] = mergeMap(merged[i] as JsonObject, p, itemDef);
    else merged.push(mergeMap({}, p, itemDef));
  }
  const orderList = order ?? plain;
  const inOrder = (v: unknown) => orderList.some((o) => isPlainObject(o) && isPlainObject(v) && deepEqual(o[mergeKey], v[mergeKey]));
  const patchItems = merged.filter(inOrder);
  const serverOnly = merged.filter((v) => !inOrder(v));
  return normalizeElementOrder(patchItems, serverOnly, orderList, original, mergeKey);
}

/**
 * Two list elements are the same item when their merge keys are equal. Ports also compare
 * the protocol when both sides state it, so TCP and UDP on one port stay distinct items.
 */
function sameElement(a: JsonObject, b: JsonObject, mergeKey: string, spec: FieldSpec): boolean {
  if (!deepEqual(a[mergeKey], b[mergeKey])) return false;
  if (spec.listMapKeys?.includes('protocol') && a.protocol !== undefined && b.protocol !== undefined) return a.protocol === b.protocol;
  return true;
}

function keyOf(v: unknown, mergeKey: string): unknown {
  return mergeKey ? (isPlainObject(v) ? v[mergeKey] : undefined) : v;
}

function indexIn(list: unknown[], v: unknown, mergeKey: string): number {
  const k = keyOf(v, mergeKey);
  return list.findIndex((x) => deepEqual(keyOf(x, mergeKey), k));
}

/** Stable sort of `items` by their position in `order` (items absent from it keep their place at the end). */
function sortBy(items: unknown[], order: unknown[], mergeKey: string): unknown[] {
  return items
    .map((v, i) => ({ v, i, at: indexIn(order, v, mergeKey) }))
    .sort((a, b) => (a.at < 0 ? Number.MAX_SAFE_INTEGER : a.at) - (b.at < 0 ? Number.MAX_SAFE_INTEGER : b.at) || a.i - b.i)
    .map((x) => x.v);
}

/** Kubernetes' normalizeElementOrder + mergeSortedSlice. */
function normalizeElementOrder(patchItems: unknown[], serverOnly: unknown[], patchOrder: unknown[], serverOrder: unknown[], mergeKey: string): unknown[] {
  const right = sortBy(patchItems, patchOrder, mergeKey);
  const left = sortBy(serverOnly, serverOrder, mergeKey);
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = indexIn(serverOrder, left[i], mergeKey);
      const ri = indexIn(serverOrder, right[j], mergeKey);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

/** A patch value that lands where nothing was: directives resolved against an empty value. */
function stripValue(v: unknown, spec: FieldSpec | undefined): unknown {
  if (isPlainObject(v)) return mergeMap({}, v, spec?.type.kind === 'ref' ? refOf(spec.type) : undefined);
  if (Array.isArray(v)) {
    if (spec?.patchStrategy?.includes('merge')) return mergeList({ original: [], patch: v, spec });
    return stripList(v, spec);
  }
  return v;
}

function stripList(list: unknown[], spec: FieldSpec | undefined): unknown[] {
  const itemDef = refOf(spec?.type);
  return list.filter((v) => !(isPlainObject(v) && DIRECTIVE in v && Object.keys(v).length === 1)).map((v) => (isPlainObject(v) ? stripDirectives(v, itemDef) : v));
}

function stripDirectives(v: JsonObject, def: string | undefined): JsonObject {
  return mergeMap({}, v, def);
}
