import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findResource, storageKey } from '../api/resources.js';
import { isGone } from '../api/status-error.js';
import { MemoryStorage } from '../storage/memory/memory-storage.js';
import { silentLogger } from '../util/logger.js';
import { WatchCache, type CacheEvent } from './watch-cache.js';

const cms = findResource('', 'configmaps')!;
const obj = (name: string, v: string) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'd' }, data: { v } });

test('the watch cache follows storage, serves history, and expires old revisions', async (t) => {
  const storage = new MemoryStorage();
  t.after(() => storage.close());
  const first = await storage.create(storageKey(cms, 'a', 'd'), obj('a', '1'));
  const cache = new WatchCache({ storage, logger: silentLogger, capacity: 3 });
  t.after(() => cache.close());
  await cache.start();
  const rc = cache.forResource(cms);
  assert.equal(rc.list('d')[0]!.obj().metadata.resourceVersion, String(first.modRevision));
  const seen: CacheEvent[] = [];
  rc.subscribers.add({ onEvent: (e) => seen.push(e), onReset: () => {} });
  const b = await storage.create(storageKey(cms, 'b', 'd'), obj('b', '1'));
  await storage.update(b.key, obj('b', '2'), b.modRevision);
  await storage.delete(first.key);
  assert.ok(await cache.syncWithStorage(1000));
  assert.deepEqual(seen.map((e) => `${e.type} ${e.cur.name}`), ['ADDED b', 'MODIFIED b', 'DELETED a']);
  assert.equal(seen[2]!.prev!.name, 'a');
  assert.deepEqual(rc.list().map((c) => c.name), ['b']);
  assert.equal(rc.eventsSince(first.modRevision).length, 3);
  await storage.create(storageKey(cms, 'c', 'd'), obj('c', '1'));
  assert.ok(await cache.syncWithStorage(1000));
  assert.throws(() => rc.eventsSince(first.modRevision), (e) => isGone(e));
  assert.equal(rc.eventsSince(b.modRevision).length, 3);
});

test('a revision bumped outside /registry/ does not stall consistent reads', async (t) => {
  const storage = new MemoryStorage();
  t.after(() => storage.close());
  const cache = new WatchCache({ storage, logger: silentLogger });
  t.after(() => cache.close());
  await cache.start();
  await storage.create('compact_rev_key', '5');
  const keepAlive = setInterval(() => {}, 1000); // the cache's timers are unref'd
  t.after(() => clearInterval(keepAlive));
  const started = Date.now();
  assert.equal(await cache.syncWithStorage(3000), true);
  assert.ok(Date.now() - started < 2000);
  assert.ok(cache.rv >= (await storage.currentRevision()) - 1);
});
