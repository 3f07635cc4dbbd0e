/** ObjectMeta, labels, annotations and label-selector validation (apimachinery + core rules). */
import type { ObjectMeta } from '../meta.js';
import type { LabelSelector } from '../types.js';
import { arr, child, fieldErrors as fe, index, type FieldError } from './field-errors.js';
import { isQualifiedName, isValidLabelValue, nameIsDNSLabel, type NameValidator } from './names.js';

export const TOTAL_ANNOTATION_SIZE_LIMIT_BYTES = 256 * 1024;
export const IS_NEGATIVE_ERROR = 'must be greater than or equal to 0';
export const FIELD_IMMUTABLE = 'field is immutable';

export function validateNonnegative(value: unknown, path: string): FieldError[] {
  return typeof value === 'number' && value < 0 ? [fe.invalid(path, value, IS_NEGATIVE_ERROR)] : [];
}

/** Integers where Kubernetes has int32/int64 fields; JSON decode would reject the rest. */
export function validateInteger(value: unknown, path: string): FieldError[] {
  if (value === undefined || value === null) return [];
  if (typeof value !== 'number' || !Number.isInteger(value)) return [fe.invalid(path, value, 'must be an integer')];
  return [];
}

export function validateLabelName(k: string, path: string): FieldError[] {
  return isQualifiedName(k).map((m) => fe.invalid(path, k, m));
}

export function validateLabels(labels: Record<string, string> | undefined, path: string): FieldError[] {
  const out: FieldError[] = [];
  if (!labels) return out;
  if (typeof labels !== 'object' || Array.isArray(labels)) return [fe.invalid(path, labels, 'must be a map of string keys to string values')];
  for (const [k, v] of Object.entries(labels)) {
    out.push(...validateLabelName(k, path));
    if (typeof v !== 'string') {
      out.push(fe.invalid(path, v, 'label values must be strings'));
      continue;
    }
    for (const m of isValidLabelValue(v)) out.push(fe.invalid(path, v, m));
  }
  return out;
}

export function validateAnnotations(annotations: Record<string, string> | undefined, path: string): FieldError[] {
  const out: FieldError[] = [];
  if (!annotations) return out;
  if (typeof annotations !== 'object' || Array.isArray(annotations)) return [fe.invalid(path, annotations, 'must be a map of string keys to string values')];
  let size = 0;
  for (const [k, v] of Object.entries(annotations)) {
    for (const m of isQualifiedName(k.toLowerCase())) out.push(fe.invalid(path, k, m));
    if (typeof v !== 'string') out.push(fe.invalid(path, v, 'annotation values must be strings'));
    size += Buffer.byteLength(k) + (typeof v === 'string' ? Buffer.byteLength(v) : 0);
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT_BYTES) out.push(fe.tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT_BYTES));
  return out;
}

export interface ObjectMetaOptions {
  namespaced: boolean;
  nameFn: NameValidator;
}

