/**
 * Field sets of server-side apply, in the shape of structured-merge-diff: which fields of an
 * object a value "sets", walked with the schema table's list/map semantics, and the FieldsV1
 * JSON that `metadata.managedFields[].fieldsV1` carries.
 *
 * A path is a list of path elements spelled as in FieldsV1: `f:<field>`, `k:<json of keys>`
 * (an item of a map-list, keys sorted), `v:<json value>` (an item of a set), `i:<index>`.
 * A set is a Map from the path's key (its elements joined by NUL) to a member record; leaves
 * carry their value (JSON text) so two objects can be compared path by path.
 */
import { DEFINITIONS, type FieldSpec, type FieldType } from '../openapi/schema-table.js';
import { isPlainObject, type JsonObject } from './json-util.js';

export interface Member {
  path: string[];
  /** JSON text of a leaf's value; undefined for a node that has members below it. */
  value?: string;
}

export type FieldSet = Map<string, Member>;

const SEP = '\u0000';
export const pathKey = (path: string[]): string => path.join(SEP);

/** Structs Kubernetes marks `+structType=atomic`: owned and replaced as a whole. */
const ATOMIC_STRUCTS = new Set([
  'io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector',
  'io.k8s.api.core.v1.LocalObjectReference',
  'io.k8s.api.core.v1.KeySelector',
  'io.k8s.api.core.v1.ObjectFieldSelector',
  'io.k8s.api.core.v1.ResourceFieldSelector',
  'io.k8s.api.core.v1.EndpointAddress',
  'io.k8s.api.core.v1.EndpointPort',
]);

/** How a value at some place in an object is merged and owned. */
export type Shape =
  | { kind: 'struct'; def: string }
  | { kind: 'map'; values: FieldType }
  | { kind: 'leaf' }
  | { kind: 'set' }
  | { kind: 'mapList'; keys: string[]; itemDef: string | undefined };

export function shapeOf(type: FieldType | undefined, spec?: FieldSpec): Shape {
  if (!type) return { kind: 'leaf' };
  switch (type.kind) {
    case 'ref': {
      const def = DEFINITIONS[type.ref];
      if (!def || def.primitive || ATOMIC_STRUCTS.has(type.ref)) return { kind: 'leaf' };
      return { kind: 'struct', def: type.ref };
    }
    case 'map':
      return spec?.mapType === 'atomic' ? { kind: 'leaf' } : { kind: 'map', values: type.values };
    case 'array':
      if (spec?.listType === 'set') return { kind: 'set' };
      if (spec?.listType === 'map' && spec.listMapKeys?.length) {
        return { kind: 'mapList', keys: spec.listMapKeys, itemDef: type.items.kind === 'ref' ? type.items.ref : undefined };
      }
      return { kind: 'leaf' };
    default:
      return { kind: 'leaf' };
  }
}

/** Shape of a child field of a struct (unknown fields are leaves). */
export function fieldShape(def: string, field: string): { shape: Shape; spec?: FieldSpec } {
  const spec = DEFINITIONS[def]?.properties?.[field];
  return { shape: shapeOf(spec?.type, spec), spec };
}

/** Defaults SMD applies to list-map keys the element omits (`protocol` → TCP). */
function keyValue(item: JsonObject, key: string): unknown {
  const v = item[key];
  if (v === undefined && key === 'protocol') return 'TCP';
  return v;
}

/** FieldsV1 element of a map-list item: `k:{"containerPort":80,"protocol":"TCP"}` (keys sorted). */
export function itemElement(item: unknown, keys: string[]): string {
  const o: JsonObject = {};
  if (isPlainObject(item)) for (const k of [...keys].sort()) if (keyValue(item, k) !== undefined) o[k] = keyValue(item, k);
  return `k:${JSON.stringify(o)}`;
}

export const valueElement = (v: unknown): string => `v:${JSON.stringify(v)}`;

function add(set: FieldSet, path: string[], value?: string): void {
  set.set(pathKey(path), { path, value });
}

/** The members a value sets, as SMD's ToFieldSet: leaves, list items, map entries, empty structs. */
function walk(value: unknown, shape: Shape, path: string[], set: FieldSet, mapNodes = false): void {
  switch (shape.kind) {
    case 'leaf':
      add(set, path, JSON.stringify(value));
      return;
    case 'set':
      if (!Array.isArray(value)) return add(set, path, JSON.stringify(value));
      for (const v of value) add(set, [...path, valueElement(v)], JSON.stringify(v));
      return;
    case 'mapList':
      if (!Array.isArray(value)) return add(set, path, JSON.stringify(value));
      for (const item of value) {
        const p = [...path, itemElement(item, shape.keys)];
        add(set, p);
        if (shape.itemDef && isPlainObject(item)) walkStruct(item, shape.itemDef, p, set, mapNodes);
        else add(set, p, JSON.stringify(item));
      }
      return;
    case 'map':
      if (!isPlainObject(value)) return add(set, path, JSON.stringify(value));
      if (mapNodes && path.length > 0) add(set, path);
      for (const [k, v] of Object.entries(value)) {
        const p = [...path, `f:${k}`];
        const s = shapeOf(shape.values);
        if (s.kind === 'leaf' || v === null) add(set, p, JSON.stringify(v));
        else {
          add(set, p);
          walk(v, s, p, set, mapNodes);
        }
      }
      return;
    case 'struct':
      if (!isPlainObject(value)) return add(set, path, JSON.stringify(value));
      walkStruct(value, shape.def, path, set, mapNodes);
      return;
  }
}

