/**
 * Shares one informer per (resource, namespace, label selector, field selector) among the
 * components of one process, like client-go's SharedInformerFactory: ask with `informerFor`,
 * register handlers and indexes, then `start()` (idempotent; starts informers created since)
 * and `waitForSync()`.
 */
import type { KubeObject } from '../../api/meta.js';
import type { ResourceInfo } from '../../api/resources.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import type { ApiClient } from '../types.js';
import { SharedInformer } from './shared-informer.js';

export interface InformerScope {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export interface InformerFactoryOptions {
  client: ApiClient;
  clock?: Clock;
  logger?: Logger;
  pageSize?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  watchTimeoutSeconds?: number;
}

export class InformerFactory {
  private readonly informers = new Map<string, SharedInformer<KubeObject>>();
  private started = false;

  constructor(private readonly opts: InformerFactoryOptions) {}

  get client(): ApiClient {
    return this.opts.client;
  }

  informerFor<T extends KubeObject>(resource: ResourceInfo, scope: InformerScope = {}): SharedInformer<T> {
    const key = [resource.group, resource.version, resource.resource, scope.namespace ?? '', scope.labelSelector ?? '', scope.fieldSelector ?? ''].join('|');
    let inf = this.informers.get(key);
    if (!inf) {
      inf = new SharedInformer<KubeObject>({ ...this.opts, resource, ...scope });
      this.informers.set(key, inf);
      if (this.started) inf.start();
    }
    return inf as unknown as SharedInformer<T>;
  }

  /** Starts every informer not yet running; informers created later start at once. */
  start(): void {
    this.started = true;
    for (const inf of this.informers.values()) inf.start();
  }

  stop(): void {
    this.started = false;
    for (const inf of this.informers.values()) inf.stop();
  }

  async waitForSync(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.whenSynced()));
  }

  hasSynced(): boolean {
    return [...this.informers.values()].every((i) => i.hasSynced());
  }
}
