/**
 * The client contract every component (controllers, scheduler, agent, dns, proxy) codes
 * against. `RestClient` (rest-client.ts) implements ApiClient over HTTPS from a kubeconfig;
 * `SharedInformer` (informer/) implements Informer. Components receive these by injection,
 * so their unit tests can hand in fakes.
 */
import type { KubeList, KubeObject, WatchEvent } from '../api/meta.js';
import type { ResourceInfo } from '../api/resources.js';

export interface ListParams {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
}

export interface WatchParams {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Events after this resourceVersion; omit for "current state as ADDED, then changes". */
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
}

export interface WatchHandle {
  stop(): void;
}

export interface WatchCallbacks<T extends KubeObject> {
  onEvent(event: WatchEvent<T>): void;
  /** The stream ended: `err` is a StatusError (410 Expired/Gone for compaction) or a network error; undefined on a clean close. */
  onClose(err?: Error): void;
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export interface WriteOptions {
  subresource?: 'status' | 'scale' | 'binding' | 'finalize';
  fieldManager?: string;
  dryRun?: boolean;
}

export interface DeleteOptions {
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
}

/** Errors are thrown as StatusError (api/status-error.ts), rebuilt from the server's Status. */
export interface ApiClient {
  get<T extends KubeObject>(resource: ResourceInfo, name: string, namespace?: string): Promise<T>;
  list<T extends KubeObject>(resource: ResourceInfo, params?: ListParams): Promise<KubeList<T>>;
  watch<T extends KubeObject>(resource: ResourceInfo, params: WatchParams, callbacks: WatchCallbacks<T>): WatchHandle;
  create<T extends KubeObject>(resource: ResourceInfo, object: T, options?: WriteOptions & { namespace?: string }): Promise<T>;
  /** PUT; `object.metadata.resourceVersion` makes it conditional (409 on mismatch). */
  update<T extends KubeObject>(resource: ResourceInfo, object: T, options?: WriteOptions): Promise<T>;
  patch<T extends KubeObject>(
    resource: ResourceInfo,
    name: string,
    namespace: string | undefined,
    patch: unknown,
    type: PatchType,
    options?: WriteOptions,
  ): Promise<T>;
  delete(resource: ResourceInfo, name: string, namespace?: string, options?: DeleteOptions): Promise<void>;
}

export interface EventHandlers<T extends KubeObject> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  /** `obj` is the last state known. */
  onDelete?(obj: T): void;
}

/** A read-only, indexed view of a resource kept current by list + watch. */
export interface Store<T extends KubeObject> {
  /** By `namespace/name` (or `name` for cluster-scoped). */
  get(key: string): T | undefined;
  list(): T[];
  /** Objects whose index `indexName` yields `value` (indexes: `namespace` always, others as registered). */
  byIndex(indexName: string, value: string): T[];
}

export interface Informer<T extends KubeObject> {
  readonly store: Store<T>;
  addEventHandler(handlers: EventHandlers<T>): void;
  /** Registers an index function before start(): returns the index values of an object. */
  addIndex(name: string, fn: (obj: T) => string[]): void;
  start(): void;
  stop(): void;
  hasSynced(): boolean;
  /** Resolves once the first list has been delivered to handlers. */
  whenSynced(): Promise<void>;
}
