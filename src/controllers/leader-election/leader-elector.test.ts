import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Lease } from '../../api/types.js';
import { FakeClient } from '../../client/testing/fake-client.js';
import { waitFor } from '../../client/testing/wait-for.js';
import { R } from '../shared/resources.js';
import { LeaderElector } from './leader-elector.js';

function candidate(client: FakeClient, identity: string, log: string[]) {
  return new LeaderElector({
    client,
    identity,
    leaseDurationMs: 1000,
    renewDeadlineMs: 600,
    retryPeriodMs: 50,
    onStartedLeading: () => log.push(`${identity} leads`),
    onStoppedLeading: () => log.push(`${identity} stops`),
  });
}

test('leader election: one leader among two; failover when the leader stops renewing; release on stop', async (t) => {
  const client = new FakeClient();
  const log: string[] = [];
  const a = candidate(client, 'a', log);
  const b = candidate(client, 'b', log);
  t.after(async () => {
    await a.stop();
    await b.stop();
  });
  a.start();
  await waitFor(() => a.isLeader(), 'a leads');
  b.start();
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(b.isLeader(), false, 'b stands by while a renews');
  const lease = client.peek<Lease>(R.leases, 'skiff-controller-manager', 'kube-system')!;
  assert.equal(lease.spec?.holderIdentity, 'a');
  // a crashes: it stops renewing without releasing
  (a as unknown as { stopped: boolean }).stopped = true;
  const crashedAt = Date.now();
  await waitFor(() => b.isLeader(), 'b takes over', 3000);
  assert.ok(Date.now() - crashedAt >= 700, 'not before the lease expired');
  assert.equal(client.peek<Lease>(R.leases, 'skiff-controller-manager', 'kube-system')!.spec?.leaseTransitions, 1);
  // b stops cleanly: it releases the lease; a fresh candidate takes it at once
  await b.stop();
  assert.deepEqual(log.slice(-1), ['b stops']);
  const c = candidate(client, 'c', log);
  t.after(() => c.stop());
  const t0 = Date.now();
  c.start();
  await waitFor(() => c.isLeader(), 'c leads');
  assert.ok(Date.now() - t0 < 500, 'a released lease is taken without waiting for expiry');
});
