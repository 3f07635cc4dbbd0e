/**
 * The seam to the API model (src/api): defaults, validation, selectors and Table printing.
 * Everything kind-specific the API server needs goes through this file, so wiring in a new
 * piece of src/api touches only here.
 */
import type { KubeObject, StatusCause } from '../api/meta.js';
import type { ResourceInfo } from '../api/resources.js';
import { parseFieldSelector } from '../api/fields.js';
import { parseSelector } from '../api/labels.js';
import { validateObject } from '../api/validation/index.js';
import { applyDefaults, carryOverServiceAllocations } from '../api/defaults/index.js';
import type { Service } from '../api/types.js';
import type { ObjectModel } from './registry.js';

export const apiModel: ObjectModel = {
  applyDefaults(info: ResourceInfo, obj: KubeObject, old?: KubeObject): void {
    if (old && info.kind === 'Service') carryOverServiceAllocations(obj as Service, old as Service);
    applyDefaults(info, obj);
  },
  validate(info: ResourceInfo, obj: KubeObject, old?: KubeObject, subresource?: string): StatusCause[] {
    return validateObject(info, obj, old, subresource === 'status' || subresource === 'binding' ? { subresource: 'status' } : {});
  },
};

/** A predicate over objects built from labelSelector + fieldSelector. */
export type ObjectFilter = (obj: KubeObject) => boolean;

export function buildFilter(info: ResourceInfo, labelSelector: string | null, fieldSelector: string | null): ObjectFilter | undefined {
  const label = labelSelector ? parseSelector(labelSelector) : undefined;
  const field = fieldSelector ? parseFieldSelector(fieldSelector, info.kind) : undefined;
  if ((!label || label.isEmpty()) && !field) return undefined;
  return (obj) => (!label || label.matches(obj.metadata?.labels ?? {})) && (!field || field.matches(obj));
}

/** The metadata.name a field selector pins, if any: lets get -w / wait skip scanning. */
export function nameFromFieldSelector(fieldSelector: string | null): string | undefined {
  if (!fieldSelector) return undefined;
  for (const term of fieldSelector.split(',')) {
    const m = /^metadata\.name(==|=)([^\\]*)$/.exec(term.trim());
    if (m) return m[2];
  }
  return undefined;
}

export interface TableColumn {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface TableBody {
  columnDefinitions: TableColumn[];
  rows: { cells: unknown[]; object?: unknown }[];
}

/** Table columns and cells for objects of a kind (interim: NAME + AGE until src/api/tables.ts lands). */
export function printTable(_info: ResourceInfo, objs: readonly KubeObject[], nowMs: number): TableBody {
  return {
    columnDefinitions: [
      { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 },
      { name: 'Age', type: 'string', format: '', description: 'CreationTimestamp', priority: 0 },
    ],
    rows: objs.map((o) => ({ cells: [o.metadata.name, age(o.metadata.creationTimestamp, nowMs)] })),
  };
}

function age(ts: string | undefined, nowMs: number): string {
  if (!ts) return '<unknown>';
  const s = Math.max(0, Math.floor((nowMs - Date.parse(ts)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}
