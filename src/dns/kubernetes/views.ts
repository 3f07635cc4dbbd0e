/**
 * Trimmed "view" records: only what DNS answers need from Services and EndpointSlices
 * (CoreDNS keeps the same kind of objects instead of whole API objects).
 */
import type { EndpointSlice, Service } from '../../api/types.js';
import { canonicalIP } from '../wire/ip.js';

export interface PortView {
  name: string;
  /** Lowercase: tcp / udp / sctp. */
  protocol: string;
  port: number;
}

export type ServiceKind = 'clusterip' | 'headless' | 'external';

export interface ServiceView {
  namespace: string;
  name: string;
  kind: ServiceKind;
  /** Cluster IPs (canonical text), for kind clusterip. */
  ips: string[];
  externalName: string | undefined;
  /** Named ports only (unnamed ports get no SRV). */
  ports: PortView[];
  publishNotReadyAddresses: boolean;
}

export interface EndpointView {
  addresses: string[];
  ready: boolean;
  hostname: string | undefined;
}

export interface SliceView {
  endpoints: EndpointView[];
  ports: PortView[];
}

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export function serviceView(svc: Service): ServiceView | undefined {
  const { name, namespace } = svc.metadata;
  if (!name || !namespace) return undefined;
  const spec = svc.spec ?? {};
  const ports: PortView[] = [];
  for (const p of spec.ports ?? []) {
    if (p.name) ports.push({ name: p.name.toLowerCase(), protocol: (p.protocol ?? 'TCP').toLowerCase(), port: p.port });
  }
  let kind: ServiceKind = 'clusterip';
  if (spec.type === 'ExternalName') kind = 'external';
  else if (spec.clusterIP === 'None') kind = 'headless';
  const ips: string[] = [];
  if (kind === 'clusterip') {
    const raw = spec.clusterIPs && spec.clusterIPs.length > 0 ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : [];
    for (const ip of raw) {
      const c = canonicalIP(ip);
      if (c && !ips.includes(c)) ips.push(c);
    }
  }
  return {
    namespace,
    name,
    kind,
    ips: ips.slice(),
    externalName: kind === 'external' ? spec.externalName?.replace(/\.$/, '') : undefined,
    ports: ports.slice(),
    publishNotReadyAddresses: spec.publishNotReadyAddresses === true,
  };
}

export function sliceServiceName(slice: EndpointSlice): string | undefined {
  return slice.metadata.labels?.[SERVICE_NAME_LABEL];
}

export function sliceView(slice: EndpointSlice): SliceView | undefined {
  if (slice.addressType === 'FQDN') return undefined;
  const endpoints: EndpointView[] = [];
  for (const ep of slice.endpoints ?? []) {
    const addresses: string[] = [];
    for (const a of ep.addresses ?? []) {
      const c = canonicalIP(a);
      if (c) addresses.push(c);
    }
    if (addresses.length === 0) continue;
    endpoints.push({ addresses: addresses.slice(), ready: ep.conditions?.ready !== false, hostname: ep.hostname?.toLowerCase() });
  }
  const ports: PortView[] = [];
  for (const p of slice.ports ?? []) {
    if (p.name && p.port !== undefined) ports.push({ name: p.name.toLowerCase(), protocol: (p.protocol ?? 'TCP').toLowerCase(), port: p.port });
  }
  return { endpoints: endpoints.slice(), ports: ports.slice() };
}
