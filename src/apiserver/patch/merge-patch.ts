/**
 * RFC 7386 JSON Merge Patch: objects merge recursively, `null` deletes a key, anything else
 * (arrays included) replaces. Kubernetes requires the patch itself to be an object (400 else).
 */
import { StatusError } from '../../api/status-error.js';
import { clone, isPlainObject, withDepthGuard, type JsonObject } from './json-util.js';

/** The RFC's MergePatch(target, patch); pure, never mutates either argument. */
export function mergePatchValue(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return clone(patch);
  const out: JsonObject = isPlainObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatchValue(out[k], v);
  }
  return out;
}

/** Applies a decoded merge-patch body to `obj`; throws 400 when the patch is not a JSON object. */
export function applyMergePatch<T = unknown>(obj: T, patch: unknown): T {
  if (!isPlainObject(patch)) throw new StatusError('BadRequest', 'Invalid JSON Patch');
  return withDepthGuard(() => mergePatchValue(obj, patch) as T);
}
