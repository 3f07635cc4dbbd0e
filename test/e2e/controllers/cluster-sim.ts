/**
 * For controller e2e tests: a real `skiff server` (sqlite), the controller manager and the
 * scheduler in this process, and a tiny simulated node agent — it keeps Node Leases renewed,
 * gives bound pods an IP and Ready=True (after `readyDelayMs`), and finishes graceful pod
 * deletions — for nodes that are "alive". Making a node dead stops all of that for it.
 */
import type { TestContext } from 'node:test';
import type { KubeObject } from '../../../src/api/meta.js';
import type { Lease, Node, Pod } from '../../../src/api/types.js';
import { SharedInformer } from '../../../src/client/informer/shared-informer.js';
import { RestClient } from '../../../src/client/rest-client.js';
import { InformerFactory } from '../../../src/client/informer/informer-factory.js';
import { startControllerManager, type ControllerManagerOptions } from '../../../src/controllers/manager.js';
import { R } from '../../../src/controllers/shared/resources.js';
import { startScheduler } from '../../../src/scheduler/scheduler.js';
import { rfc3339, rfc3339Micro } from '../../../src/util/clock.js';
import { silentLogger } from '../../../src/util/logger.js';
import { startSkiffServer, type TestServer } from '../harness/skiff-server.js';

export interface Cluster {
  server: TestServer;
  client: RestClient;
  addNode(name: string, opts?: { cpu?: string; labels?: Record<string, string> }): Promise<void>;
  killNode(name: string): void;
  /** Pods whose readiness the simulated agent should not set (test drives it by hand). */
  manualPods: Set<string>;
  readyDelayMs: number;
}

export async function startCluster(t: Pick<TestContext, 'after'>, opts: { manager?: Partial<ControllerManagerOptions>; readyDelayMs?: number } = {}): Promise<Cluster> {
  const server = await startSkiffServer(t);
  const client = await RestClient.fromKubeconfig(server.kubeconfig);
  const informers = new InformerFactory({ client, logger: silentLogger });
  const mgr = await startControllerManager({ client, informers, logger: silentLogger, nodeMonitorPeriodMs: 200, ...opts.manager });
  const sched = await startScheduler({ client, informers, logger: silentLogger, retryBaseMs: 100, retryMaxMs: 1000 });
  informers.start();
  const alive = new Set<string>();
  const manualPods = new Set<string>();
  let ipSeq = 0;
  let stopped = false;
  const pods = new SharedInformer<Pod>({ client, resource: R.pods, logger: silentLogger });
  const cluster: Cluster = {
    server,
    client,
    manualPods,
    readyDelayMs: opts.readyDelayMs ?? 0,
    async addNode(name, o = {}) {
      const node: Node = {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name, labels: { 'kubernetes.io/hostname': name, ...o.labels } },
        spec: {},
      };
      const created = await client.create<Node>(R.nodes, node);
      const ts = rfc3339(Date.now());
      await client.update(R.nodes, {
        ...created,
        status: {
          allocatable: { cpu: o.cpu ?? '4', memory: '8Gi', pods: '110' },
          capacity: { cpu: o.cpu ?? '4', memory: '8Gi', pods: '110' },
          conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ready', lastHeartbeatTime: ts, lastTransitionTime: ts }],
          addresses: [{ type: 'InternalIP', address: `198.19.128.${alive.size + 1}` }],
        },
      } as KubeObject, { subresource: 'status' });
      await client.create<Lease>(R.leases, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: 'kube-node-lease' }, spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: rfc3339Micro(Date.now()) } });
      alive.add(name);
    },
    killNode(name) {
      alive.delete(name);
    },
  };
  const renewLoop = (async () => {
    while (!stopped) {
      for (const name of alive) {
        try {
          const l = await client.get<Lease>(R.leases, name, 'kube-node-lease');
          await client.update(R.leases, { ...l, spec: { ...l.spec, renewTime: rfc3339Micro(Date.now()) } });
        } catch {
          // next round
        }
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  const handled = new Set<string>();
  const agent = async (p: Pod) => {
    if (stopped) return;
    const node = p.spec?.nodeName;
    if (!node || !alive.has(node)) return;
    const key = `${p.metadata.namespace}/${p.metadata.name}`;
    try {
      if (p.metadata.deletionTimestamp) {
        await client.delete(R.pods, p.metadata.name!, p.metadata.namespace, { gracePeriodSeconds: 0, preconditions: { uid: p.metadata.uid } });
        return;
      }
      if (manualPods.has(p.metadata.name!) || p.status?.podIP || handled.has(key)) return;
      handled.add(key);
      if (cluster.readyDelayMs) await new Promise((r) => setTimeout(r, cluster.readyDelayMs));
      const n = ++ipSeq;
      const ip = `198.18.${Math.floor(n / 250)}.${(n % 250) + 1}`;
      const cur = await client.get<Pod>(R.pods, p.metadata.name!, p.metadata.namespace);
      if (cur.metadata.deletionTimestamp || cur.metadata.uid !== p.metadata.uid) return;
      const ts = rfc3339(Date.now());
      await client.update(R.pods, {
        ...cur,
        status: {
          ...cur.status,
          phase: 'Running',
          hostIP: '198.19.128.1',
          podIP: ip,
          podIPs: [{ ip }],
          startTime: ts,
          conditions: [
            { type: 'PodScheduled', status: 'True', lastTransitionTime: ts },
            { type: 'Initialized', status: 'True', lastTransitionTime: ts },
            { type: 'ContainersReady', status: 'True', lastTransitionTime: ts },
            { type: 'Ready', status: 'True', lastTransitionTime: ts },
          ],
        },
      }, { subresource: 'status' });
    } catch {
      handled.delete(key);
    }
  };
  pods.addEventHandler({ onAdd: (p) => void agent(p), onUpdate: (_o, p) => void agent(p) });
  pods.start();
  await pods.whenSynced();
  t.after(async () => {
    stopped = true;
    await renewLoop;
    pods.stop();
    await sched.stop();
    await mgr.stop();
    informers.stop();
    client.close();
  });
  return cluster;
}
