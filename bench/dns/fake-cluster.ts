/** Synthetic cluster data for DNS benchmarks: N ClusterIP Services (+ slices, pods). */
import type { EndpointSlice, Pod, Service } from '../../src/api/types.js';
import { FakeInformer } from '../../src/dns/testing/fake-informer.js';
import { clusterIPService, endpointSlice, pod } from '../../src/dns/testing/builders.js';

export const NAMESPACES = 10;

export function serviceName(i: number): { ns: string; name: string; fqdn: string; ip: string } {
  const ns = `ns${i % NAMESPACES}`;
  const name = `svc${i}`;
  // 198.19.0.0/17 test service range: up to 32k services.
  const ip = `198.19.${(i >> 8) & 127}.${i & 255}`;
  return { ns, name, fqdn: `${name}.${ns}.svc.cluster.local`, ip };
}

export interface FakeCluster {
  services: FakeInformer<Service>;
  endpointSlices: FakeInformer<EndpointSlice>;
  pods: FakeInformer<Pod>;
}

export function newInformers(keepObjects = true): FakeCluster {
  const c = { services: new FakeInformer<Service>({ synced: true }), endpointSlices: new FakeInformer<EndpointSlice>({ synced: true }), pods: new FakeInformer<Pod>({ synced: true }) };
  c.services.keepObjects = keepObjects;
  c.endpointSlices.keepObjects = keepObjects;
  c.pods.keepObjects = keepObjects;
  return c;
}

/** `podsPerService` pods each, as ready endpoints in one slice per Service; pod IPs in 198.18.0.0/16 and up. */
export function populate(c: FakeCluster, services: number, podsPerService = 0): void {
  let podIndex = 0;
  for (let i = 0; i < services; i++) {
    const s = serviceName(i);
    c.services.apply(clusterIPService(s.ns, s.name, [s.ip], [{ name: 'http', port: 80, protocol: 'TCP' }]));
    if (podsPerService === 0) continue;
    const eps = [];
    for (let p = 0; p < podsPerService; p++, podIndex++) {
      const ip = `198.${18 + (podIndex >> 16)}.${(podIndex >> 8) & 255}.${podIndex & 255}`;
      c.pods.apply(pod(s.ns, `${s.name}-${p}`, ip));
      eps.push({ ip, ready: true });
    }
    c.endpointSlices.apply(endpointSlice(s.ns, s.name, eps, [{ name: 'http', port: 8080 }]));
  }
}
