/**
 * EtcdStorage: the Storage interface over a real etcd (v3 API, through the `etcd3` client).
 * Keys map 1:1 to etcd keys and revisions are etcd's revisions, so several processes over
 * one etcd cluster share one history; nothing is cached here.
 *
 *   create  = txn(create_revision(key) == 0) put           else range → KeyExists
 *   update  = txn(mod_revision(key) == expected) put         else range → NotFound | Conflict
 *   delete  = txn(mod_revision == expected | version > 0) delete(prev_kv) else range → ...
 *   watch   = etcd watch from fromRevision + 1 with prev_kv; ends (onError) on disconnect
 *   compact = record the revision under `compactKey` (as Kubernetes does), then etcd compact
 */
import { Etcd3, type IOptions, type IKeyValue, type IResponseOp, type Watcher as EtcdWatcher, type IWatchResponse } from 'etcd3';
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

export interface EtcdStorageOptions {
  /** Client URLs, e.g. `['http://127.0.0.1:2379']`. */
  endpoints: string[];
  /** Deadline of one unary call (default 10 000 ms). */
  requestTimeoutMs?: number;
  /** Key holding the last compacted revision (default `compact_rev_key`, as in Kubernetes). */
  compactKey?: string;
  /** Extra etcd3 client options (TLS, auth); `hosts` is taken from `endpoints`. */
  clientOptions?: Omit<IOptions, 'hosts'>;
}

const enc = (s: string): Buffer => Buffer.from(s, 'utf8');

export class EtcdStorage implements Storage {
  readonly client: Etcd3;
  private readonly compactKey: Buffer;
  private closed = false;
  private readonly watchers = new Set<EtcdWatch>();

