import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EndpointSlice } from '../api/types.js';
import type { Informer, Store } from '../client/types.js';
import { FakeClock } from '../util/clock.js';
import { EndpointDrain } from './endpoint-drain.js';

function informerOf(slices: EndpointSlice[]): Informer<EndpointSlice> {
  const store: Store<EndpointSlice> = { get: () => undefined, list: () => slices, byIndex: () => [] };
  return { store, addEventHandler() {}, addIndex() {}, start() {}, stop() {}, hasSynced: () => true, whenSynced: async () => {} };
}

function slice(endpoints: Array<{ ip: string; ready?: boolean }>): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 's', namespace: 'default' },
    addressType: 'IPv4',
    endpoints: endpoints.map((e) => ({ addresses: [e.ip], conditions: e.ready === undefined ? {} : { ready: e.ready } })),
  } as EndpointSlice;
}

/** Runs `drain` on a fake clock, advancing in small steps; returns the fake milliseconds it took. */
async function timedDrain(drain: EndpointDrain, clock: FakeClock, ip: string, maxMs: number, during?: (elapsed: number) => void): Promise<number> {
  const start = clock.now();
  let done = false;
  const p = drain.drain(ip, maxMs).then(() => (done = true));
  for (let i = 0; i < 10_000; i++) {
    await new Promise((r) => setImmediate(r));
    if (done) break;
    during?.(clock.now() - start);
    clock.advance(10);
  }
  await p;
  return clock.now() - start;
}

test('a pod that is no ready endpoint is not held', async () => {
  const clock = new FakeClock();
  const drain = new EndpointDrain({ slices: informerOf([slice([{ ip: '10.0.0.2', ready: false }])]), clock });
  assert.equal(await timedDrain(drain, clock, '10.0.0.2', 5000), 0);
  assert.equal(await timedDrain(drain, clock, '10.0.0.9', 5000), 0);
});

test('waits until the endpoint leaves the ready set, then the settle time', async () => {
  const clock = new FakeClock();
  const slices = [slice([{ ip: '10.0.0.2' }, { ip: '10.0.0.3', ready: true }])];
  const drain = new EndpointDrain({ slices: informerOf(slices), clock, settleMs: 300, pollMs: 10 });
  const took = await timedDrain(drain, clock, '10.0.0.2', 5000, (elapsed) => {
    if (elapsed >= 200) slices[0] = slice([{ ip: '10.0.0.2', ready: false }, { ip: '10.0.0.3', ready: true }]);
  });
  assert.ok(took >= 500 && took <= 560, `took ${took} ms`);
});

test('never holds longer than the bound', async () => {
  const clock = new FakeClock();
  const drain = new EndpointDrain({ slices: informerOf([slice([{ ip: '10.0.0.2', ready: true }])]), clock, settleMs: 300 });
  const took = await timedDrain(drain, clock, '10.0.0.2', 1000);
  assert.ok(took >= 1000 && took <= 1030, `took ${took} ms`);
});
