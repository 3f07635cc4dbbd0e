/**
 * The patch algorithms kube-apiserver offers, as pure functions over decoded JSON values.
 * The apiserver decodes the body (JSON; YAML or JSON for apply), picks the function by
 * Content-Type, stores the result. Every function returns a new object and throws StatusError.
 *
 * | Content-Type                              | function                  |
 * |-------------------------------------------|---------------------------|
 * | application/json-patch+json               | applyJsonPatch            |
 * | application/merge-patch+json              | applyMergePatch           |
 * | application/strategic-merge-patch+json    | applyStrategicMergePatch  |
 * | application/apply-patch+yaml (+cbor no)   | parseApplyBody + applyServerSideApply |
 * Normal writes (create/update/patch) call recordUpdateManagedFields before storing.
 */
export { applyJsonPatch, parseJsonPatch, type JsonPatchOp } from './json-patch.js';
export { applyMergePatch } from './merge-patch.js';
export { applyStrategicMergePatch } from './strategic-merge-patch.js';
export {
  applyServerSideApply,
  recordUpdateManagedFields,
  parseApplyBody,
  type ServerSideApplyOptions,
  type UpdateManagedFieldsOptions,
} from './server-side-apply.js';
