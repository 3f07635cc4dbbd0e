/**
 * Controllers and scheduler against a real `skiff server` process (sqlite): pods are plain
 * objects whose status a simulated agent (cluster-sim.ts) sets the way a node agent would.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Deployment, EndpointSlice, Endpoints, Namespace, Node, Pod, ReplicaSet, ReplicationController, Service } from '../../../src/api/types.js';
import { isInvalid, isNotFound } from '../../../src/api/status-error.js';
import { isPodReady } from '../../../src/controllers/shared/pod-util.js';
import { R } from '../../../src/controllers/shared/resources.js';
import { kubectlFor, kubectlPath } from '../harness/kubectl.js';
import { pollUntil } from '../harness/poll.js';
import { tempDir } from '../harness/tmp.js';
import { startCluster } from './cluster-sim.js';

const readyIps = async (c: Awaited<ReturnType<typeof startCluster>>, ns: string, svc: string) => {
  const slices = await c.client.list<EndpointSlice>(R.endpointSlices, { namespace: ns, labelSelector: `kubernetes.io/service-name=${svc}` });
  return slices.items.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready).map((e) => e.addresses[0]).sort();
};

test('e2e controllers: services, endpoints, scheduler, replication controllers, namespaces, validation', async (t) => {
  const c = await startCluster(t);
  await c.addNode('node-a');
  await c.addNode('node-b');
  const ns = 'svc-test';
  await c.client.create<Namespace>(R.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });

  await t.test('a Service with 3 pods gets 3 ready endpoints; an unready pod leaves at once; named ports; headless hostnames', async () => {
    await c.client.create<Service>(R.services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: ns },
      spec: { clusterIP: 'None', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'web-port' }] },
    });
    for (let i = 0; i < 3; i++) {
      await c.client.create<Pod>(R.pods, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `web-${i}`, namespace: ns, labels: { app: 'web' } },
        spec: { hostname: `web-${i}`, subdomain: 'web', containers: [{ name: 'c', image: 'serve-hostname', ports: [{ name: 'web-port', containerPort: 9376 + i }] }] },
      });
    }
    await pollUntil(async () => (await readyIps(c, ns, 'web')).length === 3, { what: '3 ready endpoints', timeoutMs: 15_000 });
    const slices = (await c.client.list<EndpointSlice>(R.endpointSlices, { namespace: ns, labelSelector: 'kubernetes.io/service-name=web' })).items;
    const eps = slices.flatMap((s) => s.endpoints.map((e) => ({ e, port: s.ports?.[0]?.port })));
    assert.deepEqual(eps.map((x) => x.port).sort(), [9376, 9377, 9378], 'named targetPort resolved per pod');
    assert.deepEqual(eps.map((x) => x.e.hostname).sort(), ['web-0', 'web-1', 'web-2']);
    assert.ok(eps.every((x) => x.e.nodeName === 'node-a' || x.e.nodeName === 'node-b'), 'scheduled onto the nodes');
    assert.equal(new Set(eps.map((x) => x.e.nodeName)).size, 2, 'a Service\'s pods are spread over both nodes');
    assert.equal(slices[0].metadata.labels?.['endpointslice.kubernetes.io/managed-by'], 'endpointslice-controller.k8s.io');
    const legacy = await c.client.get<Endpoints>(R.endpoints, 'web', ns);
    assert.equal(legacy.subsets?.flatMap((s) => s.addresses ?? []).length, 3);
    // web-1 turns unready
    const p1 = await c.client.get<Pod>(R.pods, 'web-1', ns);
    const before = Date.now();
    await c.client.update(R.pods, { ...p1, status: { ...p1.status, conditions: p1.status!.conditions!.map((x) => (x.type === 'Ready' ? { ...x, status: 'False' } : x)) } }, { subresource: 'status' });
    await pollUntil(async () => (await readyIps(c, ns, 'web')).length === 2, { what: 'web-1 out of the ready set', intervalMs: 5 });
    const tookMs = Date.now() - before;
    assert.ok(tookMs < 2000, `took ${tookMs} ms`);
    await pollUntil(async () => (await c.client.get<Endpoints>(R.endpoints, 'web', ns)).subsets?.some((s) => s.notReadyAddresses?.length === 1), { what: 'legacy notReadyAddresses' });
  });

  await t.test('a selector-less Service keeps its user-written Endpoints, mirrored into an EndpointSlice', async () => {
    await c.client.create<Service>(R.services, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'external-db', namespace: ns }, spec: { ports: [{ name: 'sql', port: 5432 }] } });
    await c.client.create<Endpoints>(R.endpoints, { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'external-db', namespace: ns }, subsets: [{ addresses: [{ ip: '198.18.200.1' }], ports: [{ name: 'sql', port: 5432 }] }] });
    await pollUntil(async () => (await readyIps(c, ns, 'external-db')).join() === '198.18.200.1', { what: 'mirrored slice' });
    const ep = await c.client.get<Endpoints>(R.endpoints, 'external-db', ns);
    assert.equal(ep.subsets?.[0]?.addresses?.[0]?.ip, '198.18.200.1', 'the endpoints controller leaves it alone');
  });

  await t.test('a pod that fits nowhere stays Pending with PodScheduled=False and an event', async () => {
    await c.client.create<Pod>(R.pods, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'huge', namespace: ns },
      spec: { nodeSelector: { disk: 'ssd' }, containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '64' } } }] },
    });
    const pod = await pollUntil(async () => {
      const p = await c.client.get<Pod>(R.pods, 'huge', ns);
      return p.status?.conditions?.some((x) => x.type === 'PodScheduled' && x.status === 'False') ? p : undefined;
    }, { what: 'Unschedulable condition' });
    const cond = pod.status!.conditions!.find((x) => x.type === 'PodScheduled')!;
    assert.equal(cond.reason, 'Unschedulable');
    assert.equal(cond.message, "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.");
    await pollUntil(async () => (await c.client.list(R.events, { namespace: ns })).items.some((e) => e.reason === 'FailedScheduling'), { what: 'FailedScheduling event' });
  });

  await t.test('ReplicationController (equality selector) and ReplicaSet (set-based selector) keep their replicas', async () => {
    await c.client.create<ReplicationController>(R.replicationControllers, {
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name: 'rc', namespace: ns },
      spec: { replicas: 2, selector: { app: 'rc' }, template: { metadata: { labels: { app: 'rc' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
    });
    await c.client.create<ReplicaSet>(R.replicaSets, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'rs', namespace: ns },
      spec: { replicas: 3, selector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }] }, template: { metadata: { labels: { tier: 'b' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
    });
    await pollUntil(async () => (await c.client.get<ReplicationController>(R.replicationControllers, 'rc', ns)).status?.readyReplicas === 2, { what: 'rc ready', timeoutMs: 15_000 });
    await pollUntil(async () => (await c.client.get<ReplicaSet>(R.replicaSets, 'rs', ns)).status?.readyReplicas === 3, { what: 'rs ready', timeoutMs: 15_000 });
    const victim = (await c.client.list<Pod>(R.pods, { namespace: ns, labelSelector: 'app=rc' })).items[0];
    await c.client.delete(R.pods, victim.metadata.name!, ns);
    await pollUntil(async () => {
      const pods = (await c.client.list<Pod>(R.pods, { namespace: ns, labelSelector: 'app=rc' })).items;
      return pods.length === 2 && pods.every((p) => p.metadata.name !== victim.metadata.name && isPodReady(p));
    }, { what: 'rc replaced its pod', timeoutMs: 15_000 });
  });

  await t.test('a Deployment whose selector does not match its template labels is rejected with 422', async () => {
    await assert.rejects(
      c.client.create<Deployment>(R.deployments, {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'bad', namespace: ns },
        spec: { selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'y' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
      }),
      (e) => isInvalid(e) && /selector/.test((e as Error).message),
    );
  });

  await t.test('deleting a namespace deletes everything in it, then the namespace', async () => {
    await c.client.delete(R.namespaces, ns);
    await pollUntil(async () => {
      try {
        await c.client.get<Namespace>(R.namespaces, ns);
        return false;
      } catch (e) {
        return isNotFound(e);
      }
    }, { what: 'namespace gone', timeoutMs: 20_000 });
    assert.equal((await c.client.list(R.pods, { namespace: ns })).items.length, 0);
    assert.equal((await c.client.list(R.services, { namespace: ns })).items.length, 0);
  });
});

test('e2e deployment: rolling update keeps ≥ replicas - maxUnavailable ready; kubectl rollout status / undo', async (t) => {
  const c = await startCluster(t, { readyDelayMs: 150 });
  await c.addNode('node-a');
  const ns = 'default';
  const deployment: Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'pay', namespace: ns },
    spec: {
      replicas: 4,
      selector: { matchLabels: { app: 'pay' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } },
      template: { metadata: { labels: { app: 'pay' } }, spec: { containers: [{ name: 'pay', image: 'pay:v1' }] } },
    },
  };
  await c.client.create(R.deployments, deployment);
  const rolledOut = (image: string) =>
    pollUntil(async () => {
      const d = await c.client.get<Deployment>(R.deployments, 'pay', ns);
      const pods = (await c.client.list<Pod>(R.pods, { namespace: ns, labelSelector: 'app=pay' })).items;
      return (
        (d.status?.observedGeneration ?? 0) >= (d.metadata.generation ?? 1) &&
        d.status?.updatedReplicas === 4 &&
        d.status.availableReplicas === 4 &&
        d.status.replicas === 4 &&
        pods.length === 4 &&
        pods.every((p) => p.spec?.containers[0].image === image && isPodReady(p))
      );
    }, { what: `rolled out ${image}`, timeoutMs: 20_000 });
  await rolledOut('pay:v1');
  let minReady = Infinity;
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      const pods = (await c.client.list<Pod>(R.pods, { namespace: ns, labelSelector: 'app=pay' })).items;
      minReady = Math.min(minReady, pods.filter((p) => isPodReady(p) && !p.metadata.deletionTimestamp).length);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  const kubectlPresent = !!kubectlPath();
  const kc = kubectlFor(c.server.kubeconfig, tempDir(t, 'skt-ctl-kc-'));
  if (kubectlPresent) await kc.ok(['-n', ns, 'set', 'image', 'deployment/pay', 'pay=pay:v2']);
  else await c.client.patch(R.deployments, 'pay', ns, { spec: { template: { spec: { containers: [{ name: 'pay', image: 'pay:v2' }] } } } }, 'strategic');
  if (kubectlPresent) {
    const out = await kc.ok(['-n', ns, 'rollout', 'status', 'deployment/pay', '--timeout=30s']);
    assert.match(out, /successfully rolled out/);
  }
  await rolledOut('pay:v2');
  watching = false;
  await watcher;
  assert.ok(minReady >= 3, `ready pods dipped to ${minReady}`);
  const rss = (await c.client.list<ReplicaSet>(R.replicaSets, { namespace: ns })).items;
  assert.deepEqual(rss.map((r) => r.metadata.annotations?.['deployment.kubernetes.io/revision']).sort(), ['1', '2']);
  if (!kubectlPresent) {
    t.diagnostic('kubectl not installed: rollout undo not exercised');
    return;
  }
  await kc.ok(['-n', ns, 'rollout', 'undo', 'deployment/pay']);
  const out = await kc.ok(['-n', ns, 'rollout', 'status', 'deployment/pay', '--timeout=30s']);
  assert.match(out, /successfully rolled out/);
  await rolledOut('pay:v1');
  const after = (await c.client.list<ReplicaSet>(R.replicaSets, { namespace: ns })).items;
  assert.equal(after.length, 2, 'undo reuses the v1 ReplicaSet');
  assert.equal(after.find((r) => r.spec?.template?.spec?.containers[0].image === 'pay:v1')?.metadata.annotations?.['deployment.kubernetes.io/revision'], '3');
  const history = await kc.ok(['-n', ns, 'rollout', 'history', 'deployment/pay']);
  assert.match(history, /\b2\b[\s\S]*\b3\b/);
  const describe = await kc.ok(['-n', ns, 'describe', 'deployment', 'pay']);
  assert.match(describe, /ScalingReplicaSet/, 'events shown by kubectl describe');
});

test('e2e node lifecycle: a node whose lease expires is tainted, its pods evicted and recreated elsewhere', async (t) => {
  const c = await startCluster(t, { manager: { nodeMonitorGracePeriodMs: 1500, podEvictionTimeoutMs: 2000 } });
  await c.addNode('node-a');
  await c.addNode('node-b');
  await c.client.create<Deployment>(R.deployments, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'app', namespace: 'default' },
    spec: {
      replicas: 4,
      selector: { matchLabels: { app: 'app' } },
      template: {
        metadata: { labels: { app: 'app' } },
        spec: { tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 1 }], containers: [{ name: 'c', image: 'x' }] },
      },
    },
  });
  await c.client.create<Service>(R.services, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'app', namespace: 'default' }, spec: { selector: { app: 'app' }, ports: [{ port: 80 }] } });
  await pollUntil(async () => (await readyIps(c, 'default', 'app')).length === 4, { what: '4 ready endpoints', timeoutMs: 20_000 });
  const pods = (await c.client.list<Pod>(R.pods, { namespace: 'default', labelSelector: 'app=app' })).items;
  const onA = pods.filter((p) => p.spec?.nodeName === 'node-a').map((p) => p.metadata.name);
  assert.ok(onA.length >= 1, 'spread puts pods on node-a');
  c.killNode('node-a');
  await pollUntil(async () => (await c.client.get<Node>(R.nodes, 'node-a')).spec?.taints?.some((x) => x.key === 'node.kubernetes.io/unreachable' && x.effect === 'NoExecute'), { what: 'node-a tainted', timeoutMs: 10_000 });
  assert.equal((await c.client.get<Node>(R.nodes, 'node-a')).status?.conditions?.find((x) => x.type === 'Ready')?.status, 'Unknown');
  await pollUntil(async () => (await readyIps(c, 'default', 'app')).length === 4 - onA.length, { what: 'node-a endpoints unready', timeoutMs: 5000 });
  await pollUntil(async () => {
    const now = (await c.client.list<Pod>(R.pods, { namespace: 'default', labelSelector: 'app=app' })).items.filter((p) => !p.metadata.deletionTimestamp);
    return now.length === 4 && now.every((p) => p.spec?.nodeName === 'node-b' && isPodReady(p));
  }, { what: 'pods recreated on node-b', timeoutMs: 20_000 });
  await pollUntil(async () => (await readyIps(c, 'default', 'app')).length === 4, { what: '4 ready endpoints again' });
});

test('e2e leader election: two controller managers, one leader, failover', async (t) => {
  const { startControllerManager } = await import('../../../src/controllers/manager.js');
  const { silentLogger } = await import('../../../src/util/logger.js');
  const c = await startCluster(t, { manager: { controllers: ['namespace'] } });
  const le = { leaseDurationMs: 1000, renewDeadlineMs: 800, retryPeriodMs: 100, name: 'test-election' };
  const a = await startControllerManager({ client: c.client, logger: silentLogger, controllers: ['replicaset'], leaderElection: { ...le, identity: 'a' } });
  await pollUntil(() => a.isLeader(), { what: 'a leads' });
  const b = await startControllerManager({ client: c.client, logger: silentLogger, controllers: ['replicaset'], leaderElection: { ...le, identity: 'b' } });
  t.after(() => b.stop());
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(b.isLeader(), false);
  assert.equal(b.running().length, 0, 'the standby runs no controllers');
  assert.equal(a.running().length, 1);
  await a.stop();
  await pollUntil(() => b.isLeader() && b.running().length === 1, { what: 'b takes over', timeoutMs: 5000 });
  const lease = await c.client.get(R.leases, 'test-election', 'kube-system');
  assert.equal((lease.spec as { holderIdentity?: string }).holderIdentity, 'b');
});
