import { test } from 'node:test';
import assert from 'node:assert/strict';
import { storageConformance } from '../conformance.test-suite.js';
import { MemoryStorage } from './memory-storage.js';

storageConformance('memory', async () => new MemoryStorage());

test('memory: compaction drops deleted keys entirely and history below the target', async () => {
  const s = new MemoryStorage();
  const a = await s.create('/k/a', '1');
  await s.delete('/k/a', a.modRevision);
  const b = await s.create('/k/b', '1');
  await s.update('/k/b', '2', b.modRevision);
  await s.compact(await s.currentRevision());
  assert.deepEqual((await s.list('/k/')).items.map((kv) => kv.key), ['/k/b']);
  const again = await s.create('/k/a', 'new');
  assert.equal(again.createRevision, again.modRevision);
  assert.deepEqual((await s.list('/k/')).items.map((kv) => kv.key), ['/k/a', '/k/b']);
  await s.close();
});

test('memory: retainRevisions compacts on its own and keeps at least that much history', async () => {
  const s = new MemoryStorage({ retainRevisions: 10 });
  let kv = await s.create('/r/k', '0');
  for (let i = 1; i < 100; i++) kv = await s.update('/r/k', String(i), kv.modRevision);
  const compacted = await s.compactedRevision();
  assert.ok(compacted > 0, 'compacted');
  assert.ok(kv.modRevision - compacted >= 10 && kv.modRevision - compacted < 20, `kept ${kv.modRevision - compacted} revisions`);
  assert.equal((await s.get('/r/k', { revision: kv.modRevision - 10 }))?.value, '89');
  await assert.rejects(s.get('/r/k', { revision: compacted - 1 }), (err: unknown) => (err as { code?: string }).code === 'Compacted');
  await s.close();
});
