import type { EndpointInfo, ServicePortInfo } from './types.js';

/**
 * Kubernetes' endpoint choice: the ready endpoints; when none is ready, the ones that are
 * serving and terminating (so connections drain during a rollout instead of failing).
 */
export function usableEndpoints(endpoints: readonly EndpointInfo[]): EndpointInfo[] {
  const ready = endpoints.filter((e) => e.ready);
  if (ready.length > 0) return ready;
  return endpoints.filter((e) => e.serving && e.terminating);
}

export interface CategorizedEndpoints {
  clusterEndpoints: EndpointInfo[];
  externalEndpoints: EndpointInfo[];
  localEndpointCount: number;
}

/** The fallback is computed separately for the cluster-wide and the node-local set. */
export function categorizeEndpoints(info: ServicePortInfo, endpoints: readonly EndpointInfo[]): CategorizedEndpoints {
  const all = usableEndpoints(endpoints);
  const local = usableEndpoints(endpoints.filter((e) => e.isLocal));
  return {
    clusterEndpoints: info.internalPolicyLocal ? local : all,
    externalEndpoints: info.externalPolicyLocal ? local : all,
    localEndpointCount: local.length,
  };
}
