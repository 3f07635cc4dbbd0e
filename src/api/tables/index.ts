/**
 * Server-side Table printing (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`): the
 * columns and cells kube-apiserver's printers produce, so `kubectl get` shows what it shows
 * against Kubernetes. Like the real server, every column is sent (priority-1 columns are the
 * ones kubectl only shows with `-o wide`); `wide: false` drops them for other callers.
 */
import type { KubeObject, ObjectMeta } from '../meta.js';
import type { ResourceInfo } from '../resources.js';
import type { TableColumnDefinition, TableRow } from '../types.js';
import { systemClock, type Clock } from '../../util/clock.js';
import { printers, type Printer } from './printers.js';
import { since } from './human-duration.js';

export { humanDuration, since } from './human-duration.js';
export { podStatusReason } from './printers.js';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableOptions {
  /** Include priority>0 columns (default true, as kube-apiserver always does). */
  wide?: boolean;
  /** "Now" for AGE columns, ms since the epoch. Defaults to `clock.now()`. */
  now?: number;
  clock?: Clock;
  /** What each row's `object` carries (default Metadata: a PartialObjectMetadata, as kubectl asks). */
  includeObject?: IncludeObject;
}

export interface TableContent {
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

export interface Table extends TableContent {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
}

const NAME_DESC =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
const AGE_DESC =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

/** Kinds without a dedicated printer: Name + Age. */
const defaultPrinter: Printer = {
  columns: [
    { name: 'Name', type: 'string', format: 'name', description: NAME_DESC, priority: 0 },
    { name: 'Age', type: 'string', format: '', description: AGE_DESC, priority: 0 },
  ],
  cells: (o, now) => [o.metadata?.name ?? '', since(o.metadata?.creationTimestamp, now)],
};

export function columnsFor(info: Pick<ResourceInfo, 'kind'>, wide = true): TableColumnDefinition[] {
  const p = printers[info.kind] ?? defaultPrinter;
  return wide ? p.columns.map((c) => ({ ...c })) : p.columns.filter((c) => c.priority === 0).map((c) => ({ ...c }));
}

function partialMetadata(meta: ObjectMeta): KubeObject {
  const m: ObjectMeta = { ...meta };
  delete m.managedFields;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: m };
}

/** Columns and rows for `objects` of one kind. */
export function tableFor(info: Pick<ResourceInfo, 'kind' | 'group' | 'version'>, objects: readonly KubeObject[], opts: TableOptions = {}): TableContent {
  const wide = opts.wide ?? true;
  const now = opts.now ?? (opts.clock ?? systemClock).now();
  const include = opts.includeObject ?? 'Metadata';
  const p = printers[info.kind] ?? defaultPrinter;
  const keep = wide ? undefined : p.columns.map((c) => c.priority === 0);
  const rows: TableRow[] = objects.map((o) => {
    let cells = p.cells(o, now);
    if (keep) cells = cells.filter((_, i) => keep[i]);
    const row: TableRow = { cells };
    const conditions = p.conditions?.(o);
    if (conditions) row.conditions = conditions;
    if (include === 'Metadata') row.object = partialMetadata(o.metadata ?? {});
    else if (include === 'Object') row.object = o;
    return row;
  });
  return { columnDefinitions: columnsFor(info, wide), rows };
}

/** A full `meta.k8s.io/v1` Table object. */
export function toTable(
  info: Pick<ResourceInfo, 'kind' | 'group' | 'version'>,
  objects: readonly KubeObject[],
  opts: TableOptions & { resourceVersion?: string; continue?: string; remainingItemCount?: number } = {},
): Table {
  const content = tableFor(info, objects, opts);
  const metadata: Table['metadata'] = {};
  if (opts.resourceVersion !== undefined) metadata.resourceVersion = opts.resourceVersion;
  if (opts.continue) metadata.continue = opts.continue;
  if (opts.remainingItemCount !== undefined) metadata.remainingItemCount = opts.remainingItemCount;
  return { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata, ...content };
}