  constructor(options: EtcdStorageOptions) {
    const timeoutMs = options.requestTimeoutMs ?? 10_000;
    this.client = new Etcd3({
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeoutMs }),
      ...options.clientOptions,
      hosts: options.endpoints,
    });
    this.compactKey = enc(options.compactKey ?? 'compact_rev_key');
  }

  /** Connects and checks that etcd answers (the constructor alone does no I/O). */
  static async open(options: EtcdStorageOptions): Promise<EtcdStorage> {
    const s = new EtcdStorage(options);
    try {
      await s.currentRevision();
    } catch (err) {
      await s.close();
      throw err;
    }
    return s;
  }

  async get(key: string, options: { revision?: number } = {}): Promise<KeyValue | undefined> {
    this.checkOpen();
    const res = await this.call(() =>
      this.client.kv.range({ key: enc(key), ...(options.revision && options.revision > 0 ? { revision: options.revision } : {}) }),
    );
    const kv = res.kvs[0];
    return kv ? toKv(kv) : undefined;
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    this.checkOpen();
    const limit = options.limit && options.limit > 0 ? options.limit : 0;
    let start = enc(prefix);
    if (options.startAfter !== undefined && options.startAfter >= prefix) start = Buffer.concat([enc(options.startAfter), Buffer.from([0])]);
    const res = await this.call(() =>
      this.client.kv.range({
        key: start,
        range_end: prefixEnd(prefix),
        ...(limit > 0 ? { limit } : {}),
        ...(options.revision && options.revision > 0 ? { revision: options.revision } : {}),
      }),
    );
    const items = res.kvs.map(toKv);
    const revision = options.revision && options.revision > 0 ? options.revision : Number(res.header.revision);
    if (!res.more) return { items, revision, more: false };
    return { items, revision, more: true, remaining: Number(res.count) - items.length };
  }

  async count(prefix: string): Promise<number> {
    this.checkOpen();
    const res = await this.call(() => this.client.kv.range({ key: enc(prefix), range_end: prefixEnd(prefix), count_only: true }));
    return Number(res.count);
  }

  async create(key: string, value: string): Promise<KeyValue> {
    this.checkOpen();
    const k = enc(key);
    const res = await this.call(() =>
      this.client.kv.txn({
        compare: [{ key: k, target: 'Create', result: 'Equal', create_revision: 0 }],
        success: [{ request_put: { key: k, value: enc(value) } }],
        failure: [{ request_range: { key: k } }],
      }),
    );
    if (!res.succeeded) {
      const current = firstKv(res.responses[0]);
      throw new StorageError('KeyExists', `key ${key} already exists`, current && toKv(current));
    }
    const rev = Number(res.header.revision);
    return { key, value, createRevision: rev, modRevision: rev };
  }

  async update(key: string, value: string, expectedRevision: number): Promise<KeyValue> {
    this.checkOpen();
    const k = enc(key);
    const res = await this.call(() =>
      this.client.kv.txn({
        compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: expectedRevision }],
        success: [{ request_put: { key: k, value: enc(value), prev_kv: true } }],
        failure: [{ request_range: { key: k } }],
      }),
    );
    if (!res.succeeded) throw this.guardFailure(key, expectedRevision, res.responses[0]);
    const prev = res.responses[0]?.response_put?.prev_kv;
    const rev = Number(res.header.revision);
    return { key, value, createRevision: prev ? Number(prev.create_revision) : rev, modRevision: rev };
  }

  async delete(key: string, expectedRevision?: number): Promise<KeyValue> {
    this.checkOpen();
    const k = enc(key);
    const res = await this.call(() =>
      this.client.kv.txn({
        compare:
          expectedRevision === undefined
            ? [{ key: k, target: 'Version', result: 'Greater', version: 0 }]
            : [{ key: k, target: 'Mod', result: 'Equal', mod_revision: expectedRevision }],
        success: [{ request_delete_range: { key: k, prev_kv: true } }],
        failure: [{ request_range: { key: k } }],
      }),
    );
    if (!res.succeeded) throw this.guardFailure(key, expectedRevision, res.responses[0]);
    const prev = res.responses[0]?.response_delete_range?.prev_kvs?.[0];
    const rev = Number(res.header.revision);
    if (!prev) throw new StorageError('NotFound', `key ${key} not found`);
    return { key, value: prev.value.toString('utf8'), createRevision: Number(prev.create_revision), modRevision: rev };
  }

  watch(prefix: string, options: WatchOptions, listener: WatchListener): Watcher {
    const w = new EtcdWatch(this, prefix, options.fromRevision, listener);
    if (this.closed) {
      w.fail(closedError());
      return w;
    }
    this.watchers.add(w);
    w.start();
    return w;
  }

  async currentRevision(): Promise<number> {
    this.checkOpen();
    const res = await this.call(() => this.client.kv.range({ key: this.compactKey, count_only: true }));
    return Number(res.header.revision);
  }

  async compactedRevision(): Promise<number> {
    this.checkOpen();
    const res = await this.call(() => this.client.kv.range({ key: this.compactKey }));
    const kv = res.kvs[0];
    return kv ? Number(kv.value.toString('utf8')) || 0 : 0;
  }

  async compact(revision: number): Promise<void> {
    this.checkOpen();
    // Record the target first (guarded so two compactors never move it backwards), then compact.
    for (;;) {
      const res = await this.call(() => this.client.kv.range({ key: this.compactKey }));
      const kv = res.kvs[0];
      const recorded = kv ? Number(kv.value.toString('utf8')) || 0 : 0;
      if (recorded >= revision) return;
      const modRevision = kv ? Number(kv.mod_revision) : 0;
      const txn = await this.call(() =>
        this.client.kv.txn({
          compare: [{ key: this.compactKey, target: 'Mod', result: 'Equal', mod_revision: modRevision }],
          success: [{ request_put: { key: this.compactKey, value: enc(String(revision)) } }],
        }),
      );
      if (txn.succeeded) break;
    }
    try {
      await this.call(() => this.client.kv.compact({ revision }));
    } catch (err) {
      // Someone compacted past it already: the history we were asked to drop is gone either way.
      if (!(err instanceof StorageError && err.code === 'Compacted')) throw err;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of [...this.watchers]) w.fail(closedError());
    this.client.close();
  }

  /** @internal used by EtcdWatch */
  forget(w: EtcdWatch): void {
    this.watchers.delete(w);
  }

  /** @internal runs an etcd call and maps its failure to a StorageError. */
  async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw mapError(err, this.closed);
    }
  }

  private guardFailure(key: string, expected: number | undefined, op: IResponseOp | undefined): StorageError {
    const current = firstKv(op);
    if (!current) return new StorageError('NotFound', `key ${key} not found`);
    const kv = toKv(current);
    return new StorageError('Conflict', `key ${key} is at revision ${kv.modRevision}, not ${expected}`, kv);
  }

  private checkOpen(): void {
    if (this.closed) throw closedError();
  }
}

/** One Storage watch = one etcd watcher; any interruption ends it (the caller re-watches). */
class EtcdWatch implements Watcher {
  private etcdWatcher: EtcdWatcher | undefined;
  private lastRevision: number;
  private done = false;

