import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Deployment, Pod, ReplicaSet } from '../../api/types.js';
import { waitFor } from '../../client/testing/wait-for.js';
import { REPLICA_SET_KIND, ReplicaSetController } from '../replicaset/replica-set-controller.js';
import { isPodReady } from '../shared/pod-util.js';
import { R } from '../shared/resources.js';
import { fakeKubelet, testContext } from '../shared/test-context.js';
import { DeploymentController } from './deployment-controller.js';
import { equalIgnoreHash, podTemplateHash, POD_TEMPLATE_HASH, resolveIntOrPercent, REVISION_ANNOTATION } from './deployment-util.js';

async function setup(t: { after(fn: () => unknown): void }, readyDelayMs = 15) {
  const ctx = testContext();
  const dc = new DeploymentController(ctx);
  const rsc = new ReplicaSetController(ctx, REPLICA_SET_KIND);
  await dc.start();
  await rsc.start();
  ctx.informers.start();
  const stopKubelet = fakeKubelet(ctx.client, { readyDelayMs });
  t.after(async () => {
    stopKubelet();
    await dc.stop();
    await rsc.stop();
    ctx.informers.stop();
  });
  return { ctx, client: ctx.client };
}

function deployment(name: string, version: string, opts: { replicas?: number; strategy?: Deployment['spec'] extends infer S ? S extends { strategy?: infer X } ? X : never : never } = {}): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas: opts.replicas ?? 4,
      selector: { matchLabels: { app: name } },
      strategy: opts.strategy ?? { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: `pay:${version}` }] } },
    },
  };
}

const imageOf = (p: Pod) => p.spec?.containers[0]?.image;

function rolledOut(client: ReturnType<typeof testContext>['client'], name: string, image: string, replicas: number): boolean {
  const d = client.peek<Deployment>(R.deployments, name, 'default');
  if (!d?.status || (d.status.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) return false;
  const pods = client.objects<Pod>(R.pods, 'default').filter((p) => p.metadata.labels?.app === name);
  return (
    d.status.updatedReplicas === replicas &&
    d.status.replicas === replicas &&
    d.status.availableReplicas === replicas &&
    pods.length === replicas &&
    pods.every((p) => imageOf(p) === image && isPodReady(p))
  );
}

test('deployment utils: hash, int-or-percent, equality ignoring the hash label', () => {
  const tpl = { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'x' }] } };
  assert.match(podTemplateHash(tpl), /^[bcdfghjklmnpqrstvwxz2456789]+$/);
  assert.equal(podTemplateHash(tpl), podTemplateHash(structuredClone(tpl)));
  assert.notEqual(podTemplateHash(tpl), podTemplateHash(tpl, 1));
  assert.ok(equalIgnoreHash({ ...tpl, metadata: { labels: { app: 'a', [POD_TEMPLATE_HASH]: 'xyz' } } }, tpl));
  assert.equal(resolveIntOrPercent('25%', 10, true, 0), 3);
  assert.equal(resolveIntOrPercent('25%', 10, false, 0), 2);
  assert.equal(resolveIntOrPercent(undefined, 4, true, '25%'), 1);
});

test('deployment: rolling update v1 → v2 keeps ≥ replicas - maxUnavailable ready, then undo restores v1', async (t) => {
  const { client } = await setup(t);
  await client.create(R.deployments, deployment('pay', 'v1'));
  await waitFor(() => rolledOut(client, 'pay', 'pay:v1', 4), 'v1 rolled out');
  const d1 = client.peek<Deployment>(R.deployments, 'pay', 'default')!;
  assert.equal(d1.status?.conditions?.find((c) => c.type === 'Progressing')?.reason, 'NewReplicaSetAvailable');
  assert.equal(d1.status?.conditions?.find((c) => c.type === 'Available')?.status, 'True');
  const rs1 = client.objects<ReplicaSet>(R.replicaSets, 'default')[0];
  assert.equal(rs1.metadata.annotations?.[REVISION_ANNOTATION], '1');
  assert.equal(rs1.metadata.name, `pay-${rs1.metadata.labels?.[POD_TEMPLATE_HASH]}`);
  assert.equal(rs1.spec?.selector.matchLabels?.[POD_TEMPLATE_HASH], rs1.metadata.labels?.[POD_TEMPLATE_HASH]);

  let minReady = Infinity;
  let maxTotal = 0;
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      const pods = client.objects<Pod>(R.pods, 'default').filter((p) => p.metadata.labels?.app === 'pay' && !p.metadata.deletionTimestamp);
      minReady = Math.min(minReady, pods.filter(isPodReady).length);
      maxTotal = Math.max(maxTotal, pods.length);
      await new Promise((r) => setTimeout(r, 1));
    }
  })();
  await client.patch(R.deployments, 'pay', 'default', { spec: { template: { spec: { containers: [{ name: 'app', image: 'pay:v2' }] } } } }, 'merge');
  await waitFor(() => rolledOut(client, 'pay', 'pay:v2', 4), 'v2 rolled out', 10_000);
  watching = false;
  await watcher;
  assert.ok(minReady >= 3, `ready pods dipped to ${minReady} (< replicas - maxUnavailable = 3)`);
  assert.ok(maxTotal <= 5, `more than replicas + maxSurge pods existed: ${maxTotal}`);
  const rss = client.objects<ReplicaSet>(R.replicaSets, 'default');
  assert.equal(rss.length, 2);
  const rs2 = rss.find((r) => r.metadata.uid !== rs1.metadata.uid)!;
  assert.equal(rs2.metadata.annotations?.[REVISION_ANNOTATION], '2');
  assert.equal(client.peek<ReplicaSet>(R.replicaSets, rs1.metadata.name!, 'default')!.spec?.replicas, 0);

  // kubectl rollout undo: patch the template back from the previous RS (minus the hash label)
  const tpl = structuredClone(rs1.spec!.template!);
  delete tpl.metadata!.labels![POD_TEMPLATE_HASH];
  const cur = client.peek<Deployment>(R.deployments, 'pay', 'default')!;
  await client.update(R.deployments, { ...cur, spec: { ...cur.spec!, template: tpl } });
  await waitFor(() => rolledOut(client, 'pay', 'pay:v1', 4), 'v1 restored', 10_000);
  assert.equal(client.objects<ReplicaSet>(R.replicaSets, 'default').length, 2, 'the v1 ReplicaSet is reused');
  assert.equal(client.peek<ReplicaSet>(R.replicaSets, rs1.metadata.name!, 'default')!.metadata.annotations?.[REVISION_ANNOTATION], '3');
});

