import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../api/meta.js';
import type { ConfigMap, Namespace, Pod, ReplicaSet } from '../../api/types.js';
import { waitFor } from '../../client/testing/wait-for.js';
import { NamespaceController } from '../namespace/namespace-controller.js';
import { R } from '../shared/resources.js';
import { makePod, testContext } from '../shared/test-context.js';
import { GarbageCollector } from './garbage-collector.js';

async function setup(t: { after(fn: () => unknown): void }) {
  const ctx = testContext();
  const gc = new GarbageCollector(ctx);
  const nsc = new NamespaceController(ctx, { recheckMs: 20 });
  await gc.start();
  await nsc.start();
  ctx.informers.start();
  t.after(async () => {
    await gc.stop();
    await nsc.stop();
    ctx.informers.stop();
  });
  return { ctx, client: ctx.client };
}

const owned = (owner: KubeObject, block = true) => [{ apiVersion: owner.apiVersion!, kind: owner.kind!, name: owner.metadata.name!, uid: owner.metadata.uid!, controller: true, blockOwnerDeletion: block }];

async function ownerWithPods(client: ReturnType<typeof testContext>['client'], name: string, n: number) {
  const rs = await client.create<ReplicaSet>(R.replicaSets, { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name, namespace: 'default' }, spec: { replicas: 0, selector: { matchLabels: { app: name } } } });
  for (let i = 0; i < n; i++) {
    const p = makePod(`${name}-${i}`, { labels: { app: name } });
    p.metadata.ownerReferences = owned(rs);
    await client.create(R.pods, p);
  }
  return rs;
}

const podsOf = (client: ReturnType<typeof testContext>['client'], name: string) => client.objects<Pod>(R.pods, 'default').filter((p) => p.metadata.name?.startsWith(`${name}-`));

test('gc: background — dependents of a deleted owner are deleted; a dependent with another live owner only loses the reference', async (t) => {
  const { client } = await setup(t);
  const rs = await ownerWithPods(client, 'bg', 3);
  const other = await client.create<ConfigMap>(R.configMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'keeper', namespace: 'default' } });
  const shared = makePod('shared-0', {});
  shared.metadata.ownerReferences = [...owned(rs), { ...owned(other)[0], controller: false }];
  await client.create(R.pods, shared);
  await client.delete(R.replicaSets, 'bg', 'default', { propagationPolicy: 'Background' });
  await waitFor(() => podsOf(client, 'bg').length === 0, 'dependents deleted');
  await waitFor(() => client.peek<Pod>(R.pods, 'shared-0', 'default')?.metadata.ownerReferences?.length === 1, 'dangling ref dropped');
  assert.equal(client.peek<Pod>(R.pods, 'shared-0', 'default')!.metadata.ownerReferences![0].uid, other.metadata.uid);
});

test('gc: foreground — the owner stays until its dependents are gone; orphan — dependents survive without the reference', async (t) => {
  const { client } = await setup(t);
  await ownerWithPods(client, 'fg', 2);
  await client.delete(R.replicaSets, 'fg', 'default', { propagationPolicy: 'Foreground' });
  assert.ok(client.peek(R.replicaSets, 'fg', 'default')?.metadata.deletionTimestamp, 'owner waits with a deletionTimestamp');
  await waitFor(() => podsOf(client, 'fg').length === 0 && !client.peek(R.replicaSets, 'fg', 'default'), 'dependents then owner gone');

  await ownerWithPods(client, 'or', 2);
  await client.delete(R.replicaSets, 'or', 'default', { propagationPolicy: 'Orphan' });
  await waitFor(() => !client.peek(R.replicaSets, 'or', 'default'), 'owner gone');
  const pods = podsOf(client, 'or');
  assert.equal(pods.length, 2);
  assert.ok(pods.every((p) => !p.metadata.ownerReferences?.length), 'references removed');
});

test('namespace: deleting a namespace deletes its contents, then the namespace', async (t) => {
  const { client } = await setup(t);
  await client.create<Namespace>(R.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
  await client.create(R.pods, makePod('a', { ns: 'team' }));
  await client.create(R.pods, makePod('on-node', { ns: 'team', node: 'n1' }));
  await client.create(R.configMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'team' } });
  await client.create(R.pods, makePod('elsewhere', { ns: 'default' }));
  await client.delete(R.namespaces, 'team');
  assert.equal(client.peek<Namespace>(R.namespaces, 'team')?.status?.phase, 'Terminating');
  await waitFor(() => client.objects(R.pods, 'team').every((p) => p.metadata.deletionTimestamp) && client.objects(R.configMaps, 'team').length === 0, 'contents deleted');
  assert.ok(client.peek(R.namespaces, 'team'), 'the namespace waits for the pod on a node');
  // the node agent finishes the pod
  await client.delete(R.pods, 'on-node', 'team', { gracePeriodSeconds: 0 });
  await waitFor(() => !client.peek(R.namespaces, 'team'), 'namespace removed');
  assert.ok(client.peek(R.pods, 'elsewhere', 'default'));
});
