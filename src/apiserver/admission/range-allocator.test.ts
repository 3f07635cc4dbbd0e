import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStorage } from '../../storage/memory/memory-storage.js';
import { AlreadyAllocatedError, RangeAllocator, RangeFullError } from './range-allocator.js';

function allocator(storage: MemoryStorage, size = 8) {
  return new RangeAllocator({ storage, keyPrefix: '/registry/skiff.dev/test/', size, reserved: new Set([0]), label: String, parse: (s) => Number(s) });
}

test('allocates each offset once, across allocators sharing storage, and releases', async () => {
  const storage = new MemoryStorage();
  const a = allocator(storage);
  const b = allocator(storage);
  await a.allocate(3, 'x');
  await assert.rejects(b.allocate(3, 'y'), AlreadyAllocatedError, 'storage arbitrates between servers');
  await assert.rejects(a.allocate(0, 'y'), AlreadyAllocatedError, 'reserved');
  const got = new Set<number>([3]);
  for (let i = 0; i < 6; i++) got.add(await (i % 2 ? a : b).allocateNext('z'));
  assert.equal(got.size, 7);
  assert.ok(!got.has(0));
  await assert.rejects(a.allocateNext('full'), RangeFullError);
  await a.release(3);
  assert.equal(await b.allocateNext('again'), 3);
  const fresh = allocator(storage);
  const owners = await fresh.rebuild();
  assert.equal(owners.size, 7);
  assert.equal(owners.get(3), 'again');
  await storage.close();
});
