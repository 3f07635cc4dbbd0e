import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LatestIndex } from './latest-index.js';

/** Random sets and deletes with lists in between, checked against a plain Map. */
test('LatestIndex matches a naive model under random sets, deletes and lists', () => {
  let seed = 42;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const index = new LatestIndex();
  const model = new Map<string, string>();
  const prefixes = ['/a/', '/ab/', '/b/', '/'];
  for (let step = 1; step <= 5000; step++) {
    const key = `${prefixes[rand(3)]}${rand(40)}`;
    const op = rand(10);
    if (op < 5) {
      index.set({ key, value: String(step), createRevision: step, modRevision: step });
      model.set(key, String(step));
    } else if (op < 8) {
      index.delete(key);
      model.delete(key);
    } else {
      const prefix = prefixes[rand(prefixes.length)]!;
      const limit = rand(4) * 7;
      const expected = [...model.keys()].filter((k) => k.startsWith(prefix)).sort();
      const after = rand(3) === 0 && expected.length > 0 ? expected[rand(expected.length)] : undefined;
      const rest = after === undefined ? expected : expected.filter((k) => k > after);
      const got = index.list(prefix, limit, after, step);
      const want = limit > 0 ? rest.slice(0, limit) : rest;
      assert.deepEqual(got.items.map((kv) => kv.key), want, `step ${step}`);
      assert.deepEqual(got.items.map((kv) => kv.value), want.map((k) => model.get(k)));
      assert.equal(got.more, rest.length > want.length);
      assert.equal(got.remaining, got.more ? rest.length - want.length : undefined);
      assert.equal(index.count(prefix), expected.length);
    }
    assert.equal(index.size, model.size);
  }
});
