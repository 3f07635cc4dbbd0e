/**
 * RFC 6902 JSON Patch over plain JSON values. Never mutates its input: the document is cloned
 * once and the operations are applied to the clone in order; the first failing operation aborts
 * the whole patch (a patch is atomic, as in Kubernetes).
 *
 * Errors, as kube-apiserver answers them:
 * - a body that is not a list of operations → 400 BadRequest;
 * - an operation that cannot be applied (missing path, failed `test`, bad index) → 422 Invalid
 *   "the server rejected our request due to an error in our request", the detail in a cause.
 */
import { StatusError } from '../../api/status-error.js';
import { clone, deepEqual, isPlainObject, withDepthGuard } from './json-util.js';

export type JsonPatchOp =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'move' | 'copy'; from: string; path: string };

/** Kubernetes caps the operation count (maxJSONPatchOperations); a bigger patch is a 413. */
export const MAX_JSON_PATCH_OPERATIONS = 10_000;

class OpFailure extends Error {}

/** 422 exactly as kube-apiserver builds it (NewGenericServerResponse with code 422). */
export function unprocessablePatch(detail: string): StatusError {
  return new StatusError('Invalid', 'the server rejected our request due to an error in our request', {
    causes: [{ reason: 'UnexpectedServerResponse', message: detail }],
  });
}

/** Validates the shape of a decoded JSON Patch body; throws 400 when it is not one. */
export function parseJsonPatch(ops: unknown): JsonPatchOp[] {
  if (!Array.isArray(ops)) throw new StatusError('BadRequest', 'json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  if (ops.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new StatusError('RequestEntityTooLarge', `The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${ops.length}`);
  }
  return ops.map((raw, i) => {
    if (!isPlainObject(raw)) throw new StatusError('BadRequest', `json: cannot unmarshal ${typeof raw} into Go value of type jsonpatch.Operation (operation ${i})`);
    const op = raw.op;
    if (typeof raw.path !== 'string') throw unprocessablePatch(`operation ${i} ("${String(op)}") missing path`);
    switch (op) {
      case 'add':
      case 'replace':
      case 'test':
        if (!('value' in raw)) throw unprocessablePatch(`${op} operation does not apply: doc is missing value`);
        return { op, path: raw.path, value: raw.value };
      case 'remove':
        return { op, path: raw.path };
      case 'move':
      case 'copy':
        if (typeof raw.from !== 'string') throw unprocessablePatch(`${op} operation does not apply: doc is missing from path`);
        return { op, from: raw.from, path: raw.path };
      default:
        throw unprocessablePatch(`Unexpected kind: ${String(op)}`);
    }
  });
}

/** Splits a JSON Pointer (RFC 6901) into unescaped tokens; `""` is the whole document. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new OpFailure(`invalid JSON pointer "${pointer}"`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function arrayIndex(token: string, length: number, allowEnd: boolean): number {
  if (token === '-' && allowEnd) return length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new OpFailure(`invalid array index "${token}"`);
  const i = Number(token);
  if (i > length || (!allowEnd && i >= length)) throw new OpFailure(`index out of bounds: ${i}`);
  return i;
}

/** The container holding the pointer's last token. */
function parentOf(doc: unknown, tokens: string[], path: string): unknown {
  let cur = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(t, cur.length, false)];
    else if (isPlainObject(cur) && Object.hasOwn(cur, t)) cur = cur[t];
    else throw new OpFailure(`doc is missing path: "${path}": missing value`);
  }
  return cur;
}

function getAt(doc: unknown, path: string): unknown {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return doc;
  const parent = parentOf(doc, tokens, path);
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) return parent[arrayIndex(last, parent.length, false)];
  if (isPlainObject(parent) && Object.hasOwn(parent, last)) return parent[last];
  throw new OpFailure(`doc is missing path: "${path}": missing value`);
}

function addAt(doc: unknown, path: string, value: unknown): unknown {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return value;
  const parent = parentOf(doc, tokens, path);
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, true), 0, value);
  else if (isPlainObject(parent)) parent[last] = value;
  else throw new OpFailure(`add operation does not apply: doc is missing path: "${path}": missing value`);
  return doc;
}

function removeAt(doc: unknown, path: string): unknown {
  const tokens = parsePointer(path);
  if (tokens.length === 0) throw new OpFailure('remove operation does not apply: cannot remove the whole document');
  const parent = parentOf(doc, tokens, path);
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) {
    let i: number;
    try {
      i = arrayIndex(last, parent.length, false);
    } catch {
      throw new OpFailure(`error in remove for path: '${path}': Unable to remove nonexistent key: ${last}: missing value`);
    }
    parent.splice(i, 1);
  } else if (isPlainObject(parent) && Object.hasOwn(parent, last)) {
    delete parent[last];
  } else {
    throw new OpFailure(`error in remove for path: '${path}': Unable to remove nonexistent key: ${last}: missing value`);
  }
  return doc;
}

function replaceAt(doc: unknown, path: string, value: unknown): unknown {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return value;
  const parent = parentOf(doc, tokens, path);
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) {
    let i: number;
    try {
      i = arrayIndex(last, parent.length, false);
    } catch {
      throw new OpFailure(`replace operation does not apply: doc is missing key: ${path}: missing value`);
    }
    parent[i] = value;
  } else if (isPlainObject(parent) && Object.hasOwn(parent, last)) {
    parent[last] = value;
  } else {
    throw new OpFailure(`replace operation does not apply: doc is missing key: ${path}: missing value`);
  }
  return doc;
}

/**
 * Applies RFC 6902 operations (already decoded from JSON) to a copy of `obj` and returns it.
 * Throws StatusError 400 for a malformed patch and 422 for an operation that does not apply.
 */
export function applyJsonPatch<T = unknown>(obj: T, ops: unknown): T {
  return withDepthGuard(() => applyOps(obj, ops));
}

function applyOps<T>(obj: T, ops: unknown): T {
  const patch = parseJsonPatch(ops);
  let doc: unknown = clone(obj);
  for (const op of patch) {
    try {
      switch (op.op) {
        case 'add':
          doc = addAt(doc, op.path, clone(op.value));
          break;
        case 'remove':
          doc = removeAt(doc, op.path);
          break;
        case 'replace':
          doc = replaceAt(doc, op.path, clone(op.value));
          break;
        case 'test': {
          let actual: unknown;
          try {
            actual = getAt(doc, op.path);
          } catch {
            actual = undefined;
          }
          if (!deepEqual(actual, op.value)) throw new OpFailure(`testing value ${op.path} failed: test failed`);
          break;
        }
        case 'move': {
          if (op.path.startsWith(`${op.from}/`)) throw new OpFailure(`move operation does not apply: cannot move "${op.from}" into its own child "${op.path}"`);
          const v = getAt(doc, op.from);
          doc = removeAt(doc, op.from);
          doc = addAt(doc, op.path, v);
          break;
        }
        case 'copy':
          doc = addAt(doc, op.path, clone(getAt(doc, op.from)));
          break;
      }
    } catch (err) {
      if (err instanceof OpFailure) throw unprocessablePatch(err.message);
      throw err;
    }
  }
  return doc as T;
}
