/**
 * EtcdStorage over a 3-member etcd cluster on loopback: the leader is SIGKILLed while
 * writers run; every acknowledged write must still be there, and a second client (a second
 * API server) watching through a surviving member sees every acknowledged write, in one
 * strictly increasing order of revisions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { etcdSkipReason, startEtcdCluster } from '../harness/etcd.js';
import { EtcdStorage } from '../../../src/storage/etcd/etcd-storage.js';
import { isStorageError, type StorageEvent } from '../../../src/storage/storage.js';

const skip = etcdSkipReason();

test('etcd cluster: killing the leader of three members mid-write loses no acknowledged write', { skip: skip ?? false, timeout: 60_000 }, async (t) => {
  const cluster = await startEtcdCluster(t, 3);
  // Kill the leader (the harder case: a new election happens while writes are in flight).
  const ids: string[] = [];
  let leaderId = '';
  for (const m of cluster.members) {
    const probe = new EtcdStorage({ endpoints: [m.clientUrl] });
    const status = await probe.client.maintenance.status();
    ids.push(status.header.member_id);
    leaderId = status.leader;
    await probe.close();
  }
  const leader = ids.indexOf(leaderId);
  assert.ok(leader >= 0, 'found the leader');
  const m0 = cluster.members[leader];
  const [m1, m2] = cluster.members.filter((_, i) => i !== leader);
  // Writers talk to all members; the watcher (another "API server") only to a survivor.
  const writer = await EtcdStorage.open({ endpoints: cluster.endpoints, requestTimeoutMs: 3000 });
  const observer = await EtcdStorage.open({ endpoints: [m2!.clientUrl] });
  t.after(() => Promise.all([writer.close(), observer.close()]));

  const prefix = '/cluster-test/';
  const startRev = await observer.currentRevision();
  const seen: StorageEvent[] = [];
  const watchErrors: string[] = [];
  const watch = observer.watch(prefix, { fromRevision: startRev }, {
    onEvents: (evs) => seen.push(...evs),
    onError: (err) => watchErrors.push(`${err.code}: ${err.message}`),
  });
  t.after(() => watch.stop());

  const acked = new Map<string, number>();
  let failures = 0;
  let killed = false;
  // Writers run until 3 s after the kill (hard cap 30 s, in case the kill never comes).
  let runUntil = Date.now() + 30_000;
  const value = 'v'.repeat(1024);
  const loop = async (w: number): Promise<void> => {
    for (let i = 0; Date.now() < runUntil; i++) {
      const key = `${prefix}${w}/${i}`;
      try {
        const kv = await writer.create(key, value);
        acked.set(key, kv.modRevision);
      } catch (err) {
        // Not acknowledged: it may or may not have been applied. Only Unavailable is expected.
        if (!isStorageError(err, 'Unavailable') && !isStorageError(err, 'KeyExists')) throw err;
        failures++;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  };
  const writers = Array.from({ length: 8 }, (_, w) => loop(w));
  // Kill a member once writes are flowing.
  const deadline = Date.now() + 10_000;
  while (acked.size < 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  const ackedBeforeKill = acked.size;
  await m0!.kill();
  killed = true;
  runUntil = Math.min(runUntil, Date.now() + 3000);
  await Promise.all(writers);
  assert.ok(killed);
  assert.ok(ackedBeforeKill >= 200, `writes were flowing before the kill (${ackedBeforeKill})`);
  assert.ok(acked.size > ackedBeforeKill, `writes continued after the kill (${ackedBeforeKill} → ${acked.size}, ${failures} failures)`);

  // Every acknowledged write is readable through a survivor.
  const check = await EtcdStorage.open({ endpoints: [m1!.clientUrl] });
  t.after(() => check.close());
  const list = await check.list(prefix);
  const stored = new Map(list.items.map((kv) => [kv.key, kv.modRevision]));
  const lost = [...acked].filter(([key, rev]) => stored.get(key) !== rev);
  assert.deepEqual(lost, [], `${lost.length} of ${acked.size} acknowledged writes lost`);

  // The observer saw every acknowledged write, once, in increasing revision order.
  const until = Date.now() + 10_000;
  while (watchErrors.length === 0 && seen.length < list.items.length && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(watchErrors, []);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.revision > seen[i - 1]!.revision, 'revisions strictly increase');
  const seenKeys = new Set(seen.map((e) => e.kv.key));
  assert.equal(seenKeys.size, seen.length, 'no event twice');
  assert.deepEqual([...acked.keys()].filter((k) => !seenKeys.has(k)), []);
  t.diagnostic(`acknowledged ${acked.size} creates (${ackedBeforeKill} before the kill), ${failures} unacknowledged attempts`);
});
