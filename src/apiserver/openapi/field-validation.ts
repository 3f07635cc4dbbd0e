/**
 * `fieldValidation=Strict|Warn`: which fields of a request body the kind's schema does not know.
 * Paths are spelled like kube-apiserver's strict decoder spells them: `spec.foo`,
 * `spec.template.spec.containers[0].imagePullPolcy`, `metadata.labelz`.
 */
import type { ResourceInfo } from '../../api/resources.js';
import { StatusError } from '../../api/status-error.js';
import { DEFINITIONS, definitionNameFor, type FieldType } from './schema-table.js';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function join(prefix: string, key: string): string {
  return prefix ? `${prefix}.${key}` : key;
}

function walkType(t: FieldType, value: unknown, path: string, out: string[]): void {
  if (value === null || value === undefined) return;
  switch (t.kind) {
    case 'ref':
      walkDefinition(t.ref, value, path, out);
      return;
    case 'array':
      if (Array.isArray(value)) value.forEach((v, i) => walkType(t.items, v, `${path}[${i}]`, out));
      return;
    case 'map':
      if (isObject(value)) for (const [k, v] of Object.entries(value)) walkType(t.values, v, join(path, k), out);
      return;
    default:
      return; // scalars and open objects: nothing to check below
  }
}

function walkDefinition(name: string, value: unknown, path: string, out: string[]): void {
  const def = DEFINITIONS[name];
  if (!def || def.primitive || !def.properties || !isObject(value)) return;
  for (const [k, v] of Object.entries(value)) {
    const f = def.properties[k];
    if (!f) out.push(join(path, k));
    else walkType(f.type, v, join(path, k), out);
  }
}

/** Unknown field paths of `obj` as the kind `kind` (schema-table name lookup); [] when the kind has no schema. */
export function unknownFieldsOfKind(group: string, version: string, kind: string, obj: unknown): string[] {
  const out: string[] = [];
  walkDefinition(definitionNameFor(group, version, kind), obj, '', out);
  return out;
}

/** Unknown field paths of a request body for `info`'s kind (`spec.foo`, `spec.ports[0].bogus`). */
export function unknownFields(info: ResourceInfo, obj: unknown): string[] {
  return unknownFieldsOfKind(info.group, info.version, info.kind, obj);
}

/**
 * The 400 kube-apiserver answers for `fieldValidation=Strict`:
 * `Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.foo"`.
 */
export function strictDecodingError(info: Pick<ResourceInfo, 'kind' | 'version'>, fields: string[]): StatusError {
  const list = fields.map((f) => `unknown field "${f}"`).join(', ');
  return new StatusError('BadRequest', `${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: strict decoding error: ${list}`);
}

/** One warning text per field for `fieldValidation=Warn` (send each as `Warning: 299 - "<text>"`). */
export function unknownFieldWarnings(fields: string[]): string[] {
  return fields.map((f) => `unknown field "${f}"`);
}
