/**
 * MemoryStorage: a real MVCC backend kept in process memory, for unit tests of the other parts
 * and for `skiff up --storage memory`. It keeps every version of every key and every event
 * until `compact` is called (or `retainRevisions` says so), so reads at old revisions and
 * watches from old revisions behave exactly as in the durable backends.
 */
import {
  StorageError,
  type KeyValue,
  type ListOptions,
  type ListResult,
  type Storage,
  type StorageEvent,
  type WatchListener,
  type WatchOptions,
  type Watcher,
} from '../storage.js';
import { LatestIndex } from '../latest-index.js';
import { WatchFanout } from '../watch-fanout.js';

export interface MemoryStorageOptions {
  /** Revision of the first write minus one (default 0: the first write gets revision 1). */
  initialRevision?: number;
  /**
   * Compact automatically so that at least this many revisions of history stay (checked every
   * `retainRevisions` writes, so between 1× and 2× are kept). Default: never compact on its own.
   */
  retainRevisions?: number;
}

/** One version of a key; `deleted` versions are tombstones (their value is the deleted one). */
interface Version {
  kv: KeyValue;
  deleted: boolean;
}

export class MemoryStorage implements Storage {
  private rev: number;
  private compactRev = 0;
  private closed = false;
  /** Every version of every key still known, oldest first. */
  private readonly history = new Map<string, Version[]>();
  /** Keys of `history` in sorted order, plus keys added since the last sort. */
  private sortedKeys: string[] = [];
  private newKeys: string[] = [];
  /** events[i].revision === eventBase + i + 1 (one event per revision). */
  private events: StorageEvent[] = [];
  private eventBase: number;
  private readonly fanout = new WatchFanout();
  private readonly retainRevisions: number;
  /** Live keys at the current revision: reads without `revision` never walk history. */
  private readonly latest = new LatestIndex();

  constructor(options: MemoryStorageOptions = {}) {
    this.rev = options.initialRevision ?? 0;
    this.eventBase = this.rev;
    this.compactRev = this.rev;
    this.retainRevisions = options.retainRevisions && options.retainRevisions > 0 ? options.retainRevisions : 0;
  }

  async get(key: string, options: { revision?: number } = {}): Promise<KeyValue | undefined> {
    this.checkOpen();
    const at = this.readRevision(options.revision);
    if (at === this.rev) return this.latest.get(key);
    const v = versionAt(this.history.get(key), at);
    return v && !v.deleted ? v.kv : undefined;
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    this.checkOpen();
    const at = this.readRevision(options.revision);
    if (at === this.rev) return this.latest.list(prefix, options.limit ?? 0, options.startAfter, at);
    const keys = this.keys();
    const limit = options.limit && options.limit > 0 ? options.limit : Infinity;
    let i = lowerBound(keys, prefix);
    if (options.startAfter !== undefined && options.startAfter >= prefix) i = upperBound(keys, options.startAfter);
    const items: KeyValue[] = [];
    let remaining = 0;
    for (; i < keys.length; i++) {
      const key = keys[i]!;
      if (!key.startsWith(prefix)) break;
      const v = versionAt(this.history.get(key), at);
      if (!v || v.deleted) continue;
      if (items.length < limit) items.push(v.kv);
      else remaining++;
    }
    return remaining > 0 ? { items, revision: at, more: true, remaining } : { items, revision: at, more: false };
  }

  async count(prefix: string): Promise<number> {
    this.checkOpen();
    return this.latest.count(prefix);
  }

  async create(key: string, value: string): Promise<KeyValue> {
    this.checkOpen();
    const versions = this.history.get(key);
    const last = versions?.[versions.length - 1];
    if (last && !last.deleted) throw new StorageError('KeyExists', `key ${key} already exists`, last.kv);
    const rev = this.rev + 1;
    const kv: KeyValue = Object.freeze({ key, value, createRevision: rev, modRevision: rev });
    this.commit(key, versions, { kv, deleted: false }, { type: 'put', kv, created: true, revision: rev });
    return kv;
  }

  async update(key: string, value: string, expectedRevision: number): Promise<KeyValue> {
    this.checkOpen();
    const versions = this.history.get(key);
    const last = versions?.[versions.length - 1];
    if (!last || last.deleted) throw new StorageError('NotFound', `key ${key} not found`);
    if (last.kv.modRevision !== expectedRevision) {
      throw new StorageError('Conflict', `key ${key} is at revision ${last.kv.modRevision}, not ${expectedRevision}`, last.kv);
    }
    const rev = this.rev + 1;
    const kv: KeyValue = Object.freeze({ key, value, createRevision: last.kv.createRevision, modRevision: rev });
    this.commit(key, versions, { kv, deleted: false }, { type: 'put', kv, prevKv: last.kv, created: false, revision: rev });
    return kv;
  }

