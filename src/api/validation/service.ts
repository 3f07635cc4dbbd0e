/** Service validation (core/v1 rules and wording). Expects defaults applied first. */
import type { Service, ServicePort } from '../types.js';
import { arr, child, fieldErrors as fe, index, type FieldError } from './field-errors.js';
import { INVALID_IP_MESSAGE, isDNS1123Label, isIP, isIPv4, isQualifiedName, isValidPortNum } from './names.js';
import { validateLabels } from './object-meta.js';
import { validatePortNumOrName, validateDNS1123Subdomain } from './pod.js';

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const AFFINITIES = ['ClientIP', 'None'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const TRAFFIC_POLICIES = ['Cluster', 'Local'];
const IP_FAMILY_POLICIES = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];
export const MAX_CLIENT_IP_AFFINITY_SECONDS = 86400;

export function isHeadless(svc: Service): boolean {
  return svc.spec?.clusterIP === 'None';
}

function externallyAccessible(svc: Service): boolean {
  const t = svc.spec?.type;
  return t === 'LoadBalancer' || t === 'NodePort' || (t === 'ClusterIP' && (svc.spec?.externalIPs?.length ?? 0) > 0);
}

function goServicePort(p: Pick<ServicePort, 'protocol' | 'port'>): string {
  return `core.ServicePort{Name:"", Protocol:${JSON.stringify(p.protocol ?? '')}, AppProtocol:(*string)(nil), Port:${p.port}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`;
}

function validateServicePort(sp: ServicePort, requireName: boolean, names: Set<string>, path: string): FieldError[] {
  const out: FieldError[] = [];
  if (requireName && !sp.name) out.push(fe.required(child(path, 'name'), ''));
  else if (sp.name) {
    for (const m of isDNS1123Label(sp.name)) out.push(fe.invalid(child(path, 'name'), sp.name, m));
    if (names.has(sp.name)) out.push(fe.duplicate(child(path, 'name'), sp.name));
    else names.add(sp.name);
  }
  for (const m of isValidPortNum(sp.port)) out.push(fe.invalid(child(path, 'port'), sp.port ?? 0, m));
  if (!sp.protocol) out.push(fe.required(child(path, 'protocol'), ''));
  else if (!PROTOCOLS.includes(sp.protocol)) out.push(fe.notSupported(child(path, 'protocol'), sp.protocol, PROTOCOLS));
  out.push(...validatePortNumOrName(sp.targetPort, child(path, 'targetPort')));
  if (sp.appProtocol !== undefined) for (const m of isQualifiedName(sp.appProtocol)) out.push(fe.invalid(child(path, 'appProtocol'), sp.appProtocol, m));
  if (sp.nodePort !== undefined && sp.nodePort !== 0) for (const m of isValidPortNum(sp.nodePort)) out.push(fe.invalid(child(path, 'nodePort'), sp.nodePort, m));
  return out;
}

