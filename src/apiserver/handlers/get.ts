/** GET of one object (`kubectl get pod x`, `-o yaml`, describe). */
import type { ApiRequest, ServerDeps } from '../context.js';
import { sendRaw } from '../http-util.js';
import { contentTypeOf, negotiateOutput, renderObject } from '../output.js';

export async function handleGet(deps: ServerDeps, r: ApiRequest): Promise<void> {
  const format = negotiateOutput(r.req.headers.accept, r.query);
  const obj = await deps.registry.get(r.info, r.ri.name!, r.ri.namespace);
  sendRaw(r.res, 200, contentTypeOf(format), renderObject(r.info, obj, format, deps.clock.now()));
}
