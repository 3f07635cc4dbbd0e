import type { Service } from '../api/types.js';
import type { L4Protocol, ServicePortInfo } from './types.js';

const DEFAULT_AFFINITY_SECONDS = 10800;

/** `namespace/name` of a Service (or of the Service an EndpointSlice belongs to). */
export function serviceKey(namespace: string | undefined, name: string | undefined): string {
  return `${namespace ?? 'default'}/${name ?? ''}`;
}

export function servicePortId(namespace: string, name: string, portName: string, protocol: string): string {
  return `${namespace}/${name}:${portName}/${protocol}`;
}

/**
 * Service → proxied ports. ExternalName and headless Services are not proxied (empty list).
 * Only IPv4 addresses are kept: Skiff's service ranges are IPv4.
 */
export function servicePortsOf(svc: Service): ServicePortInfo[] {
  const spec = svc.spec;
  if (!spec || spec.type === 'ExternalName') return [];
  const clusterIPs = (spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : []).filter(isV4);
  if (clusterIPs.length === 0 || spec.clusterIP === 'None') return [];
  const namespace = svc.metadata.namespace ?? 'default';
  const name = svc.metadata.name ?? '';
  const lbIPs =
    spec.type === 'LoadBalancer'
      ? (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '').filter(isV4)
      : [];
  const affinity =
    spec.sessionAffinity === 'ClientIP'
      ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_SECONDS)
      : 0;
  const external = spec.type === 'NodePort' || spec.type === 'LoadBalancer' || (spec.externalIPs?.length ?? 0) > 0;
  return (spec.ports ?? []).map((p) => {
    const protocol: L4Protocol = p.protocol ?? 'TCP';
    const portName = p.name ?? '';
    return {
      id: servicePortId(namespace, name, portName, protocol),
      namespace,
      name,
      portName,
      protocol,
      port: p.port,
      clusterIPs,
      nodePort: spec.type === 'NodePort' || spec.type === 'LoadBalancer' ? (p.nodePort ?? 0) : 0,
      loadBalancerIPs: lbIPs,
      externalIPs: (spec.externalIPs ?? []).filter(isV4),
      affinityTimeoutSeconds: affinity,
      externalPolicyLocal: external && spec.externalTrafficPolicy === 'Local',
      internalPolicyLocal: spec.internalTrafficPolicy === 'Local',
      healthCheckNodePort: external && spec.externalTrafficPolicy === 'Local' ? (spec.healthCheckNodePort ?? 0) : 0,
    };
  });
}

function isV4(ip: string): boolean {
  return /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(ip);
}

/**
 * Records Service changes from informer events; `takePending()` hands the changed keys to
 * the sync loop. Handlers do no work beyond recomputing the ports of one Service.
 */
export class ServiceChangeTracker {
  private readonly current = new Map<string, ServicePortInfo[]>();
  private pending = new Set<string>();

  update(oldSvc: Service | undefined, newSvc: Service | undefined): void {
    const ref = newSvc ?? oldSvc;
    if (!ref) return;
    const key = serviceKey(ref.metadata.namespace, ref.metadata.name);
    if (newSvc) this.current.set(key, servicePortsOf(newSvc));
    else this.current.delete(key);
    this.pending.add(key);
  }

  /** The ports of a Service as last seen; [] when unknown, deleted or not proxied. */
  portsOf(key: string): ServicePortInfo[] {
    return this.current.get(key) ?? [];
  }

  keys(): IterableIterator<string> {
    return this.current.keys();
  }

  takePending(): Set<string> {
    const p = this.pending;
    this.pending = new Set();
    return p;
  }
}
