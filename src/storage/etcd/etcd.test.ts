import { test } from 'node:test';
import assert from 'node:assert/strict';
import { etcdSkipReason, startEtcd, type EtcdCluster } from '../../../test/e2e/harness/etcd.js';
import { storageConformance } from '../conformance.test-suite.js';
import { EtcdStorage, prefixEnd } from './etcd-storage.js';

const skip = etcdSkipReason();
const cleanups: (() => unknown)[] = [];
test.after(async () => {
  for (const fn of cleanups.reverse()) await fn();
});
let etcd: Promise<EtcdCluster> | undefined;
const endpoints = async (): Promise<string[]> => (await (etcd ??= startEtcd({ after: (fn) => cleanups.push(fn) }))).endpoints;

storageConformance('etcd', async () => EtcdStorage.open({ endpoints: await endpoints() }), { skip: skip ?? false });

test('etcd: prefixEnd follows etcd range_end rules', () => {
  assert.deepEqual(prefixEnd('/a/'), Buffer.from('/a0'));
  assert.deepEqual(prefixEnd(''), Buffer.from([0]));
  assert.deepEqual(prefixEnd('a\u00ff'), Buffer.from([0x61, 0xc3, 0xc0]));
});

test('etcd: two clients (two API servers) see one history', { skip: skip ?? false }, async (t) => {
  const eps = await endpoints();
  const a = await EtcdStorage.open({ endpoints: eps });
  const b = await EtcdStorage.open({ endpoints: eps });
  t.after(() => Promise.all([a.close(), b.close()]));
  const p = `/two-${Date.now()}/`;
  const created = await a.create(`${p}k`, 'from-a');
  const seen = await b.get(`${p}k`);
  assert.deepEqual(seen, created);
  const updated = await b.update(`${p}k`, 'from-b', created.modRevision);
  await assert.rejects(a.update(`${p}k`, 'stale', created.modRevision), (err: unknown) => (err as { code?: string }).code === 'Conflict');
  assert.equal(await a.currentRevision(), updated.modRevision);
});

test('etcd: open fails with Unavailable when nothing listens', async () => {
  await assert.rejects(
    EtcdStorage.open({ endpoints: ['http://127.0.0.1:1'], requestTimeoutMs: 1000 }),
    (err: unknown) => (err as { code?: string }).code === 'Unavailable',
  );
});
