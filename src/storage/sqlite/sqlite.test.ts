import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../util/clock.js';
import { isStorageError } from '../storage.js';
import { storageConformance } from '../conformance.test-suite.js';
import { SqliteStorage } from './sqlite-storage.js';

const root = mkdtempSync(join(tmpdir(), 'skiff-sqlite-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshPath = (): string => join(root, `db-${n++}.sqlite`);

storageConformance('sqlite', async () => new SqliteStorage({ path: freshPath(), compactIntervalMs: 0 }));
storageConformance('sqlite (no latest cache)', async () => new SqliteStorage({ path: freshPath(), compactIntervalMs: 0, cacheLatest: false }));

test('sqlite: data and revisions survive reopen; revisions never repeat after compacting the newest row', async () => {
  const path = freshPath();
  let s = new SqliteStorage({ path, compactIntervalMs: 0 });
  const a = await s.create('/k/a', 'v1');
  const b = await s.create('/k/b', 'v1');
  await s.delete('/k/b', b.modRevision);
  const last = await s.currentRevision();
  await s.compact(last);
  await s.close();
  s = new SqliteStorage({ path, compactIntervalMs: 0 });
  assert.equal(await s.currentRevision(), last);
  assert.equal(await s.compactedRevision(), last);
  assert.deepEqual(await s.get('/k/a'), a);
  assert.equal(await s.get('/k/b'), undefined);
  const c = await s.create('/k/c', 'v');
  assert.equal(c.modRevision, last + 1);
  await s.close();
});

test('sqlite: a second owner of the same file is refused', async (t) => {
  const path = freshPath();
  const s = new SqliteStorage({ path, compactIntervalMs: 0 });
  t.after(() => s.close());
  await s.create('/k', 'v');
  assert.throws(() => new SqliteStorage({ path, compactIntervalMs: 0 }), (err) => isStorageError(err, 'Unavailable'));
});

test('sqlite: concurrent writes share transactions and each gets its own outcome', async (t) => {
  const s = new SqliteStorage({ path: freshPath(), compactIntervalMs: 0 });
  t.after(() => s.close());
  const writes = Array.from({ length: 200 }, (_, i) => s.create(`/g/${i % 150}`, String(i)));
  const results = await Promise.allSettled(writes);
  const ok = results.filter((r) => r.status === 'fulfilled').length;
  const exists = results.filter((r) => r.status === 'rejected' && isStorageError(r.reason, 'KeyExists')).length;
  assert.equal(ok, 150);
  assert.equal(exists, 50);
  assert.equal(await s.count('/g/'), 150);
  const revs = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.modRevision] : []));
  assert.equal(new Set(revs).size, 150);
  assert.equal(Math.max(...revs), await s.currentRevision());
});

test('sqlite: background compaction keeps the retention window (fake clock)', async (t) => {
  const clock = new FakeClock();
  const s = new SqliteStorage({ path: freshPath(), clock, compactIntervalMs: 1000, compactRetainMs: 3000, compactMinRetainRevisions: 5 });
  t.after(() => s.close());
  let kv = await s.create('/c/k', '0');
  for (let i = 1; i < 50; i++) kv = await s.update('/c/k', String(i), kv.modRevision);
  const early = await s.currentRevision();
  clock.advance(1000); // sample (t=1s, rev=50)
  for (let i = 0; i < 20; i++) kv = await s.update('/c/k', `x${i}`, kv.modRevision);
  clock.advance(1000);
  clock.advance(1000);
  assert.equal(await s.compactedRevision(), 0, 'nothing is older than the retention window yet');
  clock.advance(1000); // t=4s: the t=1s sample is outside the 3 s window
  const deadline = Date.now() + 2000;
  while ((await s.compactedRevision()) < early && Date.now() < deadline) await new Promise((r) => setImmediate(r));
  assert.equal(await s.compactedRevision(), early);
  assert.equal((await s.get('/c/k'))?.value, 'x19');
  assert.equal((await s.get('/c/k', { revision: early }))?.value, '49');
  await assert.rejects(s.get('/c/k', { revision: early - 1 }), (err) => isStorageError(err, 'Compacted'));
});