  async delete(key: string, expectedRevision?: number): Promise<KeyValue> {
    this.checkOpen();
    const versions = this.history.get(key);
    const last = versions?.[versions.length - 1];
    if (!last || last.deleted) throw new StorageError('NotFound', `key ${key} not found`);
    if (expectedRevision !== undefined && last.kv.modRevision !== expectedRevision) {
      throw new StorageError('Conflict', `key ${key} is at revision ${last.kv.modRevision}, not ${expectedRevision}`, last.kv);
    }
    const rev = this.rev + 1;
    const kv: KeyValue = Object.freeze({ key, value: last.kv.value, createRevision: last.kv.createRevision, modRevision: rev });
    this.commit(key, versions, { kv, deleted: true }, { type: 'delete', kv, prevKv: last.kv, created: false, revision: rev });
    return kv;
  }

  watch(prefix: string, options: WatchOptions, listener: WatchListener): Watcher {
    if (this.closed) return this.fanout.failed(listener, closedError());
    const from = options.fromRevision > 0 ? options.fromRevision : this.rev;
    if (from < this.compactRev) {
      return this.fanout.failed(listener, compactedError(from, this.compactRev));
    }
    const backlog: StorageEvent[] = [];
    for (let i = Math.max(0, from - this.eventBase); i < this.events.length; i++) {
      const ev = this.events[i]!;
      if (ev.kv.key.startsWith(prefix)) backlog.push(ev);
    }
    return this.fanout.add(prefix, from, listener, backlog);
  }

  async currentRevision(): Promise<number> {
    this.checkOpen();
    return this.rev;
  }

  async compactedRevision(): Promise<number> {
    this.checkOpen();
    return this.compactRev;
  }

  async compact(revision: number): Promise<void> {
    this.checkOpen();
    this.compactSync(revision);
  }

  private compactSync(revision: number): void {
    const target = Math.min(revision, this.rev);
    if (target <= this.compactRev) return;
    let removedKeys = false;
    for (const [key, versions] of this.history) {
      // Keep the newest version at or below the target (the state as of `target`) and all later ones.
      let keepFrom = versions.length;
      while (keepFrom > 0 && versions[keepFrom - 1]!.kv.modRevision > target) keepFrom--;
      if (keepFrom > 0) {
        const base = versions[keepFrom - 1]!;
        if (!base.deleted) keepFrom--;
      }
      if (keepFrom === 0) continue;
      if (keepFrom === versions.length) {
        this.history.delete(key);
        removedKeys = true;
      } else {
        versions.splice(0, keepFrom);
      }
    }
    if (removedKeys) {
      this.sortedKeys = this.keys().filter((k) => this.history.has(k));
    }
    this.events = this.events.slice(target - this.eventBase);
    this.eventBase = target;
    this.compactRev = target;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.fanout.failAll(closedError());
  }

  private commit(key: string, versions: Version[] | undefined, version: Version, event: StorageEvent): void {
    this.rev = event.revision;
    if (versions) versions.push(version);
    else {
      this.history.set(key, [version]);
      this.newKeys.push(key);
    }
    if (version.deleted) this.latest.delete(key);
    else this.latest.set(version.kv);
    // Shared by every watcher: nobody may change it.
    Object.freeze(event);
    this.events.push(event);
    this.fanout.publish([event]);
    if (this.retainRevisions > 0 && this.rev - this.compactRev >= 2 * this.retainRevisions) {
      this.compactSync(this.rev - this.retainRevisions);
    }
  }

  /** Sorted keys; new keys are merged in lazily (sort only the new ones, then merge). */
  private keys(): string[] {
    if (this.newKeys.length === 0) return this.sortedKeys;
    const added = this.newKeys.sort();
    this.newKeys = [];
    const old = this.sortedKeys;
    if (old.length === 0 || added[0]! > old[old.length - 1]!) {
      this.sortedKeys = old.length === 0 ? added : old.concat(added);
      return this.sortedKeys;
    }
    const merged: string[] = new Array(old.length + added.length);
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < old.length && j < added.length) merged[k++] = old[i]! < added[j]! ? old[i++]! : added[j++]!;
    while (i < old.length) merged[k++] = old[i++]!;
    while (j < added.length) merged[k++] = added[j++]!;
    this.sortedKeys = merged;
    return merged;
  }

  private readRevision(revision: number | undefined): number {
    if (revision === undefined || revision <= 0) return this.rev;
    if (revision < this.compactRev) throw compactedError(revision, this.compactRev);
    if (revision > this.rev) throw new StorageError('Unavailable', `revision ${revision} is in the future (current ${this.rev})`);
    return revision;
  }

  private checkOpen(): void {
    if (this.closed) throw closedError();
  }
}

function versionAt(versions: Version[] | undefined, at: number): Version | undefined {
  if (!versions) return undefined;
  // Versions are few per key; scan from the newest.
  for (let i = versions.length - 1; i >= 0; i--) {
    const v = versions[i]!;
    if (v.kv.modRevision <= at) return v;
  }
  return undefined;
}

function lowerBound(keys: string[], target: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(keys: string[], target: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! <= target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function compactedError(revision: number, compacted: number): StorageError {
  return new StorageError('Compacted', `revision ${revision} has been compacted (compacted revision ${compacted})`);
}

function closedError(): StorageError {
  return new StorageError('Unavailable', 'storage is closed');
}
