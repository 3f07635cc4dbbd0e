/**
 * A 1,000-replica Deployment fully created (objects only): the time from creating the
 * Deployment to 1,000 pods existing (seen by a watcher) and the ReplicaSet reporting them in
 * status — beside the reference of this client creating 1,000 pods itself at concurrency 64
 * against the same server in the same run.
 *
 *   npx tsx bench/controllers/deployment-scale.ts        (REPLICAS=1000)
 */
import os from 'node:os';
import type { Deployment, Namespace, Pod, ReplicaSet } from '../../src/api/types.js';
import { RestClient } from '../../src/client/rest-client.js';
import { R } from '../../src/controllers/shared/resources.js';
import { cleanups, pool, startControllers, startServer } from './bench-util.js';

const REPLICAS = Number(process.env.REPLICAS ?? 1000);

async function countPods(client: RestClient, ns: string, target: number, deadlineMs: number): Promise<number> {
  const seen = new Set<string>();
  const list = await client.list<Pod>(R.pods, { namespace: ns });
  for (const p of list.items) seen.add(p.metadata.name!);
  if (seen.size >= target) return Date.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${seen.size}/${target} pods after the deadline`)), deadlineMs);
    const h = client.watch<Pod>(R.pods, { namespace: ns, resourceVersion: list.metadata.resourceVersion }, {
      onEvent: (ev) => {
        if (ev.type === 'ADDED') seen.add(ev.object.metadata.name!);
        if (seen.size >= target) {
          clearTimeout(timer);
          h.stop();
          resolve(Date.now());
        }
      },
      onClose: (err) => err && reject(err),
    });
  });
}

async function main(): Promise<void> {
  const c = cleanups();
  try {
    console.log(`load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}, ${os.cpus().length} cpus`);
    const server = await startServer(c);
    const client = await RestClient.fromKubeconfig(server.kubeconfig);
    c.after(() => client.close());
    for (const name of ['ref', 'deploy']) await client.create<Namespace>(R.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    // Reference: this client creates REPLICAS pods itself.
    const template = { metadata: { labels: { app: 'big' } }, spec: { containers: [{ name: 'c', image: 'x' }] } };
    const r0 = Date.now();
    await pool(REPLICAS, 64, async (i) => {
      await client.create<Pod>(R.pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: `ref-${i}`, namespace: 'ref', labels: { app: 'ref' } }, spec: template.spec });
    });
    const refMs = Date.now() - r0;
    console.log(`reference: ${REPLICAS} pods created directly (concurrency 64) in ${refMs} ms`);
    startControllers(c, server.kubeconfig, ['--controllers', 'deployment,replicaset', '--no-scheduler']);
    // Let the controllers sync their (empty) caches first, so process start-up is not counted.
    await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; ; i++) {
      const probe = await client.create<ReplicaSet>(R.replicaSets, { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: `probe-${i}`, namespace: 'ref' }, spec: { replicas: 0, selector: { matchLabels: { probe: `${i}` } }, template: { metadata: { labels: { probe: `${i}` } }, spec: template.spec } } });
      await new Promise((r) => setTimeout(r, 250));
      const got = await client.get<ReplicaSet>(R.replicaSets, probe.metadata.name!, 'ref');
      if (got.status?.observedGeneration === 1) break;
      if (i > 240) throw new Error('controllers did not start');
    }
    const d0 = Date.now();
    const podsDone = countPods(client, 'deploy', REPLICAS, 120_000);
    await client.create<Deployment>(R.deployments, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'big', namespace: 'deploy' }, spec: { replicas: REPLICAS, selector: { matchLabels: { app: 'big' } }, template } });
    const podsAt = await podsDone;
    let statusAt = 0;
    for (const deadline = Date.now() + 120_000; Date.now() < deadline; ) {
      const rs = (await client.list<ReplicaSet>(R.replicaSets, { namespace: 'deploy' })).items[0];
      if (rs?.status?.replicas === REPLICAS) {
        statusAt = Date.now();
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    const podsMs = podsAt - d0;
    const statusMs = statusAt - d0;
    console.log('');
    console.log(`| what | ms |`);
    console.log(`|---|---|`);
    console.log(`| Deployment of ${REPLICAS} replicas: all pods created (watcher) (ours) | ${podsMs} |`);
    console.log(`| ... and ReplicaSet status.replicas = ${REPLICAS} (ours) | ${statusMs} |`);
    console.log(`| ${REPLICAS} pods created directly by one client, concurrency 64 (reference) | ${refMs} |`);
    console.log(`ratio ${(podsMs / refMs).toFixed(2)}x of direct creation; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  } finally {
    await c.run();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
