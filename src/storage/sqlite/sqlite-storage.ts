/**
 * SqliteStorage: the embedded default backend. One SQLite file (WAL mode) holds a kine-like
 * log: one row per revision. Writes that arrive in the same event-loop turn share one
 * transaction (group commit). SQLite commits with synchronous=NORMAL (the WAL is written, not
 * fsync'ed); then, with `synchronous: 'full'` (the default), `fdatasync` of the WAL runs on the
 * libuv thread pool and only when it returns are the batch's writes acknowledged, made visible
 * to readers and published to watchers. While one fdatasync runs, later batches commit and wait
 * for the next one, so the event loop never blocks on the disk and one sync covers many writes.
 *
 * Visibility: reads and watches see `visibleRev`, the last revision whose batch is durable;
 * revisions committed but not yet synced are invisible (a reader never sees a write that a
 * power loss could take back). Guard checks of later writes do see them (they are serialised
 * after them), so a Conflict may report such a not-yet-acknowledged value as `current`.
 *
 * Single owner: the database is opened with `locking_mode=EXCLUSIVE`, so only this process
 * can use the file; watches are an in-process fan-out of committed events. Several processes
 * that need one history must use the etcd backend.
 *
 * better-sqlite3 is synchronous: every statement runs on the event-loop thread. Reads are
 * short index lookups; a commit costs one fsync per batch; compaction runs in small chunks
 * with a macrotask between them.
 */
import { closeSync, fdatasync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Clock } from '../../util/clock.js';
import { systemClock } from '../../util/clock.js';
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

export interface SqliteStorageOptions {
  /** Database file (created when missing). `:memory:` works for throwaway tests (no durability). */
  path: string;
  /**
   * `full` (default): every commit fsyncs the WAL, so an acknowledged write survives power
   * loss. `normal`: commits are written to the WAL without fsync, surviving a process crash
   * (kill -9) but not an OS crash or power loss.
   */
  synchronous?: 'full' | 'normal';
  /** Test hook: replaces `fs.fdatasync` for the WAL (e.g. to delay or fail it). */
  syncFile?: (fd: number, callback: (err: NodeJS.ErrnoException | null) => void) => void;
  clock?: Clock;
  /** How often background compaction runs (default 60 000 ms; 0 disables it). */
  compactIntervalMs?: number;
  /** Background compaction keeps at least this much history by time (default 300 000 ms). */
  compactRetainMs?: number;
  /** ... and at least this many revisions (default 1000). */
  compactMinRetainRevisions?: number;
  /** Revisions compacted per chunk; the event loop runs between chunks (default 2000). */
  compactChunkRevisions?: number;
  /** Most writes in one group-commit transaction (default 2000). */
  maxBatchWrites?: number;
  /**
   * Keep the latest value of every live key in memory (default true), so get/list/count at
   * the current revision never touch SQLite. Costs about the size of the live data in memory;
   * with `false` those reads run SQL (a list of 100k 1 KiB objects then takes ~1 s here).
   */
  cacheLatest?: boolean;
}

interface CommittedBatch {
  writes: PendingWrite[];
  outcomes: (KeyValue | StorageError)[];
  events: StorageEvent[];
  lastRevision: number;
}

type Row = [id: number, name: string, created: number, deleted: number, createRevision: number, prevRevision: number, value: string];

