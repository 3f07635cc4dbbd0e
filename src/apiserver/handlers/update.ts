/** PUT: replace an object, its status, or a namespace's spec.finalizers (`/finalize`). */
import { StatusError } from '../../api/status-error.js';
import { dryRunOf, managerOf, type ApiRequest, type ServerDeps } from '../context.js';
import { decodeObjectBody } from '../decode.js';
import { sendRaw } from '../http-util.js';
import { contentTypeOf, negotiateOutput, renderObject } from '../output.js';

export async function handleUpdate(deps: ServerDeps, r: ApiRequest): Promise<void> {
  const sub = r.ri.subresource;
  if (!r.ri.name) throw new StatusError('MethodNotAllowed', 'the server does not allow this method on the requested resource');
  if (sub !== undefined && sub !== 'status' && !(sub === 'finalize' && r.info.kind === 'Namespace')) {
    throw new StatusError('MethodNotAllowed', 'the server does not allow this method on the requested resource');
  }
  const format = negotiateOutput(r.req.headers.accept, r.query);
  const body = await decodeObjectBody(r);
  const { obj, created } = await deps.registry.update(r.info, r.ri.name, r.ri.namespace, () => body, {
    dryRun: dryRunOf(r.query),
    subresource: sub,
    manager: managerOf(r),
  });
  sendRaw(r.res, created ? 201 : 200, contentTypeOf(format), renderObject(r.info, obj, format, deps.clock.now()));
}
