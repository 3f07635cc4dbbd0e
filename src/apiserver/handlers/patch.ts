/**
 * PATCH in its four content types. The patch functions come from ./patch (apiserver-writes);
 * this file picks one by Content-Type and runs it inside the registry's guaranteed update.
 */
import type { KubeObject } from '../../api/meta.js';
import { rfc3339 } from '../../util/clock.js';
import { errors, StatusError } from '../../api/status-error.js';
import { dryRunOf, managerOf, type ApiRequest, type ServerDeps } from '../context.js';
import { checkFieldValidation, parseJsonBody } from '../decode.js';
import { mediaTypeOf, readBody, sendRaw } from '../http-util.js';
import { contentTypeOf, negotiateOutput, renderObject } from '../output.js';
import { applyJsonPatch, applyMergePatch, applyServerSideApply, applyStrategicMergePatch, parseApplyBody } from '../patch/index.js';

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export function patchTypeOf(contentType: string | undefined): PatchType {
  switch (mediaTypeOf(contentType)) {
    case 'application/json-patch+json':
      return 'json';
    case 'application/merge-patch+json':
      return 'merge';
    case 'application/strategic-merge-patch+json':
      return 'strategic';
    case 'application/apply-patch+yaml':
      return 'apply';
    default:
      throw new StatusError(
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`,
      );
  }
}

/** Applies a non-apply patch body to a JSON value (object or Scale). */
export function applyPatchBody<T extends KubeObject>(type: Exclude<PatchType, 'apply'>, cur: T, patch: unknown, kind: string): T {
  switch (type) {
    case 'json':
      return applyJsonPatch(cur, patch);
    case 'merge':
      return applyMergePatch(cur, patch);
    case 'strategic':
      return applyStrategicMergePatch(cur, patch, kind);
  }
}

export async function handlePatch(deps: ServerDeps, r: ApiRequest): Promise<void> {
  const sub = r.ri.subresource;
  if (!r.ri.name) throw new StatusError('MethodNotAllowed', 'the server does not allow this method on the requested resource');
  if (sub !== undefined && sub !== 'status') throw new StatusError('MethodNotAllowed', 'the server does not allow this method on the requested resource');
  const type = patchTypeOf(r.req.headers['content-type']);
  const format = negotiateOutput(r.req.headers.accept, r.query);
  const body = await readBody(r.req);
  const info = r.info;
  const name = r.ri.name;
  const dryRun = dryRunOf(r.query);
  let mutate: (cur: KubeObject | undefined) => KubeObject;
  let manager: string | undefined;
  if (type === 'apply') {
    const fieldManager = r.query.get('fieldManager');
    if (!fieldManager) throw errors.badRequest('PATCH requests with apply content type must have a fieldManager');
    const applied = parseApplyBody(body);
    const force = r.query.get('force') === 'true';
    mutate = (live) => {
      const out = applyServerSideApply({ live, applied, manager: fieldManager, force, info, now: rfc3339(deps.clock.now()), subresource: sub });
      if (!live) {
        out.metadata ??= {};
        out.metadata.name ??= name;
      }
      return out;
    };
  } else {
    const patch = parseJsonBody(body);
    manager = managerOf(r);
    mutate = (cur) => {
      if (!cur) throw errors.notFound(info, name);
      return applyPatchBody(type, cur, patch, info.kind);
    };
  }
  const checked = (cur: KubeObject | undefined): KubeObject => {
    const out = mutate(cur);
    if (sub === undefined) checkFieldValidation(r, info, out);
    return out;
  };
  const { obj, created } = await deps.registry.update(info, name, r.ri.namespace, checked, {
    dryRun,
    subresource: sub,
    manager,
    allowCreate: type === 'apply' && sub === undefined,
  });
  sendRaw(r.res, created ? 201 : 200, contentTypeOf(format), renderObject(info, obj, format, deps.clock.now()));
}
