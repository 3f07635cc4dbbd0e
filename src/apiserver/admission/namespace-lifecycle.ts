/**
 * NamespaceLifecycle: namespaced objects may only be created in a namespace that exists and
 * is not terminating (Kubernetes' messages and codes). Events are let through into a
 * terminating namespace, as in Kubernetes, so controllers can report what they do there.
 */
import type { KubeObject } from '../../api/meta.js';
import { findResource } from '../../api/resources.js';
import { errors, StatusError } from '../../api/status-error.js';
import type { AdmissionContext, AdmissionPlugin } from './admission.js';

const namespaces = findResource('', 'namespaces')!;

export class NamespaceLifecycle implements AdmissionPlugin {
  readonly name = 'NamespaceLifecycle';

  async admitCreate(ctx: AdmissionContext, obj: KubeObject): Promise<void> {
    if (!ctx.info.namespaced) return;
    const nsName = obj.metadata.namespace!;
    // The cache answers the common case (namespace exists and is active) without a storage
    // read; anything else is confirmed against storage.
    const cached = ctx.cached(namespaces, nsName);
    if (cached && !cached.metadata.deletionTimestamp) return;
    const ns = await ctx.lookup(namespaces, nsName);
    if (!ns) throw errors.notFound(namespaces, nsName);
    if (ns.metadata.deletionTimestamp && ctx.info.kind !== 'Event') {
      throw new StatusError(
        'Forbidden',
        `${ctx.info.group ? `${ctx.info.resource}.${ctx.info.group}` : ctx.info.resource} "${obj.metadata.name ?? ''}" is forbidden: unable to create new content in namespace ${nsName} because it is being terminated`,
        { name: obj.metadata.name, group: ctx.info.group, kind: ctx.info.resource, causes: [{ reason: 'NamespaceTerminating', message: `namespace ${nsName} is being terminated`, field: 'metadata.namespace' }] },
      );
    }
  }
}
