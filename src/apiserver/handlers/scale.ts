/**
 * The `scale` subresource (autoscaling/v1 Scale) of deployments, replicasets and
 * replicationcontrollers: `kubectl scale` sends a merge patch here; the HPA PUTs.
 */
import type { KubeObject } from '../../api/meta.js';
import type { ResourceInfo } from '../../api/resources.js';
import { errors, StatusError } from '../../api/status-error.js';
import type { LabelSelector } from '../../api/types.js';
import { labelSelectorToString, selectorFromSet } from '../../api/labels.js';
import { dryRunOf, managerOf, type ApiRequest, type ServerDeps } from '../context.js';
import { decodeObjectBody, parseJsonBody } from '../decode.js';
import { readBody, sendJson } from '../http-util.js';
import { applyPatchBody, patchTypeOf } from './patch.js';

export function selectorString(sel: LabelSelector | Record<string, string> | undefined, equalityOnly: boolean): string {
  if (!sel) return '';
  if (equalityOnly) return selectorFromSet(sel as Record<string, string>).toString();
  return labelSelectorToString(sel as LabelSelector) ?? '';
}

export function scaleOf(info: ResourceInfo, obj: KubeObject): KubeObject {
  const spec = (obj.spec ?? {}) as { replicas?: number; selector?: LabelSelector | Record<string, string> };
  const status = (obj.status ?? {}) as { replicas?: number };
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      creationTimestamp: obj.metadata.creationTimestamp,
    },
    spec: { replicas: spec.replicas ?? 1 },
    status: { replicas: status.replicas ?? 0, selector: selectorString(spec.selector, info.kind === 'ReplicationController') },
  };
}

function replicasOf(scale: KubeObject): number {
  const n = (scale.spec as { replicas?: unknown } | undefined)?.replicas;
  if (n === undefined) return 0;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw errors.invalid('Scale', 'autoscaling', scale.metadata?.name ?? '', [
      { reason: 'FieldValueInvalid', field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(n)}: must be greater than or equal to 0` },
    ]);
  }
  return n;
}

export async function handleScale(deps: ServerDeps, r: ApiRequest): Promise<void> {
  const { info, ri } = r;
  const name = ri.name!;
  if (r.req.method === 'GET') {
    sendJson(r.res, 200, scaleOf(info, await deps.registry.get(info, name, ri.namespace)));
    return;
  }
  let toScale: (cur: KubeObject) => KubeObject;
  if (r.req.method === 'PUT') {
    const body = await decodeObjectBody(r, { ...info, kind: 'Scale', group: 'autoscaling', version: 'v1' });
    if (body.kind && body.kind !== 'Scale') throw errors.badRequest(`the kind in the data (${body.kind}) does not match the expected kind (Scale)`);
    toScale = () => body;
  } else if (r.req.method === 'PATCH') {
    const type = patchTypeOf(r.req.headers['content-type']);
    if (type === 'apply') throw new StatusError('UnsupportedMediaType', 'apply patches are not supported on the scale subresource');
    const patch = parseJsonBody(await readBody(r.req));
    toScale = (cur) => applyPatchBody(type, scaleOf(info, cur), patch, 'Scale');
  } else {
    throw new StatusError('MethodNotAllowed', 'the server does not allow this method on the requested resource');
  }
  const { obj } = await deps.registry.update(
    info,
    name,
    ri.namespace,
    (cur) => {
      if (!cur) throw errors.notFound(info, name);
      const scale = toScale(cur);
      const next = structuredClone(cur);
      next.spec = { ...(next.spec as object), replicas: replicasOf(scale) };
      const pinned = scale.metadata?.resourceVersion;
      next.metadata.resourceVersion = pinned || undefined;
      return next;
    },
    { dryRun: dryRunOf(r.query), manager: managerOf(r) },
  );
  sendJson(r.res, 200, scaleOf(info, obj));
}
