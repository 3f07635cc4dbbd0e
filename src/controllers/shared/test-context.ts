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
