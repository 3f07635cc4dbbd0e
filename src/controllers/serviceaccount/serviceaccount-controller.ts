/**
 * Every active Namespace has a `default` ServiceAccount (kube-controller-manager's
 * serviceaccount controller): created when the namespace appears, re-created if deleted.
 * Terminating namespaces are left alone.
 */
import { objectKey } from '../../api/meta.js';
import { isAlreadyExists, isNotFound } from '../../api/status-error.js';
import type { Namespace, ServiceAccount } from '../../api/types.js';
import type { SharedInformer } from '../../client/informer/shared-informer.js';
import { QueueWorker } from '../shared/queue-worker.js';
import type { Controller, ControllerContext } from '../shared/controller-context.js';
import { R } from '../shared/resources.js';

export const DEFAULT_SERVICE_ACCOUNT = 'default';

export class ServiceAccountController implements Controller {
  readonly name = 'serviceaccount';
  readonly worker: QueueWorker;
  private readonly namespaces: SharedInformer<Namespace>;
  private readonly accounts: SharedInformer<ServiceAccount>;

  constructor(private readonly ctx: ControllerContext) {
    this.namespaces = ctx.informers.informerFor<Namespace>(R.namespaces);
    this.accounts = ctx.informers.informerFor<ServiceAccount>(R.serviceAccounts);
    this.worker = new QueueWorker({ name: this.name, sync: (k) => this.sync(k), informers: [this.namespaces, this.accounts], workers: 1, clock: ctx.clock, logger: ctx.logger, metrics: ctx.metrics });
  }

  async start(): Promise<void> {
    this.namespaces.addEventHandler({ onAdd: (ns) => this.worker.enqueue(objectKey(ns.metadata)), onUpdate: (_o, ns) => this.worker.enqueue(objectKey(ns.metadata)) });
    this.accounts.addEventHandler({
      onDelete: (sa) => {
        if (sa.metadata.name === DEFAULT_SERVICE_ACCOUNT && sa.metadata.namespace) this.worker.enqueue(sa.metadata.namespace);
      },
    });
    void this.worker.start();
  }

  async stop(): Promise<void> {
    await this.worker.stop();
  }

  async sync(namespace: string): Promise<void> {
    const ns = this.namespaces.store.get(namespace);
    if (!ns || ns.metadata.deletionTimestamp || ns.status?.phase === 'Terminating') return;
    if (this.accounts.store.get(`${namespace}/${DEFAULT_SERVICE_ACCOUNT}`)) return;
    try {
      await this.ctx.client.create<ServiceAccount>(R.serviceAccounts, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: DEFAULT_SERVICE_ACCOUNT, namespace } });
    } catch (err) {
      // Exists already (our cache lagged), or the namespace just went away.
      if (!isAlreadyExists(err) && !isNotFound(err)) throw err;
    }
  }
}