interface PendingWrite {
  kind: 'create' | 'update' | 'delete';
  key: string;
  value: string;
  expectedRevision: number | undefined;
  resolve(kv: KeyValue): void;
  reject(err: unknown): void;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  created INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  create_revision INTEGER NOT NULL,
  prev_revision INTEGER NOT NULL,
  value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS log_name_id ON log (name, id, deleted);
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL);
`;

/** `name` is under prefix @p: from @p (inclusive) to @p followed by byte 0xFF (above any UTF-8 continuation). */
const IN_PREFIX = `name >= @p AND name < CAST(@p || x'ff' AS TEXT)`;

export class SqliteStorage implements Storage {
  private readonly db: Database.Database;
  private readonly clock: Clock;
  private readonly fanout = new WatchFanout();
  /** Last revision written to SQLite (next write gets rev + 1). */
  private rev: number;
  /** Last revision that is durable and visible to reads and watches. */
  private visibleRev: number;
  private compactRev: number;
  /** WAL file descriptor to fdatasync, when synchronous is 'full' and the database is a file. */
  private walFd: number | undefined;
  private readonly syncFile: NonNullable<SqliteStorageOptions['syncFile']>;
  /** Committed batches waiting for the next fdatasync, oldest first. */
  private awaitingSync: CommittedBatch[] = [];
  private syncing: Promise<void> | undefined;
  /** Set when an fdatasync failed: durability is unknown, so the storage refuses all work. */
  private broken: StorageError | undefined;
  private closed = false;
  private queue: PendingWrite[] = [];
  private flushScheduled = false;
  private readonly maxBatchWrites: number;
  private compactTimer: (() => void) | undefined;
  private compacting: Promise<void> = Promise.resolve();
  /** (time, revision) samples taken by the background compactor, oldest first. */
  private samples: { atMs: number; revision: number }[] = [];
  private readonly opts: Required<Omit<SqliteStorageOptions, 'path' | 'clock' | 'synchronous' | 'cacheLatest' | 'syncFile'>>;
  /** Latest committed state, when `cacheLatest`; updated only after a commit succeeded. */
  private readonly latest: LatestIndex | undefined;

  private readonly stmt: {
    latest: Database.Statement;
    at: Database.Statement;
    insert: Database.Statement;
    list: Database.Statement;
    countAfter: Database.Statement;
    count: Database.Statement;
    eventsAfter: Database.Statement;
    setMeta: Database.Statement;
    compactSuperseded: Database.Statement;
    compactTombstones: Database.Statement;
  };

  constructor(options: SqliteStorageOptions) {
    this.clock = options.clock ?? systemClock;
    this.opts = {
      compactIntervalMs: options.compactIntervalMs ?? 60_000,
      compactRetainMs: options.compactRetainMs ?? 300_000,
      compactMinRetainRevisions: options.compactMinRetainRevisions ?? 1000,
      compactChunkRevisions: options.compactChunkRevisions ?? 2000,
      maxBatchWrites: options.maxBatchWrites ?? 2000,
    };
    this.maxBatchWrites = this.opts.maxBatchWrites;
    // Exclusive owner: waiting for a lock only happens when another process holds the file.
    const db = new Database(options.path, { timeout: 100 });
    try {
      db.pragma('locking_mode = EXCLUSIVE');
      db.pragma('journal_mode = WAL');
      // FULL durability is provided by our own fdatasync of the WAL before acknowledging.
      db.pragma('synchronous = NORMAL');
      db.pragma('cache_size = -65536');
      db.pragma('temp_store = MEMORY');
      // The write below takes the exclusive lock now, so a second owner fails at open, not later.
      db.exec(SCHEMA);
      db.prepare(`INSERT INTO meta (k, v) VALUES ('schema', 1) ON CONFLICT (k) DO NOTHING`).run();
    } catch (err) {
      db.close();
      if (err instanceof Error && /locked|busy/i.test(err.message)) {
        throw new StorageError('Unavailable', `sqlite database ${options.path} is in use by another process (${err.message})`);
      }
      throw err;
    }
    this.db = db;
    const q = <T = unknown>(sql: string) => db.prepare<unknown[], T>(sql);
    this.stmt = {
      latest: q(`SELECT id, name, created, deleted, create_revision, prev_revision, value FROM log WHERE name = ? ORDER BY id DESC LIMIT 1`).raw(),
      at: q(`SELECT id, name, created, deleted, create_revision, prev_revision, value FROM log WHERE name = ? AND id <= ? ORDER BY id DESC LIMIT 1`).raw(),
      insert: q(`INSERT INTO log (id, name, created, deleted, create_revision, prev_revision, value) VALUES (?, ?, ?, ?, ?, ?, ?)`),
      // Walks the (name, id) index in name order, keeping each name's newest row at @rev; the
      // ORDER BY is satisfied by the index, so a LIMIT stops the scan early (no sort of the range).
      list: q(
        `SELECT name, id, create_revision, value FROM log AS k
         WHERE ${IN_PREFIX} AND name > @after AND id <= @rev AND deleted = 0
           AND id = (SELECT MAX(id) FROM log WHERE name = k.name AND id <= @rev)
         ORDER BY name LIMIT @limit`,
      ).raw(),
      countAfter: q(
        `SELECT count(*) FROM (SELECT MAX(id), deleted FROM log WHERE ${IN_PREFIX} AND name > @after AND id <= @rev GROUP BY name) WHERE deleted = 0`,
      ).pluck(),
      count: q(`SELECT count(*) FROM (SELECT MAX(id), deleted FROM log WHERE ${IN_PREFIX} GROUP BY name) WHERE deleted = 0`).pluck(),
      eventsAfter: q(
        `SELECT k.id, k.name, k.created, k.deleted, k.create_revision, k.prev_revision, k.value, p.id, p.create_revision, p.value
         FROM log k LEFT JOIN log p ON p.id = k.prev_revision AND k.created = 0
         WHERE k.id > @from AND k.id <= @to AND k.name >= @p AND k.name < CAST(@p || x'ff' AS TEXT) ORDER BY k.id`,
      ).raw(),
      setMeta: q(`INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v`),
      compactSuperseded: q(`DELETE FROM log WHERE id IN (SELECT prev_revision FROM log WHERE id > ? AND id <= ? AND prev_revision > 0)`),
      compactTombstones: q(`DELETE FROM log WHERE id > ? AND id <= ? AND deleted = 1`),
    };
    const maxId = (db.prepare(`SELECT max(id) FROM log`).pluck().get() as number | null) ?? 0;
    const seq = (db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'log'`).pluck().get() as number | undefined) ?? 0;
    this.compactRev = (db.prepare(`SELECT v FROM meta WHERE k = 'compact_revision'`).pluck().get() as number | undefined) ?? 0;
    this.rev = Math.max(maxId, seq, this.compactRev);
    this.visibleRev = this.rev;
    this.syncFile = options.syncFile ?? fdatasync;
    if (options.synchronous !== 'normal' && options.path !== ':memory:' && options.path !== '') {
      // The schema write above created the WAL; exclusive mode keeps that file (same inode) open.
      this.walFd = openSync(`${options.path}-wal`, 'r+');
    }
    if (options.cacheLatest !== false) {
      this.latest = new LatestIndex();
      for (const r of this.stmt.list.iterate({ p: '', after: '', rev: this.rev, limit: -1 }) as IterableIterator<[string, number, number, string]>) {
        this.latest.set(Object.freeze({ key: r[0], value: r[3], createRevision: r[2], modRevision: r[1] }));
      }
    }
    if (this.opts.compactIntervalMs > 0) this.scheduleCompaction();
  }

  /** Same as the constructor; for symmetry with backends that must connect first. */
  static async open(options: SqliteStorageOptions): Promise<SqliteStorage> {
    return new SqliteStorage(options);
  }

  async get(key: string, options: { revision?: number } = {}): Promise<KeyValue | undefined> {
    this.checkOpen();
    const at = this.readRevision(options.revision);
    if (this.latest && at === this.visibleRev) return this.latest.get(key);
    const row = (at === this.rev ? this.stmt.latest.get(key) : this.stmt.at.get(key, at)) as Row | undefined;
    return row && row[3] === 0 ? rowToKv(row) : undefined;
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    this.checkOpen();
    const at = this.readRevision(options.revision);
    const limit = options.limit && options.limit > 0 ? options.limit : 0;
    if (this.latest && at === this.visibleRev) return this.latest.list(prefix, limit, options.startAfter, at);
    const after = options.startAfter ?? '';
    const rows = this.stmt.list.all({ p: prefix, after, rev: at, limit: limit > 0 ? limit + 1 : -1 }) as [string, number, number, string][];
    const more = limit > 0 && rows.length > limit;
    if (more) rows.length = limit;
    const items = new Array<KeyValue>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      items[i] = { key: r[0], value: r[3], createRevision: r[2], modRevision: r[1] };
    }
    if (!more) return { items, revision: at, more: false };
    const remaining = this.stmt.countAfter.get({ p: prefix, after: items[items.length - 1]!.key, rev: at }) as number;
    return { items, revision: at, more: true, remaining };
  }

  async count(prefix: string): Promise<number> {
    this.checkOpen();
    if (this.latest) return this.latest.count(prefix);
    return this.stmt.count.get({ p: prefix }) as number;
  }

  create(key: string, value: string): Promise<KeyValue> {
    return this.enqueue('create', key, value, undefined);
  }

  update(key: string, value: string, expectedRevision: number): Promise<KeyValue> {
    return this.enqueue('update', key, value, expectedRevision);
  }

  delete(key: string, expectedRevision?: number): Promise<KeyValue> {
    return this.enqueue('delete', key, '', expectedRevision);
  }

  watch(prefix: string, options: WatchOptions, listener: WatchListener): Watcher {
    if (this.closed) return this.fanout.failed(listener, closedError());
    if (this.broken) return this.fanout.failed(listener, this.broken);
    const from = options.fromRevision > 0 ? options.fromRevision : this.visibleRev;
    if (from < this.compactRev) return this.fanout.failed(listener, compactedError(from, this.compactRev));
    const backlog: StorageEvent[] = [];
    if (from < this.visibleRev) {
      for (const r of this.stmt.eventsAfter.iterate({ from, to: this.visibleRev, p: prefix }) as IterableIterator<[...Row, number | null, number | null, string | null]>) {
        const kv = rowToKv(r);
        const prevKv: KeyValue | undefined =
          r[7] === null ? undefined : { key: r[1], value: r[9]!, createRevision: r[8]!, modRevision: r[7] };
        backlog.push(event(r[3] === 1, r[2] === 1, kv, prevKv));
      }
    }
    return this.fanout.add(prefix, from, listener, backlog);
  }

  async currentRevision(): Promise<number> {
    this.checkOpen();
    return this.visibleRev;
  }

  async compactedRevision(): Promise<number> {
    this.checkOpen();
    return this.compactRev;
  }

  compact(revision: number): Promise<void> {
    if (this.closed) return Promise.reject(closedError());
    const run = this.compacting.then(() => this.compactTo(revision));
    this.compacting = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.queue.length > 0 && !this.broken) this.flush();
    this.closed = true;
    this.compactTimer?.();
    await this.compacting;
    while (this.syncing) await this.syncing;
    this.db.close();
    if (this.walFd !== undefined) closeSync(this.walFd);
    this.fanout.failAll(closedError());
  }

  /** Number of live watchers (metrics). */
  get watcherCount(): number {
    return this.fanout.size;
  }

  // ---- writes: group commit ----

  private enqueue(kind: PendingWrite['kind'], key: string, value: string, expectedRevision: number | undefined): Promise<KeyValue> {
    if (this.closed) return Promise.reject(closedError());
    if (this.broken) return Promise.reject(this.broken);
    return new Promise<KeyValue>((resolve, reject) => {
      this.queue.push({ kind, key, value, expectedRevision, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(this.flushSoon);
      }
    });
  }

  private readonly flushSoon = (): void => {
    this.flushScheduled = false;
    if (!this.closed && !this.broken) this.flush();
  };

  /** Applies queued writes in one transaction, then acknowledges them and publishes events. */
  private flush(): void {
    while (this.queue.length > 0) {
      const batch = this.queue.length <= this.maxBatchWrites ? this.queue : this.queue.slice(0, this.maxBatchWrites);
      this.queue = batch === this.queue ? [] : this.queue.slice(this.maxBatchWrites);
      const outcomes: (KeyValue | StorageError)[] = new Array(batch.length);
      const events: StorageEvent[] = [];
      const startRev = this.rev;
      try {
        this.db.exec('BEGIN');
        try {
          for (let i = 0; i < batch.length; i++) outcomes[i] = this.apply(batch[i]!, events);
          this.db.exec('COMMIT');
        } catch (err) {
          if (this.db.inTransaction) this.db.exec('ROLLBACK');
          throw err;
        }
      } catch (err) {
        this.rev = startRev;
        const failure = new StorageError('Unavailable', `sqlite commit failed: ${err instanceof Error ? err.message : String(err)}`);
        for (const w of batch) w.reject(failure);
        continue;
      }
      const committed: CommittedBatch = { writes: batch, outcomes, events, lastRevision: this.rev };
      if (this.walFd === undefined) this.complete(committed);
      else {
        this.awaitingSync.push(committed);
        if (!this.syncing) this.syncing = this.syncLoop();
      }
    }
  }

  /** fdatasync of the WAL, repeated while batches wait; each sync completes the batches committed before it began. */
  private async syncLoop(): Promise<void> {
    while (this.awaitingSync.length > 0) {
      const batches = this.awaitingSync;
      this.awaitingSync = [];
      const err = await new Promise<NodeJS.ErrnoException | null>((resolve) => this.syncFile(this.walFd!, resolve));
      if (err) {
        // The kernel may have dropped the dirty pages: nothing written since the last good sync is known durable.
        this.broken = new StorageError('Unavailable', `sqlite WAL fdatasync failed, storage stopped: ${err.message}`);
        for (const b of [...batches, ...this.awaitingSync]) for (const w of b.writes) w.reject(this.broken);
        this.awaitingSync = [];
        for (const w of this.queue) w.reject(this.broken);
        this.queue = [];
        this.fanout.failAll(this.broken);
        break;
      }
      for (const b of batches) this.complete(b);
    }
    this.syncing = undefined;
  }

  /** A durable batch: make it visible, acknowledge each write, publish its events. */
  private complete(b: CommittedBatch): void {
    this.visibleRev = b.lastRevision;
    if (this.latest) {
      for (const ev of b.events) {
        if (ev.type === 'delete') this.latest.delete(ev.kv.key);
        else this.latest.set(ev.kv);
      }
    }
    for (let i = 0; i < b.writes.length; i++) {
      const o = b.outcomes[i]!;
      if (o instanceof StorageError) b.writes[i]!.reject(o);
      else b.writes[i]!.resolve(o);
    }
    if (b.events.length > 0) this.fanout.publish(b.events);
  }

  /** One write inside the open transaction; a refused write returns its error and writes nothing. */
  private apply(w: PendingWrite, events: StorageEvent[]): KeyValue | StorageError {
    const last = this.stmt.latest.get(w.key) as Row | undefined;
    const live = last !== undefined && last[3] === 0;
    if (w.kind === 'create') {
      if (live) return new StorageError('KeyExists', `key ${w.key} already exists`, rowToKv(last));
      const rev = this.rev + 1;
      this.stmt.insert.run(rev, w.key, 1, 0, rev, last ? last[0] : 0, w.value);
      this.rev = rev;
      const kv: KeyValue = Object.freeze({ key: w.key, value: w.value, createRevision: rev, modRevision: rev });
      events.push(event(false, true, kv, undefined));
      return kv;
    }
    if (!live) return new StorageError('NotFound', `key ${w.key} not found`);
    const prev = rowToKv(last);
    if (w.expectedRevision !== undefined && prev.modRevision !== w.expectedRevision) {
      return new StorageError('Conflict', `key ${w.key} is at revision ${prev.modRevision}, not ${w.expectedRevision}`, prev);
    }
    const rev = this.rev + 1;
    const deleting = w.kind === 'delete';
    const value = deleting ? prev.value : w.value;
    this.stmt.insert.run(rev, w.key, 0, deleting ? 1 : 0, prev.createRevision, prev.modRevision, value);
    this.rev = rev;
    const kv: KeyValue = Object.freeze({ key: w.key, value, createRevision: prev.createRevision, modRevision: rev });
    events.push(event(deleting, false, kv, prev));
    return kv;
  }

  // ---- compaction ----

  private scheduleCompaction(): void {
    this.compactTimer = this.clock.setTimeout(() => {
      if (this.closed) return;
      this.scheduleCompaction();
      const now = this.clock.now();
      this.samples.push({ atMs: now, revision: this.visibleRev });
      // The newest sample old enough to be outside the retention window.
      let byTime = 0;
      while (this.samples.length > 0 && this.samples[0]!.atMs <= now - this.opts.compactRetainMs) {
        byTime = this.samples.shift()!.revision;
      }
      const target = Math.min(byTime, this.visibleRev - this.opts.compactMinRetainRevisions);
      if (target > this.compactRev) this.compact(target).catch(() => undefined);
    }, this.opts.compactIntervalMs);
  }

  /** Removes superseded versions and tombstones at or below `revision`, chunk by chunk. */
  private async compactTo(revision: number): Promise<void> {
    const target = Math.min(revision, this.visibleRev);
    while (!this.closed && this.compactRev < target) {
      const from = this.compactRev;
      const to = Math.min(target, from + this.opts.compactChunkRevisions);
      this.db.transaction(() => {
        this.stmt.compactSuperseded.run(from, to);
        this.stmt.compactTombstones.run(from, to);
        this.stmt.setMeta.run('compact_revision', to);
      })();
      this.compactRev = to;
      if (to < target) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  // ---- helpers ----

  private readRevision(revision: number | undefined): number {
    if (revision === undefined || revision <= 0) return this.visibleRev;
    if (revision < this.compactRev) throw compactedError(revision, this.compactRev);
    if (revision > this.visibleRev) throw new StorageError('Unavailable', `revision ${revision} is in the future (current ${this.visibleRev})`);
    return revision;
  }

  private checkOpen(): void {
    if (this.closed) throw closedError();
    if (this.broken) throw this.broken;
  }
}

function rowToKv(r: Row | [...Row, ...unknown[]]): KeyValue {
  return { key: r[1], value: r[6], createRevision: r[4], modRevision: r[0] };
}

function event(deleted: boolean, created: boolean, kv: KeyValue, prevKv: KeyValue | undefined): StorageEvent {
  const ev: StorageEvent = { type: deleted ? 'delete' : 'put', kv, created, revision: kv.modRevision };
  if (prevKv) ev.prevKv = prevKv;
  // Shared by every watcher: nobody may change it.
  return Object.freeze(ev);
}

function compactedError(revision: number, compacted: number): StorageError {
  return new StorageError('Compacted', `revision ${revision} has been compacted (compacted revision ${compacted})`);
}

function closedError(): StorageError {
  return new StorageError('Unavailable', 'storage is closed');
}
