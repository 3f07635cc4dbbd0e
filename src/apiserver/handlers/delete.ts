/** DELETE of one object and DELETE of a collection (deletecollection). */
import type { KubeObject } from '../../api/meta.js';
import { errors, isNotFound, StatusError } from '../../api/status-error.js';
import type { ApiRequest, ServerDeps } from '../context.js';
import { dryRunOf } from '../context.js';
import { mediaTypeOf, readBody, sendRaw } from '../http-util.js';
import { contentTypeOf, negotiateOutput, renderList, renderObject } from '../output.js';
import type { DeleteOptions } from '../registry.js';
import { parseJsonBody, parseYamlBody } from '../decode.js';
import { listObjects } from './list.js';

/** Namespaces Kubernetes never lets anyone delete. */
const UNDELETABLE_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

async function deleteOptionsOf(r: ApiRequest): Promise<DeleteOptions> {
  const body = await readBody(r.req);
  let opts: Record<string, unknown> = {};
  if (body.length > 0) {
    const type = mediaTypeOf(r.req.headers['content-type']);
    const v = type === 'application/yaml' ? parseYamlBody(body) : parseJsonBody(body);
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) opts = v as Record<string, unknown>;
    else if (v !== null) throw errors.badRequest('DeleteOptions must be a JSON object');
  }
  const q = r.query;
  const out: DeleteOptions = {};
  const grace = q.get('gracePeriodSeconds') ?? opts.gracePeriodSeconds;
  if (grace !== undefined && grace !== null && grace !== '') {
    const n = Number(grace);
    if (!Number.isFinite(n)) throw errors.badRequest(`invalid gracePeriodSeconds: ${String(grace)}`);
    out.gracePeriodSeconds = n;
  }
  const policy = q.get('propagationPolicy') ?? opts.propagationPolicy;
  if (policy !== undefined && policy !== null) {
    if (policy !== 'Foreground' && policy !== 'Background' && policy !== 'Orphan') {
      throw errors.invalid('DeleteOptions', '', '', [{ reason: 'FieldValueNotSupported', field: 'propagationPolicy', message: `Unsupported value: "${String(policy)}": supported values: "Foreground", "Background", "Orphan"` }]);
    }
    out.propagationPolicy = policy;
  }
  const orphan = q.get('orphanDependents') ?? opts.orphanDependents;
  if (orphan !== undefined && orphan !== null) out.orphanDependents = orphan === true || orphan === 'true';
  if (opts.preconditions && typeof opts.preconditions === 'object') out.preconditions = opts.preconditions as DeleteOptions['preconditions'];
  out.dryRun = dryRunOf(q) || (Array.isArray(opts.dryRun) && opts.dryRun.includes('All'));
  return out;
}

export async function handleDelete(deps: ServerDeps, r: ApiRequest): Promise<void> {
  if (r.ri.subresource) throw new StatusError('MethodNotAllowed', 'the server does not allow this method on the requested resource');
  const format = negotiateOutput(r.req.headers.accept, r.query);
  const opts = await deleteOptionsOf(r);
  if (r.info.kind === 'Namespace' && UNDELETABLE_NAMESPACES.has(r.ri.name!)) {
    throw new StatusError('Forbidden', `namespaces "${r.ri.name}" is forbidden: this namespace may not be deleted`, { name: r.ri.name, kind: 'namespaces' });
  }
  const { obj } = await deps.registry.delete(r.info, r.ri.name!, r.ri.namespace, opts);
  sendRaw(r.res, 200, contentTypeOf(format), renderObject(r.info, obj, format, deps.clock.now()));
}

export async function handleDeleteCollection(deps: ServerDeps, r: ApiRequest): Promise<void> {
  const format = negotiateOutput(r.req.headers.accept, r.query);
  const opts = await deleteOptionsOf(r);
  const q = new URLSearchParams(r.query);
  q.delete('limit');
  q.delete('continue');
  q.delete('resourceVersion');
  const { items, meta } = await listObjects(deps, r.info, r.ri.namespace, q);
  const deleted: KubeObject[] = [];
  for (const c of items) {
    const name = c.name;
    if (r.info.kind === 'Namespace' && UNDELETABLE_NAMESPACES.has(name)) continue;
    try {
      deleted.push((await deps.registry.delete(r.info, name, c.namespace, opts)).obj);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  const out = deleted.map((o) => ({ json: JSON.stringify(o), obj: () => o }));
  sendRaw(r.res, 200, contentTypeOf(format), renderList(r.info, out, format, meta, deps.clock.now()));
}
