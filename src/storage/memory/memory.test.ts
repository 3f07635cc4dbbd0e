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
