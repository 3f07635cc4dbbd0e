/** POST pods/NAME/binding: the scheduler assigns a pod to a node (once). */
import { findResource } from '../../api/resources.js';
import { errors, StatusError } from '../../api/status-error.js';
import { rfc3339 } from '../../util/clock.js';
import { dryRunOf, type ApiRequest, type ServerDeps } from '../context.js';
import { decodeObjectBody } from '../decode.js';
import { sendJson, successStatus } from '../http-util.js';

export async function handleBinding(deps: ServerDeps, r: ApiRequest): Promise<void> {
  if (r.req.method !== 'POST') throw new StatusError('MethodNotAllowed', 'the server does not allow this method on the requested resource');
  const pods = findResource('', 'pods')!;
  const name = r.ri.name!;
  const binding = await decodeObjectBody(r, { ...pods, kind: 'Binding' });
  const target = binding.target as { kind?: string; name?: string } | undefined;
  if (!target?.name) {
    throw errors.invalid('Binding', '', name, [{ reason: 'FieldValueRequired', field: 'target.name', message: 'Required value' }]);
  }
  if (target.kind && target.kind !== 'Node') {
    throw errors.invalid('Binding', '', name, [{ reason: 'FieldValueNotSupported', field: 'target.kind', message: `Unsupported value: "${target.kind}": supported values: "Node"` }]);
  }
  const now = rfc3339(deps.clock.now());
  await deps.registry.update(
    pods,
    name,
    r.ri.namespace,
    (cur) => {
      if (!cur) throw errors.notFound(pods, name);
      const spec = (cur.spec ?? {}) as { nodeName?: string };
      if (cur.metadata.deletionTimestamp) throw errors.conflict(pods, name, 'pod is being deleted, cannot be assigned to a host');
      if (spec.nodeName) throw errors.conflict(pods, name, `pod ${name} is already assigned to node "${spec.nodeName}"`);
      cur.spec = { ...spec, nodeName: target.name };
      const status = (cur.status ?? {}) as { conditions?: { type: string }[] };
      const conditions = (status.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
      conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now } as { type: string });
      cur.status = { ...status, conditions };
      return cur;
    },
    { dryRun: dryRunOf(r.query), subresource: 'binding' },
  );
  sendJson(r.res, 201, successStatus(201));
}
