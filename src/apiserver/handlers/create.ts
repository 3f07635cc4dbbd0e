/** POST: create an object (and 405 for POST to a named object). */
import { StatusError } from '../../api/status-error.js';
import { dryRunOf, managerOf, type ApiRequest, type ServerDeps } from '../context.js';
import { decodeObjectBody } from '../decode.js';
import { sendRaw } from '../http-util.js';
import { contentTypeOf, negotiateOutput, renderObject } from '../output.js';

export async function handleCreate(deps: ServerDeps, r: ApiRequest): Promise<void> {
  if (r.ri.name) throw new StatusError('MethodNotAllowed', `the server does not allow this method on the requested resource`);
  const format = negotiateOutput(r.req.headers.accept, r.query);
  const obj = await decodeObjectBody(r);
  const created = await deps.registry.create(r.info, r.ri.namespace, obj, { dryRun: dryRunOf(r.query), manager: managerOf(r) });
  sendRaw(r.res, 201, contentTypeOf(format), renderObject(r.info, created, format, deps.clock.now()));
}
