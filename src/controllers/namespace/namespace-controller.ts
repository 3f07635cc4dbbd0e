/**
 * Namespace lifecycle: when a Namespace is being deleted (deletionTimestamp set, phase
 * Terminating), delete every object of every namespaced resource in it, wait until none is
 * left (pods on nodes go only when their agent finishes them), then remove the `kubernetes`
 * finalizer through the `finalize` subresource so the API server removes the Namespace.
 */
import { objectKey } from '../../api/meta.js';
import { RESOURCES, type ResourceInfo } from '../../api/resources.js';
import { isConflict, isNotFound, StatusError } from '../../api/status-error.js';
import type { Namespace } from '../../api/types.js';
import type { SharedInformer } from '../../client/informer/shared-informer.js';
import { QueueWorker } from '../shared/queue-worker.js';
import type { Controller, ControllerContext } from '../shared/controller-context.js';
import { R } from '../shared/resources.js';

export const NAMESPACE_FINALIZER = 'kubernetes';

export interface NamespaceControllerOptions {
  workers?: number;
  /** How often a namespace still holding objects is looked at again (default 1 s). */
  recheckMs?: number;
}

export class NamespaceController implements Controller {
  readonly name = 'namespace';
  readonly worker: QueueWorker;
  private readonly namespaces: SharedInformer<Namespace>;
  private readonly recheckMs: number;

  constructor(
    private readonly ctx: ControllerContext,
    opts: NamespaceControllerOptions = {},
  ) {
    this.recheckMs = opts.recheckMs ?? 1000;
    this.namespaces = ctx.informers.informerFor<Namespace>(R.namespaces);
    this.worker = new QueueWorker({ name: this.name, sync: (k) => this.sync(k), informers: [this.namespaces], workers: opts.workers ?? 2, clock: ctx.clock, logger: ctx.logger, metrics: ctx.metrics });
  }

  async start(): Promise<void> {
    const maybe = (ns: Namespace) => {
      if (ns.metadata.deletionTimestamp) this.worker.enqueue(objectKey(ns.metadata));
    };
    this.namespaces.addEventHandler({ onAdd: maybe, onUpdate: (_o, n) => maybe(n) });
    void this.worker.start();
  }

  async stop(): Promise<void> {
    await this.worker.stop();
  }

  private contentResources(): ResourceInfo[] {
    // Events last: the deletions themselves may record some.
    const list = RESOURCES.filter((r) => r.namespaced);
    return [...list.filter((r) => r.resource !== 'events'), ...list.filter((r) => r.resource === 'events')];
  }

  async sync(key: string): Promise<void> {
    const ns = this.namespaces.store.get(key);
    if (!ns?.metadata.deletionTimestamp) return;
    const name = ns.metadata.name ?? '';
    let remaining = 0;
    for (const resource of this.contentResources()) {
      let items;
      try {
        items = (await this.ctx.client.list(resource, { namespace: name })).items;
      } catch (err) {
        if (isNotFound(err) || (err instanceof StatusError && err.code === 405)) continue;
        throw err;
      }
      for (const obj of items) {
        remaining++;
        if (obj.metadata.deletionTimestamp) continue;
        try {
          await this.ctx.client.delete(resource, obj.metadata.name ?? '', name, { propagationPolicy: 'Background' });
        } catch (err) {
          if (!isNotFound(err) && !isConflict(err)) throw err;
        }
      }
    }
    if (remaining > 0) {
      this.worker.enqueueAfter(key, this.recheckMs);
      return;
    }
    const fresh = await this.ctx.client.get<Namespace>(R.namespaces, name).catch((err) => {
      if (isNotFound(err)) return undefined;
      throw err;
    });
    if (!fresh) return;
    const finalizers = (fresh.spec?.finalizers ?? []).filter((f) => f !== NAMESPACE_FINALIZER);
    if (finalizers.length === (fresh.spec?.finalizers ?? []).length) return;
    await this.ctx.client.update(R.namespaces, { ...fresh, spec: { ...fresh.spec, finalizers } }, { subresource: 'finalize' });
  }
}
