import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Event, Pod, ReplicaSet, ReplicationController } from '../../api/types.js';
import { waitFor } from '../../client/testing/wait-for.js';
import { R } from '../shared/resources.js';
import { makePod, testContext } from '../shared/test-context.js';
import { REPLICA_SET_KIND, REPLICATION_CONTROLLER_KIND, ReplicaSetController } from './replica-set-controller.js';

async function setup(t: { after(fn: () => unknown): void }) {
  const ctx = testContext();
  const rs = new ReplicaSetController(ctx, REPLICA_SET_KIND);
  const rc = new ReplicaSetController(ctx, REPLICATION_CONTROLLER_KIND);
  await rs.start();
  await rc.start();
  ctx.informers.start();
  t.after(async () => {
    await rs.stop();
    await rc.stop();
    ctx.informers.stop();
  });
  const podsOf = (uid: string) => ctx.client.objects<Pod>(R.pods, 'default').filter((p) => p.metadata.ownerReferences?.some((r) => r.uid === uid && r.controller) && !p.metadata.deletionTimestamp);
  return { ctx, client: ctx.client, podsOf, rsController: rs };
}

const template = (labels: Record<string, string>) => ({ metadata: { labels }, spec: { containers: [{ name: 'c', image: 'x' }] } });

test('replicaset: creates replicas, adopts an orphan, releases a pod that stops matching, scales down, status counts', async (t) => {
  const { client, podsOf } = await setup(t);
  await client.create(R.pods, makePod('orphan', { labels: { app: 'web', tier: 'fe' }, ip: '198.18.0.50', node: 'n1' }));
  await client.create(R.pods, makePod('stranger', { labels: { app: 'web', tier: 'be' } }));
  const rs = await client.create<ReplicaSet>(R.replicaSets, {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web', namespace: 'default' },
    spec: { replicas: 3, selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['fe'] }] }, template: template({ app: 'web', tier: 'fe' }) },
  });
  const uid = rs.metadata.uid!;
  await waitFor(() => podsOf(uid).length === 3, '3 pods');
  assert.ok(podsOf(uid).some((p) => p.metadata.name === 'orphan'), 'orphan adopted');
  assert.ok(!podsOf(uid).some((p) => p.metadata.name === 'stranger'), 'set-based selector excludes tier=be');
  const created = podsOf(uid).find((p) => p.metadata.name !== 'orphan')!;
  assert.match(created.metadata.name!, /^web-/);
  assert.deepEqual(created.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid, controller: true, blockOwnerDeletion: true }]);
  await waitFor(() => client.peek<ReplicaSet>(R.replicaSets, 'web', 'default')?.status?.replicas === 3, 'status.replicas');
  const st = client.peek<ReplicaSet>(R.replicaSets, 'web', 'default')!.status!;
  assert.equal(st.readyReplicas, 1, 'only the orphan reports Ready');
  assert.equal(st.availableReplicas, 1);
  assert.equal(st.fullyLabeledReplicas, 3);
  assert.equal(st.observedGeneration, 1);
  // relabel one: it is released and replaced
  const victim = podsOf(uid).find((p) => p.metadata.name !== 'orphan')!;
  await client.patch(R.pods, victim.metadata.name!, 'default', { metadata: { labels: { app: 'web', tier: 'debug' } } }, 'merge');
  await waitFor(() => !client.peek<Pod>(R.pods, victim.metadata.name!, 'default')!.metadata.ownerReferences?.length && podsOf(uid).length === 3, 'released + replaced');
  // scale down: the unscheduled, not-ready pods go first; the ready orphan stays
  await client.patch(R.replicaSets, 'web', 'default', { spec: { replicas: 1 } }, 'merge');
  await waitFor(() => podsOf(uid).length === 1, 'scaled to 1');
  assert.equal(podsOf(uid)[0].metadata.name, 'orphan');
  await waitFor(() => client.peek<ReplicaSet>(R.replicaSets, 'web', 'default')?.status?.observedGeneration === 2, 'observedGeneration');
});

test('replicationcontroller: equality selector defaulted from the template; recreates deleted pods; no double creates', async (t) => {
  const { client, podsOf } = await setup(t);
  const rc = await client.create<ReplicationController>(R.replicationControllers, {
    apiVersion: 'v1',
    kind: 'ReplicationController',
    metadata: { name: 'pay', namespace: 'default' },
    spec: { replicas: 5, template: template({ app: 'pay' }) },
  });
  const uid = rc.metadata.uid!;
  await waitFor(() => podsOf(uid).length === 5, '5 pods');
  const before = client.actions.filter((a) => a.startsWith('create pods')).length;
  assert.equal(before, 5, 'slow start created exactly 5');
  const p = podsOf(uid)[0];
  await client.delete(R.pods, p.metadata.name!, 'default');
  await waitFor(() => podsOf(uid).length === 5 && !podsOf(uid).some((x) => x.metadata.name === p.metadata.name), 'replaced');
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(client.actions.filter((a) => a.startsWith('create pods')).length, 6, 'exactly one replacement');
  await waitFor(() => client.peek<ReplicationController>(R.replicationControllers, 'pay', 'default')?.status?.replicas === 5, 'status');
});

test('replicaset: a create failure stops the batch, is reported as a FailedCreate event, and is retried', async (t) => {
  const { client, podsOf } = await setup(t);
  let failures = 2;
  client.beforeWrite = (verb, resource) => {
    if (verb === 'create' && resource === 'pods' && failures > 0) {
      failures--;
      throw new Error('quota exceeded');
    }
  };
  const rs = await client.create<ReplicaSet>(R.replicaSets, { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'q', namespace: 'default' }, spec: { replicas: 4, selector: { matchLabels: { app: 'q' } }, template: template({ app: 'q' }) } });
  await waitFor(() => podsOf(rs.metadata.uid!).length === 4, 'eventually 4');
  await waitFor(() => client.objects<Event>(R.events, 'default').some((e) => e.reason === 'FailedCreate' && e.message === 'Error creating: quota exceeded'), 'FailedCreate event');
  assert.equal(client.actions.filter((a) => a.startsWith('create pods')).length, 4, 'no extra pods');
});