function walkStruct(value: JsonObject, def: string, path: string[], set: FieldSet, mapNodes = false): void {
  for (const [k, v] of Object.entries(value)) {
    const p = [...path, `f:${k}`];
    const { shape } = fieldShape(def, k);
    if (v === null || (isPlainObject(v) && Object.keys(v).length === 0 && shape.kind !== 'leaf')) {
      add(set, p, JSON.stringify(v));
      continue;
    }
    walk(v, shape, p, set, mapNodes);
  }
}

/** Paths never tracked in managedFields (identity and system-owned metadata). */
const IGNORED_TOP = new Set(['f:apiVersion', 'f:kind']);
const IGNORED_META = new Set(['f:name', 'f:namespace', 'f:uid', 'f:resourceVersion', 'f:generation', 'f:creationTimestamp', 'f:deletionTimestamp', 'f:deletionGracePeriodSeconds', 'f:managedFields', 'f:selfLink', 'f:generateName']);

/**
 * The field set of a whole object of definition `def`. For the main resource `status` is
 * ignored (its writes are reset); for the `status` subresource only `status` counts.
 * `mapNodes` also lists every map (labels, data...) as a member, so a write that creates a map
 * owns the map itself (`.` in FieldsV1), as Kubernetes records it for Update operations.
 */
export function objectFieldSet(obj: unknown, def: string | undefined, subresource?: string, opts: { mapNodes?: boolean } = {}): FieldSet {
  const set: FieldSet = new Map();
  if (!isPlainObject(obj)) return set;
  const mapNodes = opts.mapNodes ?? false;
  // Ignored parts are never walked (this runs on every write).
  const top: JsonObject = {};
  for (const [k, v] of Object.entries(obj)) {
    if (IGNORED_TOP.has(`f:${k}`)) continue;
    if (subresource === 'status' ? k !== 'status' : subresource === undefined && k === 'status') continue;
    if (k === 'metadata' && isPlainObject(v)) {
      const meta: JsonObject = {};
      for (const [mk, mv] of Object.entries(v)) if (!IGNORED_META.has(`f:${mk}`)) meta[mk] = mv;
      if (Object.keys(meta).length > 0) top.metadata = meta;
      continue;
    }
    top[k] = v;
  }
  if (def) walkStruct(top, def, [], set, mapNodes);
  else walk(top, { kind: 'map', values: { kind: 'open' } }, [], set, mapNodes);
  return set;
}

// ---- FieldsV1 ------------------------------------------------------------------------------

/** Set → FieldsV1 JSON (`{"f:spec":{"f:replicas":{}}}`, `.` marking a member with members below). */
export function toFieldsV1(set: Iterable<Member>): JsonObject {
  // Members in path order build every node's keys already sorted (NUL sorts first, so this
  // is element-by-element order); a member's node gets `.` first, dropped if it stays a leaf.
  const members = [...set].map((m) => ({ m, key: pathKey(m.path) })).sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  const root: JsonObject = {};
  const memberNodes: JsonObject[] = [];
  for (const { m } of members) {
    let node = root;
    for (const pe of m.path) node = (node[pe] ??= {}) as JsonObject;
    if (!('.' in node)) {
      // keep `.` ahead of the children that later members add
      const children = Object.keys(node);
      if (children.length === 0) node['.'] = {};
      else {
        const moved = Object.fromEntries(children.map((k) => [k, node[k]]));
        for (const k of children) delete node[k];
        node['.'] = {};
        Object.assign(node, moved);
      }
    }
    memberNodes.push(node);
  }
  for (const node of memberNodes) {
    if ('.' in node && Object.keys(node).length === 1) delete node['.'];
  }
  return root;
}

/** FieldsV1 JSON → set of member paths (no values: ownership only). */
export function fromFieldsV1(fields: unknown): FieldSet {
  const set: FieldSet = new Map();
  const visit = (node: unknown, path: string[]) => {
    if (!isPlainObject(node)) return;
    const children = Object.keys(node).filter((k) => k !== '.');
    if (path.length > 0 && (children.length === 0 || '.' in node)) add(set, path);
    for (const c of children) visit(node[c], [...path, c]);
  };
  visit(fields, []);
  return set;
}

/** `.spec.template.spec.containers[name="nginx"].image`: a path as SMD prints it. */
export function pathString(path: string[]): string {
  return path
    .map((pe) => {
      const body = pe.slice(2);
      switch (pe.slice(0, 2)) {
        case 'f:':
          return `.${body}`;
        case 'k:': {
          let o: JsonObject;
          try {
            o = JSON.parse(body) as JsonObject;
          } catch {
            return `[${body}]`;
          }
          return `[${Object.entries(o)
            .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
            .join(',')}]`;
        }
        case 'v:':
          return `[=${body}]`;
        case 'i:':
          return `[${body}]`;
        default:
          return pe;
      }
    })
    .join('');
}

export function isPrefix(prefix: string[], path: string[]): boolean {
  if (prefix.length > path.length) return false;
  for (let i = 0; i < prefix.length; i++) if (prefix[i] !== path[i]) return false;
  return true;
}