test('deployment: Recreate stops every old pod before starting new ones; pause holds the rollout; history limit', async (t) => {
  const { client } = await setup(t, 0);
  await client.create(R.deployments, { ...deployment('rc', 'v1', { replicas: 2, strategy: { type: 'Recreate' } }), spec: { ...deployment('rc', 'v1', { replicas: 2, strategy: { type: 'Recreate' } }).spec!, revisionHistoryLimit: 1 } });
  await waitFor(() => rolledOut(client, 'rc', 'pay:v1', 2), 'v1');
  let mixed = false;
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      const images = new Set(client.objects<Pod>(R.pods, 'default').filter((p) => p.metadata.labels?.app === 'rc').map(imageOf));
      if (images.size > 1) mixed = true;
      await new Promise((r) => setTimeout(r, 1));
    }
  })();
  await client.patch(R.deployments, 'rc', 'default', { spec: { template: { spec: { containers: [{ name: 'app', image: 'pay:v2' }] } } } }, 'merge');
  await waitFor(() => rolledOut(client, 'rc', 'pay:v2', 2), 'v2');
  watching = false;
  await watcher;
  assert.equal(mixed, false, 'old and new pods never coexist with Recreate');
  // pause: a template change does nothing until resumed
  await client.patch(R.deployments, 'rc', 'default', { spec: { paused: true } }, 'merge');
  await client.patch(R.deployments, 'rc', 'default', { spec: { template: { spec: { containers: [{ name: 'app', image: 'pay:v3' }] } } } }, 'merge');
  await waitFor(() => client.peek<Deployment>(R.deployments, 'rc', 'default')?.status?.conditions?.some((c) => c.reason === 'DeploymentPaused') ?? false, 'paused condition');
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(client.objects<Pod>(R.pods, 'default').every((p) => imageOf(p) === 'pay:v2'));
  await client.patch(R.deployments, 'rc', 'default', { spec: { paused: false } }, 'merge');
  await waitFor(() => rolledOut(client, 'rc', 'pay:v3', 2), 'v3 after resume');
  // revisionHistoryLimit 1: only one idle old RS is kept
  await waitFor(() => client.objects<ReplicaSet>(R.replicaSets, 'default').length === 2, 'history trimmed to 1 old RS');
});

test('deployment: progressDeadlineSeconds → Progressing=False ProgressDeadlineExceeded', async (t) => {
  const ctx = testContext();
  const dc = new DeploymentController(ctx);
  const rsc = new ReplicaSetController(ctx, REPLICA_SET_KIND);
  await dc.start();
  await rsc.start();
  ctx.informers.start();
  t.after(async () => {
    await dc.stop();
    await rsc.stop();
    ctx.informers.stop();
  });
  // no kubelet: pods never become ready
  const d = deployment('stuck', 'v1', { replicas: 1 });
  d.spec!.progressDeadlineSeconds = 1;
  await ctx.client.create(R.deployments, d);
  await waitFor(() => ctx.client.peek<Deployment>(R.deployments, 'stuck', 'default')?.status?.conditions?.find((c) => c.type === 'Progressing')?.reason === 'ProgressDeadlineExceeded', 'deadline exceeded', 5000);
  const cond = ctx.client.peek<Deployment>(R.deployments, 'stuck', 'default')!.status!.conditions!.find((c) => c.type === 'Progressing')!;
  assert.equal(cond.status, 'False');
  assert.match(cond.message!, /has timed out progressing/);
});
