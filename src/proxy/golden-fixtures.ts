/** Shared desired-state fixtures for the backends' golden tests. */
import type { EndpointInfo, ServicePortState } from './types.js';

export function ep(ip: string, port = 8080, o: Partial<EndpointInfo> = {}): EndpointInfo {
  return { ip, port, ready: true, serving: true, terminating: false, nodeName: 'node-a', isLocal: true, ...o };
}

/** One service port with defaults (ClusterIP, TCP 80, no policies); `eps` become every endpoint list. */
export function servicePort(p: Partial<ServicePortState> & { name: string; eps?: EndpointInfo[] }): ServicePortState {
  const eps = p.eps ?? [];
  const s: ServicePortState = {
    id: `default/${p.name}:${p.portName ?? ''}/${p.protocol ?? 'TCP'}`,
    namespace: 'default',
    portName: '',
    protocol: 'TCP',
    port: 80,
    clusterIPs: [],
    nodePort: 0,
    loadBalancerIPs: [],
    externalIPs: [],
    affinityTimeoutSeconds: 0,
    externalPolicyLocal: false,
    internalPolicyLocal: false,
    healthCheckNodePort: 0,
    endpoints: eps,
    clusterEndpoints: eps,
    externalEndpoints: eps,
    localEndpointCount: eps.filter((e) => e.isLocal).length,
    ...p,
  };
  delete (s as { eps?: unknown }).eps;
  return s;
}

/** web: NodePort + LB, 2 endpoints; sticky: affinity 600 s; dns: UDP without endpoints; local: eTP Local with no local endpoint. */
export function fixture(): ServicePortState[] {
  return [
    servicePort({ name: 'web', clusterIPs: ['198.19.0.10'], nodePort: 30080, loadBalancerIPs: ['198.19.64.1'], eps: [ep('198.18.0.2'), ep('198.18.0.3')] }),
    servicePort({ name: 'sticky', clusterIPs: ['198.19.0.11'], affinityTimeoutSeconds: 600, eps: [ep('198.18.0.2', 9000), ep('198.18.0.4', 9000)] }),
    servicePort({ name: 'dns', protocol: 'UDP', port: 53, clusterIPs: ['198.19.0.12'] }),
    {
      ...servicePort({ name: 'local', clusterIPs: ['198.19.0.13'], nodePort: 30081, externalPolicyLocal: true, healthCheckNodePort: 32000, eps: [ep('198.18.1.2', 8080, { isLocal: false, nodeName: 'node-b' })] }),
      externalEndpoints: [],
      localEndpointCount: 0,
    },
  ];
}

/** The fixture after: web loses 198.18.0.3 and gains 198.18.0.5; dns gets an endpoint; sticky is deleted; new svc "extra". */
export function fixtureChanged(): { changes: { id: string; old?: ServicePortState; new?: ServicePortState }[]; all: ServicePortState[] } {
  const [web, sticky, dns, local] = fixture();
  const web2 = { ...web!, endpoints: [ep('198.18.0.2'), ep('198.18.0.5')], clusterEndpoints: [ep('198.18.0.2'), ep('198.18.0.5')], externalEndpoints: [ep('198.18.0.2'), ep('198.18.0.5')] };
  const dns2 = { ...dns!, endpoints: [ep('198.18.0.6', 5353)], clusterEndpoints: [ep('198.18.0.6', 5353)], externalEndpoints: [ep('198.18.0.6', 5353)] };
  const extra = servicePort({ name: 'extra', clusterIPs: ['198.19.0.14'], port: 443, eps: [ep('198.18.0.7', 8443), ep('198.18.0.8', 8443), ep('198.18.0.9', 8443)] });
  return {
    changes: [
      { id: web!.id, old: web, new: web2 },
      { id: sticky!.id, old: sticky },
      { id: dns!.id, old: dns, new: dns2 },
      { id: extra.id, new: extra },
    ],
    all: [web2, dns2, local!, extra],
  };
}
