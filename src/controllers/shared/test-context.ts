/** Test helpers: a ControllerContext over the in-memory FakeClient, and object builders. */
import { InformerFactory } from '../../client/informer/informer-factory.js';
import { FakeClient } from '../../client/testing/fake-client.js';
import { systemClock, type Clock } from '../../util/clock.js';
import { silentLogger } from '../../util/logger.js';
import { EventRecorder } from '../../client/record/event-recorder.js';
import type { ControllerContext } from './controller-context.js';
import type { Pod, Service } from '../../api/types.js';

export function testContext(opts: { client?: FakeClient; clock?: Clock } = {}): ControllerContext & { client: FakeClient } {
  const client = opts.client ?? new FakeClient();
  const clock = opts.clock ?? systemClock;
  const informers = new InformerFactory({ client, clock, backoffBaseMs: 5 });
  return { client, informers, clock, logger: silentLogger, recorder: new EventRecorder({ client, component: 'test', clock }) };
}

export function makePod(name: string, opts: { ns?: string; labels?: Record<string, string>; ip?: string; ready?: boolean; node?: string; ports?: { name?: string; containerPort: number }[]; hostname?: string; subdomain?: string } = {}): Pod {
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: opts.ns ?? 'default', labels: opts.labels ?? {} },
    spec: { containers: [{ name: 'c', image: 'x', ports: opts.ports }], nodeName: opts.node, hostname: opts.hostname, subdomain: opts.subdomain },
  };
  if (opts.ip) {
    pod.status = {
      phase: 'Running',
      podIP: opts.ip,
      podIPs: [{ ip: opts.ip }],
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }],
    };
  }
  return pod;
}

export function makeService(name: string, opts: { ns?: string; selector?: Record<string, string>; ports?: Service['spec'] extends infer S ? S extends { ports?: infer P } ? P : never : never; headless?: boolean; publishNotReady?: boolean } = {}): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: opts.ns ?? 'default' },
    spec: {
      selector: opts.selector,
      ports: opts.ports ?? [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }],
      clusterIP: opts.headless ? 'None' : '198.19.0.10',
      publishNotReadyAddresses: opts.publishNotReady,
    },
  };
}

/**
 * Plays the node agent for tests: every pod that appears gets an IP and, after `readyDelayMs`,
 * phase Running + Ready=True; pods being deleted are removed (grace period over). Stop with the
 * returned function.
 */
export function fakeKubelet(client: import('../../client/testing/fake-client.js').FakeClient, opts: { readyDelayMs?: number } = {}): () => void {
  let stopped = false;
  let n = 0;
  const seen = new Set<string>();
  const tick = async () => {
    while (!stopped) {
      for (const p of client.objects<Pod>('pods')) {
        const key = `${p.metadata.namespace}/${p.metadata.name}`;
        if (p.metadata.deletionTimestamp) {
          await client.delete(R_PODS, p.metadata.name!, p.metadata.namespace, { gracePeriodSeconds: 0 }).catch(() => undefined);
          continue;
        }
        if (p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') || seen.has(key)) continue;
        seen.add(key);
        const ip = `198.18.${Math.floor(++n / 250)}.${(n % 250) + 1}`;
        setTimeout(() => {
          if (stopped) return;
          const cur = client.peek<Pod>('pods', p.metadata.name!, p.metadata.namespace);
          if (!cur || cur.metadata.deletionTimestamp) return;
          cur.status = { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }] };
          void client.update(R_PODS, cur, { subresource: 'status' }).catch(() => seen.delete(key));
        }, opts.readyDelayMs ?? 0);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  void tick();
  return () => {
    stopped = true;
  };
}

const R_PODS = { group: '', version: 'v1', resource: 'pods', singular: 'pod', kind: 'Pod', listKind: 'PodList', namespaced: true, shortNames: [], categories: [], subresources: [] } as import('../../api/resources.js').ResourceInfo;
