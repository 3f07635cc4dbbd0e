import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiWriteQueue } from './api-writes.js';

test('at most `limit` writes run at once; queued status writes go before queued events', async () => {
  const q = new ApiWriteQueue(2);
  const order: string[] = [];
  let running = 0;
  let peak = 0;
  const releases: (() => void)[] = [];
  const job = (name: string) => (): Promise<string> =>
    new Promise((resolve) => {
      order.push(name);
      running++;
      peak = Math.max(peak, running);
      releases.push(() => {
        running--;
        resolve(name);
      });
    });
  const done = [q.run('event', job('e1')), q.run('event', job('e2')), q.run('event', job('e3')), q.run('status', job('s1'))];
  assert.deepEqual(order, ['e1', 'e2'], 'two in flight');
  while (releases.length) {
    releases.shift()!();
    await new Promise((r) => setImmediate(r));
  }
  assert.deepEqual(await Promise.all(done), ['e1', 'e2', 'e3', 's1']);
  assert.deepEqual(order, ['e1', 'e2', 's1', 'e3'], 'the status write overtook the queued event');
  assert.equal(peak, 2);
  assert.equal(q.pending, 0);
});

test('a failed write frees its slot and rejects only its own caller', async () => {
  const q = new ApiWriteQueue(1);
  const a = q.run('status', () => Promise.reject(new Error('conflict')));
  const b = q.run('status', async () => 'ok');
  await assert.rejects(a, /conflict/);
  assert.equal(await b, 'ok');
});
