import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../util/clock.js';
import { RateLimitingQueue } from './rate-limiting-queue.js';
import { WorkQueue } from './work-queue.js';

test('work queue: FIFO, duplicates collapse', async () => {
  const q = new WorkQueue<string>();
  q.add('a');
  q.add('b');
  q.add('a');
  q.add('c');
  assert.equal(q.len(), 3);
  assert.equal(await q.get(), 'a');
  assert.equal(await q.get(), 'b');
  assert.equal(await q.get(), 'c');
});

test('work queue: stingy — an item is never handed out twice at once; re-added while processing comes back after done', async () => {
  const q = new WorkQueue<string>();
  q.add('a');
  const first = await q.get();
  assert.equal(first, 'a');
  q.add('a'); // while processing
  q.add('b');
  assert.equal(q.len(), 1, 'a is not queued while processing');
  assert.equal(await q.get(), 'b');
  let got: string | undefined;
  const waiting = q.get().then((v) => (got = v));
  await new Promise((r) => setImmediate(r));
  assert.equal(got, undefined, 'nothing to hand out yet');
  q.done('a');
  await waiting;
  assert.equal(got, 'a');
  q.done('a');
  q.done('b');
  assert.equal(q.len(), 0);
});

test('work queue: concurrent workers never overlap on a key; shutDown releases waiters', async () => {
  const q = new WorkQueue<string>();
  const active = new Set<string>();
  let overlaps = 0;
  let processed = 0;
  const worker = async () => {
    for (;;) {
      const k = await q.get();
      if (k === undefined) return;
      if (active.has(k)) overlaps++;
      active.add(k);
      await new Promise((r) => setTimeout(r, 1));
      active.delete(k);
      processed++;
      q.done(k);
    }
  };
  const workers = [worker(), worker(), worker(), worker()];
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < 5; i++) q.add(`k${i}`);
    await new Promise((r) => setTimeout(r, 1));
  }
  await q.whenIdle();
  q.shutDown();
  await Promise.all(workers);
  assert.equal(overlaps, 0);
  assert.ok(processed >= 5 && processed <= 100, `processed ${processed}`);
  q.add('late');
  assert.equal(q.len(), 0, 'adds after shutdown are ignored');
  assert.equal(await q.get(), undefined);
});

test('rate limiting queue: per-item exponential back-off, forget, addAfter keeps the earliest', async () => {
  const clock = new FakeClock();
  const q = new RateLimitingQueue<string>({ clock });
  assert.equal(q.when('x'), 5);
  assert.equal(q.when('x'), 10);
  assert.equal(q.when('x'), 20);
  assert.equal(q.numRequeues('x'), 3);
  q.forget('x');
  assert.equal(q.when('x'), 5);
  q.forget('x');
  for (let i = 0; i < 40; i++) q.when('big');
  assert.equal(q.when('big'), 1_000_000, 'capped at 1000 s');

  q.addRateLimited('y'); // 5 ms
  assert.equal(q.len(), 0);
  clock.advance(4);
  assert.equal(q.len(), 0);
  clock.advance(1);
  assert.equal(q.len(), 1);
  assert.equal(await q.get(), 'y');
  q.done('y');

  q.addAfter('z', 100);
  q.addAfter('z', 50);
  q.addAfter('z', 80);
  clock.advance(50);
  assert.equal(q.len(), 1);
  assert.equal(await q.get(), 'z');
  q.done('z');
  clock.advance(100);
  assert.equal(q.len(), 0, 'the later delayed adds were collapsed');

  const custom = new RateLimitingQueue<string>({ clock, baseDelayMs: 100, maxDelayMs: 300 });
  assert.deepEqual([custom.when('a'), custom.when('a'), custom.when('a'), custom.when('a')], [100, 200, 300, 300]);
  q.addAfter('never', 10);
  q.shutDown();
  clock.advance(20);
  assert.equal(q.len(), 0);
});
