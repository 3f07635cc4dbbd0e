/**
 * The one storage interface every backend implements (memory, sqlite, etcd), modelled on
 * etcd's MVCC and kine: every write gets a new cluster-wide revision, one higher than any
 * before it; reads may ask for an old revision until it is compacted.
 *
 * Keys are strings like `/registry/core/pods/default/web-1`; values are opaque strings
 * (the API server stores JSON). Revisions start at 1 and never repeat.
 */

export interface KeyValue {
  key: string;
  value: string;
  /** Revision of the write that created this key (since its last deletion). */
  createRevision: number;
  /** Revision of the last write to this key: the object's resourceVersion. */
  modRevision: number;
}

export interface ListOptions {
  /** Read as of this revision (default: the latest). Fails with `Compacted` when too old. */
  revision?: number;
  /** At most this many items (0 or unset: all). */
  limit?: number;
  /** Start strictly after this key (for `continue`). */
  startAfter?: string;
}

export interface ListResult {
  items: KeyValue[];
  /** The revision the list reflects: a watch from it misses nothing and repeats nothing. */
  revision: number;
  /** True when `limit` cut the list short. */
  more: boolean;
  /** How many keys matched after the returned ones, when `more` (may be an estimate). */
  remaining?: number;
}

export type StorageEventType = 'put' | 'delete';

export interface StorageEvent {
  type: StorageEventType;
  /** For `put`: the new value; for `delete`: the key with the deleted value, `modRevision` = the delete's revision. */
  kv: KeyValue;
  /** The value before this event, when there was one. */
  prevKv?: KeyValue;
  /** True when a `put` created the key. */
  created: boolean;
  revision: number;
}

export interface WatchOptions {
  /** Deliver every event with revision > this, in order (0: only future events). */
  fromRevision: number;
}

export interface Watcher {
  stop(): void;
}

export interface WatchListener {
  /** Called with events in revision order; never twice for one event. */
  onEvents(events: StorageEvent[]): void;
  /** The watch ended (compaction ran past it, backend closed, connection lost). No events follow. */
  onError(err: StorageError): void;
}

export interface Storage {
  get(key: string, options?: { revision?: number }): Promise<KeyValue | undefined>;
  list(prefix: string, options?: ListOptions): Promise<ListResult>;
  /** Number of keys under a prefix, at the latest revision. */
  count(prefix: string): Promise<number>;
  /** Fails with `KeyExists` when the key is present. Returns the new revision. */
  create(key: string, value: string): Promise<KeyValue>;
  /** Replaces the value only if the key's modRevision equals `expectedRevision`; else `Conflict` (or `NotFound`). */
  update(key: string, value: string, expectedRevision: number): Promise<KeyValue>;
  /** Deletes, guarded by `expectedRevision` when given. Returns the deleted value; its modRevision is the delete's revision. */
  delete(key: string, expectedRevision?: number): Promise<KeyValue>;
  /**
   * Starts watching; fails with `Compacted` when `fromRevision` is older than the compacted revision.
   * Never throws: every failure (also an immediate `Compacted`) arrives through `listener.onError`.
   */
  watch(prefix: string, options: WatchOptions, listener: WatchListener): Watcher;
  /** The latest revision. */
  currentRevision(): Promise<number>;
  /** The oldest revision still readable and watchable (everything at or below it may be gone). */
  compactedRevision(): Promise<number>;
  /** Forget history at or below `revision` (the latest value of every live key is kept). */
  compact(revision: number): Promise<void>;
  close(): Promise<void>;
}

export type StorageErrorCode = 'KeyExists' | 'NotFound' | 'Conflict' | 'Compacted' | 'Unavailable';

/** Typed storage failure; the API server translates it once into a StatusError. */
export class StorageError extends Error {
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    /** For Conflict: the current value, when known. */
    readonly current?: KeyValue,
  ) {
    super(message);
    this.name = 'StorageError';
  }
}

export const isStorageError = (err: unknown, code?: StorageErrorCode): err is StorageError =>
  err instanceof StorageError && (code === undefined || err.code === code);