export function validateService(svc: Service): FieldError[] {
  const out: FieldError[] = [];
  const spec = svc.spec;
  if (!spec || typeof spec !== 'object') return [fe.required('spec', '')];
  const headless = isHeadless(svc);
  const ports = arr(spec.ports);
  const clusterIPs = spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : []);

  if (ports.length === 0 && !headless && spec.type !== 'ExternalName') out.push(fe.required('spec.ports', ''));
  switch (spec.type) {
    case 'LoadBalancer':
      if (headless) out.push(fe.invalid('spec.clusterIPs[0]', clusterIPs[0], "may not be set to 'None' for LoadBalancer services"));
      break;
    case 'NodePort':
      if (headless) out.push(fe.invalid('spec.clusterIPs[0]', clusterIPs[0], "may not be set to 'None' for NodePort services"));
      break;
    case 'ExternalName': {
      if (clusterIPs.length > 0) out.push(fe.forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
      if ((spec.ipFamilies?.length ?? 0) > 0) out.push(fe.forbidden('spec.ipFamilies', 'may not be set for ExternalName services'));
      if (spec.ipFamilyPolicy !== undefined) out.push(fe.forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
      const cname = (spec.externalName ?? '').replace(/\.$/, '');
      if (cname.length > 0) out.push(...validateDNS1123Subdomain(cname, 'spec.externalName'));
      else out.push(fe.required('spec.externalName', ''));
      break;
    }
  }

  const names = new Set<string>();
  ports.forEach((p, i) => out.push(...validateServicePort(p, ports.length > 1, names, index('spec.ports', i))));

  if (spec.selector !== undefined && spec.selector !== null) out.push(...validateLabels(spec.selector, 'spec.selector'));

  if (!spec.sessionAffinity) out.push(fe.required('spec.sessionAffinity', ''));
  else if (!AFFINITIES.includes(spec.sessionAffinity)) out.push(fe.notSupported('spec.sessionAffinity', spec.sessionAffinity, AFFINITIES));
  if (spec.sessionAffinity === 'ClientIP') {
    const cfg = spec.sessionAffinityConfig;
    const p = 'spec.sessionAffinityConfig';
    if (!cfg) out.push(fe.required(p, 'when session affinity type is ClientIP'));
    else if (!cfg.clientIP) out.push(fe.required(child(p, 'clientIP'), 'when session affinity type is ClientIP'));
    else if (cfg.clientIP.timeoutSeconds === undefined) out.push(fe.required(child(p, 'clientIP', 'timeoutSeconds'), 'when session affinity type is ClientIP'));
    else {
      const t = cfg.clientIP.timeoutSeconds;
      if (!(t > 0 && t <= MAX_CLIENT_IP_AFFINITY_SECONDS)) {
        out.push(fe.invalid(child(p, 'clientIP', 'timeoutSeconds'), t, `must be greater than 0 and less than ${MAX_CLIENT_IP_AFFINITY_SECONDS}`));
      }
    }
  } else if (spec.sessionAffinity === 'None' && spec.sessionAffinityConfig) {
    out.push(fe.forbidden('spec.sessionAffinityConfig', 'must not be set when session affinity is None'));
  }

  // clusterIP / clusterIPs
  if (spec.clusterIP && spec.clusterIPs && spec.clusterIPs.length > 0 && spec.clusterIPs[0] !== spec.clusterIP) {
    out.push(fe.invalid('spec.clusterIPs', spec.clusterIPs, 'first value must match `clusterIP`'));
  }
  if (clusterIPs.length > 2) out.push(fe.invalid('spec.clusterIPs', clusterIPs, 'may only hold up to 2 values'));
  clusterIPs.forEach((ip, i) => {
    if (i === 0 && ip === 'None') {
      if (clusterIPs.length > 1) out.push(fe.invalid('spec.clusterIPs', clusterIPs, "'None' must be the first and only value"));
      return;
    }
    if (!isIP(ip)) out.push(fe.invalid(index('spec.clusterIPs', i), ip, INVALID_IP_MESSAGE));
  });
  arr(spec.ipFamilies).forEach((f, i) => {
    if (f !== 'IPv4' && f !== 'IPv6') out.push(fe.notSupported(index('spec.ipFamilies', i), f, ['IPv4', 'IPv6']));
  });
  if (spec.ipFamilyPolicy !== undefined && !IP_FAMILY_POLICIES.includes(spec.ipFamilyPolicy)) {
    out.push(fe.notSupported('spec.ipFamilyPolicy', spec.ipFamilyPolicy, IP_FAMILY_POLICIES));
  }

  arr(spec.externalIPs).forEach((ip, i) => {
    if (!isIP(ip)) out.push(fe.invalid(index('spec.externalIPs', i), ip, INVALID_IP_MESSAGE));
    else if (ip === '0.0.0.0' || ip === '::' || ip.startsWith('127.') || ip === '::1' || (isIPv4(ip) && ip.startsWith('169.254.')) || ip.startsWith('224.')) {
      out.push(fe.invalid(index('spec.externalIPs', i), ip, 'may not be unspecified, loopback, link-local or multicast'));
    }
  });
  if (spec.loadBalancerIP && !isIP(spec.loadBalancerIP)) out.push(fe.invalid('spec.loadBalancerIP', spec.loadBalancerIP, INVALID_IP_MESSAGE));

  if (!spec.type) out.push(fe.required('spec.type', ''));
  else if (!SERVICE_TYPES.includes(spec.type)) out.push(fe.notSupported('spec.type', spec.type, SERVICE_TYPES));

  if (spec.type === 'ClusterIP') {
    ports.forEach((p, i) => {
      if (p.nodePort) out.push(fe.forbidden(child(index('spec.ports', i), 'nodePort'), "may not be used when `type` is 'ClusterIP'"));
    });
  }
  const nodePorts = new Set<string>();
  ports.forEach((p, i) => {
    if (!p.nodePort) return;
    const k = `${p.protocol}/${p.nodePort}`;
    if (nodePorts.has(k)) out.push(fe.duplicate(child(index('spec.ports', i), 'nodePort'), p.nodePort));
    nodePorts.add(k);
  });
  const seen = new Set<string>();
  ports.forEach((p, i) => {
    const k = `${p.protocol}/${p.port}`;
    if (seen.has(k)) out.push(fe.duplicateRaw(index('spec.ports', i), goServicePort(p)));
    seen.add(k);
  });

  // Traffic policies.
  if (!externallyAccessible(svc)) {
    if (spec.externalTrafficPolicy) out.push(fe.invalid('spec.externalTrafficPolicy', spec.externalTrafficPolicy, 'may only be set for externally-accessible services'));
  } else if (!spec.externalTrafficPolicy) {
    out.push(fe.required('spec.externalTrafficPolicy', ''));
  } else if (!TRAFFIC_POLICIES.includes(spec.externalTrafficPolicy)) {
    out.push(fe.notSupported('spec.externalTrafficPolicy', spec.externalTrafficPolicy, TRAFFIC_POLICIES));
  }
  const needsHealthCheck = spec.type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local';
  if (!needsHealthCheck) {
    if (spec.healthCheckNodePort) {
      out.push(fe.invalid('spec.healthCheckNodePort', spec.healthCheckNodePort, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
    }
  } else if (spec.healthCheckNodePort) {
    // Required in Kubernetes once allocated; Skiff's allocator fills it, so absence is not an error here.
    for (const m of isValidPortNum(spec.healthCheckNodePort)) out.push(fe.invalid('spec.healthCheckNodePort', spec.healthCheckNodePort, m));
  }
  if (spec.internalTrafficPolicy === undefined) {
    if (spec.type !== 'ExternalName') out.push(fe.required('spec.internalTrafficPolicy', ''));
  } else if (!TRAFFIC_POLICIES.includes(spec.internalTrafficPolicy)) {
    out.push(fe.notSupported('spec.internalTrafficPolicy', spec.internalTrafficPolicy, TRAFFIC_POLICIES));
  }
  return out;
}

/** clusterIPs may not change once set, unless moving to or from ExternalName. */
export function validateServiceUpdate(svc: Service, old: Service): FieldError[] {
  const out: FieldError[] = [];
  if (svc.spec?.type === 'ExternalName' || old.spec?.type === 'ExternalName') return out;
  const n = svc.spec?.clusterIPs ?? (svc.spec?.clusterIP ? [svc.spec.clusterIP] : []);
  const o = old.spec?.clusterIPs ?? (old.spec?.clusterIP ? [old.spec.clusterIP] : []);
  if (o.length === 0) return out;
  const common = Math.min(n.length, o.length);
  for (let i = 0; i < common; i++) {
    if (n[i] !== o[i]) {
      out.push(fe.invalid('spec.clusterIPs[0]', n, 'may not change once set'));
      return out;
    }
  }
  if (n.length === 0) out.push(fe.invalid('spec.clusterIPs[0]', n, 'may not change once set'));
  return out;
}