  constructor(
    private readonly storage: EtcdStorage,
    private readonly prefix: string,
    private readonly fromRevision: number,
    private readonly listener: WatchListener,
  ) {
    this.lastRevision = fromRevision;
  }

  start(): void {
    let b = this.storage.client.watch().prefix(this.prefix).withPreviousKV();
    if (this.fromRevision > 0) b = b.startRevision(String(this.fromRevision + 1));
    const ew = b.watcher();
    this.etcdWatcher = ew;
    ew.on('data', (res: IWatchResponse) => this.onData(res));
    // The etcd3 client would resume a broken stream from the last *header* revision, which can
    // skip events it had not delivered yet; ending the watch is the honest answer.
    ew.on('disconnected', (err: Error) => this.fail(new StorageError('Unavailable', `etcd watch disconnected: ${err.message}`)));
    ew.on('error', (err: Error) => void this.onCanceled(err));
  }

  stop(): void {
    if (this.done) return;
    this.done = true;
    this.storage.forget(this);
    this.etcdWatcher?.cancel().catch(() => undefined);
  }

  fail(err: StorageError): void {
    if (this.done) return;
    this.stop();
    queueMicrotask(() => this.listener.onError(err));
  }

  private onData(res: IWatchResponse): void {
    if (this.done || res.events.length === 0) return;
    const out: StorageEvent[] = [];
    for (const ev of res.events) {
      const rev = Number(ev.kv.mod_revision);
      if (rev <= this.lastRevision) continue;
      this.lastRevision = rev;
      const prevKv = ev.prev_kv ? toKv(ev.prev_kv) : undefined;
      if (ev.type === 'Delete') {
        const kv: KeyValue = {
          key: ev.kv.key.toString('utf8'),
          value: prevKv?.value ?? '',
          createRevision: prevKv?.createRevision ?? 0,
          modRevision: rev,
        };
        out.push(prevKv ? { type: 'delete', kv, prevKv, created: false, revision: rev } : { type: 'delete', kv, created: false, revision: rev });
      } else {
        const kv = toKv(ev.kv);
        const created = kv.createRevision === kv.modRevision;
        out.push(prevKv && !created ? { type: 'put', kv, prevKv, created, revision: rev } : { type: 'put', kv, created, revision: rev });
      }
    }
    if (out.length > 0) this.listener.onEvents(out);
  }

  /** etcd canceled the watch: find out whether compaction is why. */
  private async onCanceled(err: Error): Promise<void> {
    if (this.done) return;
    let code: 'Compacted' | 'Unavailable' = /compact/i.test(err.message) ? 'Compacted' : 'Unavailable';
    if (code === 'Unavailable') {
      try {
        // A read at the next revision we need fails with Compacted exactly when that history is gone.
        await this.storage.call(() => this.storage.client.kv.range({ key: enc(this.prefix), count_only: true, revision: this.lastRevision + 1 }));
      } catch (probeErr) {
        if (probeErr instanceof StorageError && probeErr.code === 'Compacted') code = 'Compacted';
      }
    }
    this.fail(new StorageError(code, code === 'Compacted' ? `watch from revision ${this.fromRevision}: history has been compacted` : `etcd watch ended: ${err.message}`));
  }
}

function toKv(kv: IKeyValue): KeyValue {
  return {
    key: kv.key.toString('utf8'),
    value: kv.value.toString('utf8'),
    createRevision: Number(kv.create_revision),
    modRevision: Number(kv.mod_revision),
  };
}

function firstKv(op: IResponseOp | undefined): IKeyValue | undefined {
  return op?.response_range?.kvs?.[0];
}

/** The smallest key greater than every key starting with `prefix` (etcd's range_end rule). */
export function prefixEnd(prefix: string): Buffer {
  const b = Buffer.from(prefix, 'utf8');
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i]! < 0xff) {
      const end = b.subarray(0, i + 1);
      end[i] = end[i]! + 1;
      return end;
    }
  }
  return Buffer.from([0]); // empty prefix or all 0xff: every key
}

function mapError(err: unknown, closed: boolean): StorageError {
  if (err instanceof StorageError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (/required revision has been compacted/.test(message)) return new StorageError('Compacted', message);
  if (closed) return closedError();
  return new StorageError('Unavailable', `etcd: ${message}`);
}

function closedError(): StorageError {
  return new StorageError('Unavailable', 'storage is closed');
}
