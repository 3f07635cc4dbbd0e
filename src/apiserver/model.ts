/**
 * The seam to the API model (src/api): defaults, validation, selectors and Table printing.
 * Everything kind-specific the API server needs goes through this file, so wiring in a new
 * piece of src/api touches only here.
 */
import type { KubeObject, StatusCause } from '../api/meta.js';
import type { ResourceInfo } from '../api/resources.js';
import { errors } from '../api/status-error.js';
import type { ObjectModel } from './registry.js';

export const apiModel: ObjectModel = {
  applyDefaults(_info: ResourceInfo, _obj: KubeObject): void {
    // Wired to src/api/defaults.ts when it lands.
  },
  validate(_info: ResourceInfo, obj: KubeObject, _old?: KubeObject): StatusCause[] {
    const causes: StatusCause[] = [];
    const name = obj.metadata?.name ?? '';
    if (name && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name)) {
      causes.push({ reason: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character` });
    }
    return causes;
  },
};

/** A predicate over objects built from labelSelector + fieldSelector. */
export type ObjectFilter = (obj: KubeObject) => boolean;

export function buildFilter(info: ResourceInfo, labelSelector: string | null, fieldSelector: string | null): ObjectFilter | undefined {
  const label = labelSelector ? parseLabelSelector(labelSelector) : undefined;
  const field = fieldSelector ? parseFields(info, fieldSelector) : undefined;
  if (!label && !field) return undefined;
  return (obj) => (!label || label(obj.metadata?.labels ?? {})) && (!field || field(obj));
}

/** The metadata.name a field selector pins, if any: lets get -w / wait skip scanning. */
export function nameFromFieldSelector(fieldSelector: string | null): string | undefined {
  if (!fieldSelector) return undefined;
  for (const term of fieldSelector.split(',')) {
    const m = /^metadata\.name(==|=)(.*)$/.exec(term.trim());
    if (m) return m[2];
  }
  return undefined;
}

type LabelPredicate = (labels: Record<string, string>) => boolean;

// Interim selector parser until src/api/labels.ts lands (then this delegates to it).
function parseLabelSelector(text: string): LabelPredicate {
  const reqs: LabelPredicate[] = [];
  const terms = splitTerms(text);
  for (const raw of terms) {
    const t = raw.trim();
    if (!t) continue;
    let m: RegExpExecArray | null;
    if ((m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(t))) {
      const key = m[1]!;
      const values = new Set(m[3]!.split(',').map((v) => v.trim()));
      reqs.push(m[2] === 'in' ? (l) => key in l && values.has(l[key]!) : (l) => !(key in l) || !values.has(l[key]!));
    } else if ((m = /^([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)$/.exec(t))) {
      const [, key, op, value] = m as unknown as [string, string, string, string];
      reqs.push(op === '!=' ? (l) => l[key] !== value : (l) => l[key] === value);
    } else if ((m = /^!([\w./-]+)$/.exec(t))) {
      const key = m[1]!;
      reqs.push((l) => !(key in l));
    } else if ((m = /^([\w./-]+)$/.exec(t))) {
      const key = m[1]!;
      reqs.push((l) => key in l);
    } else {
      throw errors.badRequest(`unable to parse requirement: found '${t}', expected: valid label selector`);
    }
  }
  return (labels) => reqs.every((r) => r(labels));
}

function splitTerms(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

function parseFields(_info: ResourceInfo, text: string): ObjectFilter {
  const reqs: ObjectFilter[] = [];
  for (const raw of text.split(',')) {
    const t = raw.trim();
    if (!t) continue;
    const m = /^([\w.]+)\s*(==|=|!=)\s*(.*)$/.exec(t);
    if (!m) throw errors.badRequest(`invalid field selector: '${t}'`);
    const [, path, op, value] = m as unknown as [string, string, string, string];
    reqs.push((obj) => {
      const v = fieldValue(obj, path);
      return op === '!=' ? v !== value : v === value;
    });
  }
  return (obj) => reqs.every((r) => r(obj));
}

function fieldValue(obj: KubeObject, path: string): string {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur === undefined || cur === null ? '' : String(cur);
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
