import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Lease, Node, Pod } from '../../api/types.js';
import { waitFor } from '../../client/testing/wait-for.js';
import { rfc3339Micro } from '../../util/clock.js';
import { isPodReady } from '../shared/pod-util.js';
import { R } from '../shared/resources.js';
import { makePod, testContext } from '../shared/test-context.js';
import { NodeLifecycleController, UNREACHABLE_TAINT } from './node-lifecycle-controller.js';

test('node lifecycle: an expired lease → Ready Unknown, unreachable taints, pods unready at once, evicted after tolerationSeconds; recovery untaints', async (t) => {
  const ctx = testContext();
  const { client } = ctx;
  const nlc = new NodeLifecycleController(ctx, { gracePeriodMs: 300, monitorPeriodMs: 50, podEvictionTimeoutMs: 60_000 });
  await nlc.start();
  ctx.informers.start();
  let renewing = true;
  const renew = async () => {
    while (renewing) {
      const l = client.peek<Lease>(R.leases, 'n1', 'kube-node-lease')!;
      await client.update(R.leases, { ...l, spec: { ...l.spec, renewTime: rfc3339Micro(Date.now()) } });
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  t.after(async () => {
    renewing = false;
    await nlc.stop();
    ctx.informers.stop();
  });
  await client.create<Node>(R.nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, spec: {}, status: { conditions: [{ type: 'Ready', status: 'True' }] } });
  await client.create<Lease>(R.leases, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'n1', namespace: 'kube-node-lease' }, spec: { holderIdentity: 'n1', leaseDurationSeconds: 40, renewTime: rfc3339Micro(Date.now()) } });
  const quick = makePod('quick', { node: 'n1', ip: '198.18.0.1' });
  quick.spec!.tolerations = [{ key: UNREACHABLE_TAINT, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 1 }];
  await client.create(R.pods, quick);
  const patient = makePod('patient', { node: 'n1', ip: '198.18.0.2' });
  patient.spec!.tolerations = [{ operator: 'Exists' }];
  await client.create(R.pods, patient);
  const renewer = renew();
  await new Promise((r) => setTimeout(r, 600));
  assert.equal(client.peek<Node>(R.nodes, 'n1')!.status!.conditions![0].status, 'True', 'a renewing node stays Ready');
  assert.equal(client.peek<Node>(R.nodes, 'n1')!.spec?.taints, undefined);
  renewing = false;
  await renewer;
  const stoppedAt = Date.now();
  await waitFor(() => client.peek<Node>(R.nodes, 'n1')?.status?.conditions?.[0]?.status === 'Unknown', 'Ready=Unknown', 3000);
  await waitFor(() => (client.peek<Node>(R.nodes, 'n1')?.spec?.taints ?? []).length === 2, 'tainted');
  assert.deepEqual(client.peek<Node>(R.nodes, 'n1')!.spec!.taints!.map((x) => `${x.key}:${x.effect}`).sort(), [`${UNREACHABLE_TAINT}:NoExecute`, `${UNREACHABLE_TAINT}:NoSchedule`]);
  await waitFor(() => !isPodReady(client.peek<Pod>(R.pods, 'quick', 'default')!) && !isPodReady(client.peek<Pod>(R.pods, 'patient', 'default')!), 'pods unready');
  await waitFor(() => !!client.peek<Pod>(R.pods, 'quick', 'default')?.metadata.deletionTimestamp, 'quick evicted', 4000);
  assert.ok(Date.now() - stoppedAt >= 1000, 'not before its tolerationSeconds');
  assert.equal(client.peek<Pod>(R.pods, 'patient', 'default')!.metadata.deletionTimestamp, undefined, 'a pod tolerating forever stays');
  // the node comes back
  renewing = true;
  const again = renew();
  const n = client.peek<Node>(R.nodes, 'n1')!;
  await client.update(R.nodes, { ...n, status: { conditions: [{ type: 'Ready', status: 'True' }] } }, { subresource: 'status' });
  await waitFor(() => (client.peek<Node>(R.nodes, 'n1')?.spec?.taints ?? []).length === 0, 'untainted');
  renewing = false;
  await again;
});
