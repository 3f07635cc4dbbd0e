/**
 * The conformance suite every Storage backend passes. A backend's test file calls
 * `storageConformance('sqlite', factory)`; the factory returns a fresh, open Storage (it may
 * share one server between tests: every test works under its own random key prefix and only
 * compares revisions relative to each other). The suite closes what the factory returns.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  isStorageError,
  type KeyValue,
  type Storage,
  type StorageError,
  type StorageErrorCode,
  type StorageEvent,
  type Watcher,
} from './storage.js';

export type StorageFactory = () => Promise<Storage>;

export interface ConformanceOptions {
  /** Skip everything with this message (e.g. etcd is not installed). */
  skip?: string | false;
  /** Deadline for a watch to deliver what it should (default 5 s). */
  watchTimeoutMs?: number;
}

interface Collector {
  events: StorageEvent[];
  errors: StorageError[];
  watcher: Watcher;
  /** Resolves once `n` events arrived (fails after the deadline). */
  waitEvents(n: number): Promise<StorageEvent[]>;
  waitError(): Promise<StorageError>;
}

export function storageConformance(name: string, factory: StorageFactory, options: ConformanceOptions = {}): void {
  const timeoutMs = options.watchTimeoutMs ?? 5000;
  const t0 = (title: string, fn: (s: Storage, p: string) => Promise<void>): void => {
    test(`${name} conformance: ${title}`, { skip: options.skip || false }, async (t) => {
      const s = await factory();
      t.after(() => s.close());
      await fn(s, `/conf-${randomBytes(4).toString('hex')}/`);
    });
  };

  const collect = (s: Storage, prefix: string, fromRevision: number): Collector => {
    const events: StorageEvent[] = [];
    const errors: StorageError[] = [];
    let wake: (() => void) | undefined;
    const watcher = s.watch(prefix, { fromRevision }, {
      onEvents(evs) {
        events.push(...evs);
        wake?.();
      },
      onError(err) {
        errors.push(err);
        wake?.();
      },
    });
    const until = async (cond: () => boolean, what: string): Promise<void> => {
      const deadline = Date.now() + timeoutMs;
      while (!cond()) {
        const left = deadline - Date.now();
        if (left <= 0) assert.fail(`timed out waiting for ${what}; got ${events.length} events, errors: ${errors.map((e) => e.message).join('; ')}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(left, 50));
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
    };
    return {
      events,
      errors,
      watcher,
      async waitEvents(n) {
        await until(() => events.length >= n || errors.length > 0, `${n} events`);
        assert.equal(errors.length, 0, `watch failed: ${errors[0]?.message}`);
        return events;
      },
      async waitError() {
        await until(() => errors.length > 0, 'a watch error');
        return errors[0]!;
      },
    };
  };

  const rejects = async (p: Promise<unknown>, code: StorageErrorCode): Promise<StorageError> => {
    try {
      await p;
    } catch (err) {
      assert.ok(isStorageError(err, code), `expected StorageError ${code}, got ${String(err)}`);
      return err;
    }
    assert.fail(`expected StorageError ${code}, but the call succeeded`);
  };

  t0('revisions strictly increase across keys', async (s, p) => {
    const start = await s.currentRevision();
    const a = await s.create(`${p}a`, '1');
    const b = await s.create(`${p}b`, '2');
    const a2 = await s.update(`${p}a`, '3', a.modRevision);
    const bd = await s.delete(`${p}b`);
    const revs = [start, a.modRevision, b.modRevision, a2.modRevision, bd.modRevision];
    for (let i = 1; i < revs.length; i++) assert.ok(revs[i]! > revs[i - 1]!, `revisions ${revs.join(',')}`);
    assert.equal(a.createRevision, a.modRevision);
    assert.equal(a2.createRevision, a.createRevision);
    assert.equal(await s.currentRevision(), bd.modRevision);
  });

  t0('get returns the latest value and values at old revisions', async (s, p) => {
    assert.equal(await s.get(`${p}x`), undefined);
    await s.create(`${p}before`, 'so that the revision before x is a real one');
    const c = await s.create(`${p}x`, 'v1');
    assert.deepEqual(await s.get(`${p}x`), { key: `${p}x`, value: 'v1', createRevision: c.modRevision, modRevision: c.modRevision });
    const u = await s.update(`${p}x`, 'v2', c.modRevision);
    assert.equal((await s.get(`${p}x`))?.value, 'v2');
    assert.equal((await s.get(`${p}x`, { revision: c.modRevision }))?.value, 'v1');
    assert.equal(await s.get(`${p}x`, { revision: c.modRevision - 1 }), undefined);
    const d = await s.delete(`${p}x`, u.modRevision);
    assert.equal(await s.get(`${p}x`), undefined);
    assert.equal((await s.get(`${p}x`, { revision: d.modRevision - 1 }))?.value, 'v2');
  });

  t0('list respects prefix boundaries and sorts by key', async (s, p) => {
    for (const k of ['a/2', 'a/1', 'ab/1', 'a', 'b/1', 'a/1/x']) await s.create(`${p}${k}`, k);
    const r = await s.list(`${p}a/`);
    assert.deepEqual(r.items.map((kv) => kv.key), [`${p}a/1`, `${p}a/1/x`, `${p}a/2`]);
    assert.equal(r.more, false);
    assert.equal(r.revision, await s.currentRevision());
    assert.equal((await s.list(p)).items.length, 6);
    assert.equal((await s.list(`${p}zzz/`)).items.length, 0);
  });

  t0('list at an old revision sees the state of then', async (s, p) => {
    const a = await s.create(`${p}a`, 'a1');
    const b = await s.create(`${p}b`, 'b1');
    const at = b.modRevision;
    await s.update(`${p}a`, 'a2', a.modRevision);
    await s.delete(`${p}b`);
    await s.create(`${p}c`, 'c1');
    const old = await s.list(p, { revision: at });
    assert.equal(old.revision, at);
    assert.deepEqual(old.items.map((kv) => [kv.key, kv.value]), [[`${p}a`, 'a1'], [`${p}b`, 'b1']]);
    const now = await s.list(p);
    assert.deepEqual(now.items.map((kv) => [kv.key, kv.value]), [[`${p}a`, 'a2'], [`${p}c`, 'c1']]);
  });

  t0('limit and startAfter page through a list with more/remaining', async (s, p) => {
    for (let i = 0; i < 5; i++) await s.create(`${p}k${i}`, String(i));
    await s.create(`${p}k2x/other`, 'other');
    await s.delete(`${p}k2x/other`);
    const rev = await s.currentRevision();
    await s.create(`${p}k9`, 'later');
    const page1 = await s.list(p, { limit: 2, revision: rev });
    assert.deepEqual(page1.items.map((kv) => kv.value), ['0', '1']);
    assert.equal(page1.more, true);
    assert.equal(page1.remaining, 3);
    const page2 = await s.list(p, { limit: 2, revision: rev, startAfter: page1.items[1]!.key });
    assert.deepEqual(page2.items.map((kv) => kv.value), ['2', '3']);
    assert.equal(page2.more, true);
    assert.equal(page2.remaining, 1);
    const page3 = await s.list(p, { limit: 2, revision: rev, startAfter: page2.items[1]!.key });
    assert.deepEqual(page3.items.map((kv) => kv.value), ['4']);
    assert.equal(page3.more, false);
    assert.equal(page3.revision, rev);
    const exact = await s.list(p, { limit: 6 });
    assert.equal(exact.items.length, 6);
    assert.equal(exact.more, false);
  });

  t0('create fails with KeyExists and works again after delete', async (s, p) => {
    const first = await s.create(`${p}k`, 'one');
    const err = await rejects(s.create(`${p}k`, 'two'), 'KeyExists');
    assert.equal(err.code, 'KeyExists');
    assert.equal((await s.get(`${p}k`))?.value, 'one');
    await s.delete(`${p}k`);
    const again = await s.create(`${p}k`, 'three');
    assert.ok(again.createRevision > first.createRevision);
    assert.equal(again.createRevision, again.modRevision);
  });

  t0('update is guarded by the expected revision and reports the current value', async (s, p) => {
    const c = await s.create(`${p}k`, 'v1');
    const u = await s.update(`${p}k`, 'v2', c.modRevision);
    const err = await rejects(s.update(`${p}k`, 'v3', c.modRevision), 'Conflict');
    assert.deepEqual(err.current, u);
    assert.equal((await s.get(`${p}k`))?.value, 'v2');
    await rejects(s.update(`${p}missing`, 'v', 1), 'NotFound');
  });

  t0('delete is guarded and returns the deleted value at the delete revision', async (s, p) => {
    const c = await s.create(`${p}k`, 'v1');
    const err = await rejects(s.delete(`${p}k`, c.modRevision + 1000), 'Conflict');
    assert.deepEqual(err.current, c);
    const d = await s.delete(`${p}k`, c.modRevision);
    assert.equal(d.key, `${p}k`);
    assert.equal(d.value, 'v1');
    assert.equal(d.createRevision, c.createRevision);
    assert.ok(d.modRevision > c.modRevision);
    assert.equal(d.modRevision, await s.currentRevision());
    assert.equal(await s.get(`${p}k`), undefined);
    await rejects(s.delete(`${p}k`), 'NotFound');
    await rejects(s.delete(`${p}never`, 5), 'NotFound');
  });

  t0('count counts live keys under a prefix', async (s, p) => {
    assert.equal(await s.count(p), 0);
    for (let i = 0; i < 4; i++) await s.create(`${p}a/${i}`, 'x');
    await s.create(`${p}ab/0`, 'x');
    await s.delete(`${p}a/3`);
    assert.equal(await s.count(`${p}a/`), 3);
    assert.equal(await s.count(p), 4);
  });

  t0('watch from a revision delivers every later event in order, once, with concurrent writes', async (s, p) => {
    const a = await s.create(`${p}a`, 'a1');
    const from = a.modRevision;
    await s.update(`${p}a`, 'a2', a.modRevision);
    await s.create(`${p}b`, 'b1');
    await s.create(`${p.slice(0, -1)}-sibling/x`, 'not watched');
    // Writes racing with the start of the watch: some commit before, some after.
    const racing: Promise<KeyValue>[] = [];
    for (let i = 0; i < 10; i++) racing.push(s.create(`${p}r${i}`, String(i)));
    const c = collect(s, p, from);
    for (let i = 10; i < 20; i++) racing.push(s.create(`${p}r${i}`, String(i)));
    await Promise.all(racing);
    const b = await s.get(`${p}b`);
    await s.delete(`${p}b`, b!.modRevision);
    const events = await c.waitEvents(2 + 20 + 1);
    c.watcher.stop();
    assert.equal(events.length, 23, 'no event twice, none extra');
    for (let i = 1; i < events.length; i++) assert.ok(events[i]!.revision > events[i - 1]!.revision);
    assert.ok(events.every((e) => e.revision > from && e.kv.key.startsWith(p)));
    const [u, cb] = events;
    assert.equal(u!.type, 'put');
    assert.equal(u!.created, false);
    assert.equal(u!.kv.value, 'a2');
    assert.equal(u!.prevKv?.value, 'a1');
    assert.equal(u!.prevKv?.modRevision, from);
    assert.equal(cb!.created, true);
    assert.equal(cb!.kv.createRevision, cb!.revision);
    const del = events[events.length - 1]!;
    assert.equal(del.type, 'delete');
    assert.equal(del.kv.key, `${p}b`);
    assert.equal(del.kv.modRevision, del.revision);
    assert.equal(del.prevKv?.value, 'b1');
    const racedKeys = events.slice(2, 22).map((e) => e.kv.key).sort();
    assert.deepEqual(racedKeys, Array.from({ length: 20 }, (_, i) => `${p}r${i}`).sort());
  });

  t0('watch filters by prefix boundary', async (s, p) => {
    await s.create(`${p}a/old`, 'old');
    const c = collect(s, `${p}a/`, await s.currentRevision());
    await s.create(`${p}ab/1`, 'no');
    await s.create(`${p}a/1`, 'yes');
    await s.create(`${p}b/1`, 'no');
    await s.create(`${p}a/2`, 'yes');
    await c.waitEvents(2);
    // A later matching event proves nothing stray was queued in between.
    await s.create(`${p}a/3`, 'yes');
    const events = await c.waitEvents(3);
    c.watcher.stop();
    assert.deepEqual(events.map((e) => e.kv.key), [`${p}a/1`, `${p}a/2`, `${p}a/3`]);
  });

  t0('watch from revision 0 delivers only events after the watch started', async (s, p) => {
    await s.create(`${p}old`, 'old');
    const c = collect(s, p, 0);
    // When exactly a backend attaches a 0-revision watch is its own business: keep writing until it shows.
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; c.events.length === 0 && c.errors.length === 0 && Date.now() < deadline; i++) {
      await s.create(`${p}new${i}`, 'new');
      await new Promise((r) => setTimeout(r, 10));
    }
    const events = await c.waitEvents(1);
    c.watcher.stop();
    assert.ok(events.every((e) => e.kv.key.startsWith(`${p}new`)), 'the key written before the watch is not delivered');
    for (let i = 1; i < events.length; i++) assert.ok(events[i]!.revision > events[i - 1]!.revision);
  });

  t0('a stopped watch delivers nothing more', async (s, p) => {
    const c = collect(s, p, await s.currentRevision());
    await s.create(`${p}1`, 'x');
    await c.waitEvents(1);
    c.watcher.stop();
    await s.create(`${p}2`, 'x');
    const probe = collect(s, p, await s.currentRevision());
    await s.create(`${p}3`, 'x');
    await probe.waitEvents(1);
    probe.watcher.stop();
    assert.equal(c.events.length, 1);
    assert.equal(c.errors.length, 0);
  });

  t0('compaction keeps latest values and fails old reads and watches with Compacted', async (s, p) => {
    const a = await s.create(`${p}a`, 'a1');
    const a2 = await s.update(`${p}a`, 'a2', a.modRevision);
    const b = await s.create(`${p}b`, 'b1');
    await s.delete(`${p}b`, b.modRevision);
    const c = await s.create(`${p}c`, 'c1');
    const target = c.modRevision;
    const after = await s.update(`${p}c`, 'c2', c.modRevision);
    await s.compact(target);
    assert.ok((await s.compactedRevision()) >= target);
    assert.deepEqual((await s.list(p)).items.map((kv) => kv.value), ['a2', 'c2']);
    assert.deepEqual((await s.list(p, { revision: target })).items.map((kv) => kv.value), ['a2', 'c1']);
    assert.equal((await s.get(`${p}a`))?.modRevision, a2.modRevision);
    await rejects(s.get(`${p}a`, { revision: a.modRevision }), 'Compacted');
    await rejects(s.list(p, { revision: a.modRevision }), 'Compacted');
    const old = collect(s, p, a.modRevision);
    const err = await old.waitError();
    assert.equal(err.code, 'Compacted');
    assert.equal(old.events.length, 0);
    const fresh = collect(s, p, target);
    const evs = await fresh.waitEvents(1);
    fresh.watcher.stop();
    assert.equal(evs[0]!.revision, after.modRevision);
    assert.equal(evs[0]!.prevKv?.value, 'c1');
    // Writes keep working after compaction.
    const n = await s.update(`${p}a`, 'a3', a2.modRevision);
    assert.ok(n.modRevision > after.modRevision);
  });

  t0('random operations match a naive MVCC model (reads at every revision, one watch)', async (s, p) => {
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const start = await s.currentRevision();
    const watch = collect(s, p, start);
    /** Model state after each successful write, by revision. */
    const snapshots: { rev: number; state: Map<string, KeyValue> }[] = [];
    let state = new Map<string, KeyValue>();
    const expectedEvents: { type: string; key: string; revision: number }[] = [];
    for (let i = 0; i < 150; i++) {
      const key = `${p}k${rand(8)}`;
      const cur = state.get(key);
      const op = rand(3);
      const stale = rand(4) === 0;
      try {
        let kv: KeyValue;
        if (op === 0) kv = await s.create(key, `v${i}`);
        else if (op === 1) kv = await s.update(key, `v${i}`, cur && !stale ? cur.modRevision : (cur?.modRevision ?? 1) + 1000);
        else kv = await s.delete(key, cur && !stale ? cur.modRevision : stale ? (cur?.modRevision ?? 1) + 1000 : undefined);
        // The write succeeded: the model must agree it could.
        assert.ok(op === 0 ? !cur : cur && !stale, `op ${op} on ${key} succeeded unexpectedly`);
        state = new Map(state);
        if (op === 2) {
          state.delete(key);
          assert.equal(kv.value, cur!.value);
        } else state.set(key, kv);
        snapshots.push({ rev: kv.modRevision, state });
        expectedEvents.push({ type: op === 2 ? 'delete' : 'put', key, revision: kv.modRevision });
      } catch (err) {
        assert.ok(isStorageError(err), String(err));
        const want = op === 0 ? 'KeyExists' : !cur ? 'NotFound' : 'Conflict';
        assert.equal(err.code, want, `op ${op} on ${key}`);
        if (err.code !== 'NotFound') assert.deepEqual(err.current, cur);
      }
    }
    for (let i = 1; i < snapshots.length; i++) assert.ok(snapshots[i]!.rev > snapshots[i - 1]!.rev);
    for (const snap of snapshots.filter((_, i) => i % 7 === 0 || i === snapshots.length - 1)) {
      const listed = await s.list(p, { revision: snap.rev });
      const want = [...snap.state.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
      assert.deepEqual(listed.items, want, `list at ${snap.rev}`);
      for (const k of ['k0', 'k3', 'k7']) assert.deepEqual(await s.get(`${p}${k}`, { revision: snap.rev }), snap.state.get(`${p}${k}`));
    }
    const events = await watch.waitEvents(expectedEvents.length);
    watch.watcher.stop();
    assert.deepEqual(events.map((e) => ({ type: e.type, key: e.kv.key, revision: e.revision })), expectedEvents);
  });

  t0('close ends watches and later calls fail', async (s, p) => {
    const c = collect(s, p, 0);
    await s.close();
    const err = await c.waitError();
    assert.equal(err.code, 'Unavailable');
    await rejects(s.get(`${p}x`), 'Unavailable');
    await rejects(s.create(`${p}x`, 'v'), 'Unavailable');
  });
}
