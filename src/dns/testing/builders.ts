/** Object builders for DNS tests and benchmarks (only the fields DNS reads). */
import type { EndpointSlice, Pod, Service, ServicePort } from '../../api/types.js';

export function clusterIPService(ns: string, name: string, ips: string[], ports: ServicePort[] = []): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { namespace: ns, name }, spec: { type: 'ClusterIP', clusterIP: ips[0], clusterIPs: ips, ports } };
}

export function headlessService(ns: string, name: string, ports: ServicePort[] = [], publishNotReadyAddresses = false): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { namespace: ns, name }, spec: { clusterIP: 'None', clusterIPs: ['None'], ports, publishNotReadyAddresses } };
}

export function externalNameService(ns: string, name: string, externalName: string): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { namespace: ns, name }, spec: { type: 'ExternalName', externalName } };
}

export interface EndpointSpec {
  ip: string;
  ready?: boolean;
  hostname?: string;
}

export function endpointSlice(
  ns: string,
  service: string,
  endpoints: EndpointSpec[],
  ports: { name?: string; port: number; protocol?: 'TCP' | 'UDP' | 'SCTP' }[] = [],
  sliceName = `${service}-abc`,
): EndpointSlice {
  const v6 = endpoints.some((e) => e.ip.includes(':'));
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace: ns, name: sliceName, labels: { 'kubernetes.io/service-name': service } },
    addressType: v6 ? 'IPv6' : 'IPv4',
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: e.ready === undefined ? {} : { ready: e.ready },
      ...(e.hostname ? { hostname: e.hostname } : {}),
    })),
    ports: ports.map((p) => ({ ...(p.name ? { name: p.name } : {}), port: p.port, protocol: p.protocol ?? 'TCP' })),
  };
}

export function pod(ns: string, name: string, ip: string): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { namespace: ns, name }, spec: { containers: [] }, status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] } } as Pod;
}