for (const cacheLatest of [true, false]) test(`sqlite: list of 10k keys is fast and paged lists are consistent (cacheLatest ${cacheLatest})`, async (t) => {
  const path = freshPath();
  const s = new SqliteStorage({ path, compactIntervalMs: 0, cacheLatest });
  t.after(() => s.close());
  const value = 'x'.repeat(1024);
  await Promise.all(Array.from({ length: 10_000 }, (_, i) => s.create(`/big/${String(i).padStart(6, '0')}`, value)));
  const started = performance.now();
  const all = await s.list('/big/');
  const ms = performance.now() - started;
  assert.equal(all.items.length, 10_000);
  // Only the in-memory path has a speed promise; the SQL path is timed by the benchmark.
  if (cacheLatest) assert.ok(ms < 1000, `list of 10k took ${ms} ms`);
  let after: string | undefined;
  let seen = 0;
  for (;;) {
    const page = await s.list('/big/', { limit: 3000, startAfter: after, revision: all.revision });
    seen += page.items.length;
    if (!page.more) break;
    assert.equal(page.remaining, 10_000 - seen);
    after = page.items[page.items.length - 1]!.key;
  }
  assert.equal(seen, 10_000);
  // Reopening rebuilds the same state.
  await s.close();
  const again = new SqliteStorage({ path, compactIntervalMs: 0, cacheLatest });
  t.after(() => again.close());
  const first = await again.list('/big/', { limit: 5 });
  assert.deepEqual(first.items, all.items.slice(0, 5));
  assert.equal(first.remaining, 10_000 - 5);
  assert.equal(await again.count('/big/'), 10_000);
});

test('sqlite: a write is acknowledged, visible and published only after the WAL fdatasync returns', async (t) => {
  const pending: ((err: NodeJS.ErrnoException | null) => void)[] = [];
  const s = new SqliteStorage({ path: freshPath(), compactIntervalMs: 0, syncFile: (_fd, cb) => pending.push(cb) });
  t.after(async () => {
    for (const cb of pending.splice(0)) cb(null);
    await s.close();
  });
  const events: string[] = [];
  s.watch('/w/', { fromRevision: 0 }, { onEvents: (evs) => events.push(...evs.map((e) => e.kv.key)), onError: () => undefined });
  let acked = false;
  const first = s.create('/w/a', '1').then((kv) => ((acked = true), kv));
  const waitFor = async (cond: () => boolean): Promise<void> => {
    const deadline = Date.now() + 2000;
    while (!cond()) {
      assert.ok(Date.now() < deadline, 'timed out');
      await new Promise((r) => setImmediate(r));
    }
  };
  await waitFor(() => pending.length === 1);
  // Committed to SQLite but not synced: not acknowledged, not visible, not published.
  const second = s.create('/w/b', '2');
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  assert.equal(acked, false);
  assert.equal(await s.get('/w/a'), undefined);
  assert.equal(await s.currentRevision(), 0);
  assert.deepEqual(events, []);
  assert.equal(pending.length, 1, 'the second batch waits for the next sync');
  pending.shift()!(null);
  const a = await first;
  assert.equal(a.modRevision, 1);
  assert.equal((await s.get('/w/a'))?.value, '1');
  assert.equal(await s.get('/w/b'), undefined);
  await waitFor(() => pending.length === 1);
  pending.shift()!(null);
  assert.equal((await second).modRevision, 2);
  await waitFor(() => events.length === 2);
  assert.deepEqual(events, ['/w/a', '/w/b']);
});

test('sqlite: a failed fdatasync rejects the writes it covered and stops the storage', async (t) => {
  let fail = false;
  const s = new SqliteStorage({
    path: freshPath(),
    compactIntervalMs: 0,
    syncFile: (_fd, cb) => setImmediate(() => cb(fail ? Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }) : null)),
  });
  t.after(() => s.close());
  await s.create('/f/ok', 'v');
  const errors: string[] = [];
  s.watch('/f/', { fromRevision: 0 }, { onEvents: () => undefined, onError: (err) => errors.push(err.code) });
  fail = true;
  await assert.rejects(s.create('/f/lost', 'v'), (err) => isStorageError(err, 'Unavailable'));
  await assert.rejects(s.get('/f/ok'), (err) => isStorageError(err, 'Unavailable'));
  await assert.rejects(s.create('/f/next', 'v'), (err) => isStorageError(err, 'Unavailable'));
  assert.deepEqual(errors, ['Unavailable']);
});