export function validateObjectMeta(meta: ObjectMeta | undefined, opts: ObjectMetaOptions, path = 'metadata'): FieldError[] {
  const out: FieldError[] = [];
  if (!meta || typeof meta !== 'object') return [fe.required(path, '')];
  if (meta.generateName) {
    for (const m of opts.nameFn(meta.generateName, true)) out.push(fe.invalid(child(path, 'generateName'), meta.generateName, m));
  }
  if (!meta.name) out.push(fe.required(child(path, 'name'), 'name or generateName is required'));
  else for (const m of opts.nameFn(meta.name, false)) out.push(fe.invalid(child(path, 'name'), meta.name, m));
  if (opts.namespaced) {
    if (!meta.namespace) out.push(fe.required(child(path, 'namespace'), ''));
    else for (const m of nameIsDNSLabel(meta.namespace, false)) out.push(fe.invalid(child(path, 'namespace'), meta.namespace, m));
  } else if (meta.namespace) {
    out.push(fe.forbidden(child(path, 'namespace'), 'not allowed on this type'));
  }
  out.push(...validateNonnegative(meta.generation, child(path, 'generation')));
  out.push(...validateLabels(meta.labels, child(path, 'labels')));
  out.push(...validateAnnotations(meta.annotations, child(path, 'annotations')));
  const refs = arr(meta.ownerReferences);
  let controllers = 0;
  refs.forEach((r, i) => {
    const p = index(child(path, 'ownerReferences'), i);
    if (!r.apiVersion) out.push(fe.invalid(child(p, 'apiVersion'), r.apiVersion ?? '', 'version must not be empty'));
    if (!r.kind) out.push(fe.invalid(child(p, 'kind'), r.kind ?? '', 'kind must not be empty'));
    if (!r.name) out.push(fe.invalid(child(p, 'name'), r.name ?? '', 'name must not be empty'));
    if (!r.uid) out.push(fe.invalid(child(p, 'uid'), r.uid ?? '', 'uid must not be empty'));
    if (r.controller) controllers++;
  });
  if (controllers > 1) {
    const names = refs.filter((r) => r.controller).map((r) => `${r.kind}/${r.name}`);
    out.push(
      fe.invalidRaw(child(path, 'ownerReferences'), `[]v1.OwnerReference{...}`, `Only one reference can have Controller set to true. Found "true" in references for ${names.join(' and ')}`),
    );
  }
  const fins = arr(meta.finalizers);
  const seen = new Set<string>();
  fins.forEach((f, i) => {
    const p = index(child(path, 'finalizers'), i);
    for (const m of isQualifiedName(f)) out.push(fe.invalid(p, f, m));
    if (seen.has(f)) out.push(fe.duplicate(p, f));
    seen.add(f);
  });
  if (seen.has('orphan') && seen.has('foregroundDeletion')) {
    out.push(fe.invalid(child(path, 'finalizers'), fins, 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  return out;
}

/** Immutable metadata on update (name, namespace, uid, creationTimestamp). */
export function validateObjectMetaUpdate(meta: ObjectMeta, old: ObjectMeta, path = 'metadata'): FieldError[] {
  const out: FieldError[] = [];
  const immut = (f: 'name' | 'namespace' | 'uid' | 'creationTimestamp') => {
    const nv = meta[f];
    const ov = old[f];
    // Clients may omit uid/creationTimestamp on update; the server fills them back in.
    if (nv !== undefined && nv !== '' && ov !== undefined && nv !== ov) out.push(fe.invalid(child(path, f), nv, FIELD_IMMUTABLE));
  };
  immut('name');
  immut('namespace');
  immut('uid');
  immut('creationTimestamp');
  if (meta.generation !== undefined && old.generation !== undefined && meta.generation < old.generation) {
    out.push(fe.invalid(child(path, 'generation'), meta.generation, 'must not be decremented'));
  }
  return out;
}

/** `metav1.LabelSelector` syntax (matchLabels + matchExpressions). */
export function validateLabelSelector(sel: LabelSelector | undefined, path: string): FieldError[] {
  const out: FieldError[] = [];
  if (!sel) return out;
  out.push(...validateLabels(sel.matchLabels, child(path, 'matchLabels')));
  arr(sel.matchExpressions).forEach((r, i) => {
    const p = index(child(path, 'matchExpressions'), i);
    const values = arr(r.values);
    switch (r.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) out.push(fe.required(child(p, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) out.push(fe.forbidden(child(p, 'values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
        break;
      default:
        out.push(fe.invalid(child(p, 'operator'), r.operator, 'not a valid selector operator'));
    }
    out.push(...validateLabelName(r.key ?? '', child(p, 'key')));
    values.forEach((v, j) => {
      for (const m of isValidLabelValue(v)) out.push(fe.invalid(index(child(p, 'values'), j), v, m));
    });
  });
  return out;
}

/** How Go prints a `*metav1.LabelSelector` in an Invalid value (`v1.LabelSelector{MatchLabels:...}`). */
export function goLabelSelector(sel: LabelSelector | undefined): string {
  if (!sel) return 'null';
  const ml = sel.matchLabels;
  const mlText = ml
    ? `map[string]string{${Object.keys(ml)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${JSON.stringify(ml[k])}`)
        .join(', ')}}`
    : 'map[string]string(nil)';
  const me = sel.matchExpressions;
  const meText = me
    ? `[]v1.LabelSelectorRequirement{${me
        .map(
          (r) =>
            `v1.LabelSelectorRequirement{Key:${JSON.stringify(r.key)}, Operator:${JSON.stringify(r.operator)}, Values:${
              r.values ? `[]string{${r.values.map((v) => JSON.stringify(v)).join(', ')}}` : '[]string(nil)'
            }}`,
        )
        .join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return `v1.LabelSelector{MatchLabels:${mlText}, MatchExpressions:${meText}}`;
}
