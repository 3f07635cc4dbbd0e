/**
 * The seam to the API model (src/api): defaults, validation, selectors and Table printing.
 * Everything kind-specific the API server needs goes through this file, so wiring in a new
 * piece of src/api touches only here.
 */
import type { KubeObject, StatusCause } from '../api/meta.js';
import type { ResourceInfo } from '../api/resources.js';
import { parseFieldSelector, selectableFields } from '../api/fields.js';
import { parseSelector } from '../api/labels.js';
import { validateObject } from '../api/validation/index.js';
import { applyDefaults, carryOverServiceAllocations } from '../api/defaults/index.js';
import type { Service } from '../api/types.js';
import { tableFor, type IncludeObject, type TableContent } from '../api/tables/index.js';
import type { ObjectModel } from './registry.js';
import type { SelectableView } from './watch-cache.js';

export const apiModel: ObjectModel = {
  applyDefaults(info: ResourceInfo, obj: KubeObject, old?: KubeObject): void {
    if (old && info.kind === 'Service') carryOverServiceAllocations(obj as Service, old as Service);
    applyDefaults(info, obj);
  },
  validate(info: ResourceInfo, obj: KubeObject, old?: KubeObject, subresource?: string): StatusCause[] {
    return validateObject(info, obj, old, subresource === 'status' || subresource === 'binding' ? { subresource: 'status' } : {});
  },
};

/** A predicate over objects' labels and selectable fields, from labelSelector + fieldSelector. */
export type ObjectFilter = (view: SelectableView) => boolean;

export function buildFilter(info: ResourceInfo, labelSelector: string | null, fieldSelector: string | null): ObjectFilter | undefined {
  const label = labelSelector ? parseSelector(labelSelector) : undefined;
  const field = fieldSelector ? parseFieldSelector(fieldSelector, info.kind) : undefined;
  const fieldReqs = field?.requirements ?? [];
  if ((!label || label.isEmpty()) && fieldReqs.length === 0) return undefined;
  return (v) => {
    if (label && !label.matches(v.labels)) return false;
    for (const r of fieldReqs) {
      const have = v.fields[r.field] ?? '';
      if (r.operator === '!=' ? have === r.value : have !== r.value) return false;
    }
    return true;
  };
}

/** The selectable view of an object that is not in the cache. */
export function viewOf(info: ResourceInfo, obj: KubeObject): SelectableView {
  return { labels: obj.metadata?.labels ?? {}, fields: selectableFields(info.kind, obj) };
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

/** Columns and rows (with each row's object per includeObject) for objects of a kind. */
export function printTable(info: ResourceInfo, objs: readonly KubeObject[], nowMs: number, includeObject: IncludeObject): TableContent {
  return tableFor(info, objs, { now: nowMs, includeObject });
}
