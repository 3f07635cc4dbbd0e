/** Namespace, Node, ConfigMap, Secret, Endpoints, EndpointSlice, Event and Lease validation. */
import type { ConfigMap, Endpoints, EndpointSlice, Event, Lease, Namespace, Node, Secret } from '../types.js';
import { arr, child, fieldErrors as fe, index, key, type FieldError } from './field-errors.js';
import { INVALID_IP_MESSAGE, isConfigMapKey, isDNS1123Label, isDNS1123Subdomain, isIP, isIPv4, isIPv6, isQualifiedName, isValidLabelValue, isValidPortNum } from './names.js';
import { FIELD_IMMUTABLE, validateLabelName } from './object-meta.js';

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
export const MAX_CONFIG_SIZE_BYTES = 1024 * 1024;
const STANDARD_FINALIZERS = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

export function validateNamespace(ns: Namespace): FieldError[] {
  const out: FieldError[] = [];
  for (const f of arr(ns.spec?.finalizers)) {
    for (const m of isQualifiedName(f)) out.push(fe.invalid('spec.finalizers', f, m));
    if (!f.includes('/') && !STANDARD_FINALIZERS.has(f)) out.push(fe.invalid('spec.finalizers', f, 'name is neither a standard finalizer name nor is it fully qualified'));
  }
  const phase = ns.status?.phase;
  if (phase !== undefined && phase !== 'Active' && phase !== 'Terminating') out.push(fe.notSupported('status.phase', phase, ['Active', 'Terminating']));
  return out;
}

function isCIDR(v: string): boolean {
  const i = v.indexOf('/');
  if (i < 0) return false;
  const ip = v.slice(0, i);
  const bits = v.slice(i + 1);
  if (!/^\d{1,3}$/.test(bits)) return false;
  const n = Number(bits);
  return (isIPv4(ip) && n <= 32) || (isIPv6(ip) && n <= 128);
}

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

export function validateNode(node: Node): FieldError[] {
  const out: FieldError[] = [];
  const spec = node.spec ?? {};
  arr(spec.podCIDRs).forEach((c, i) => {
    if (!isCIDR(c)) out.push(fe.invalid(index('spec.podCIDRs', i), c, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'));
  });
  if ((spec.podCIDRs?.length ?? 0) > 1) {
    const fams = spec.podCIDRs!.map((c) => (c.includes(':') ? 6 : 4));
    if (new Set(fams).size !== fams.length) out.push(fe.invalid('spec.podCIDRs', spec.podCIDRs, 'may specify no more than one CIDR for each IP family'));
  }
  if (spec.podCIDR && !isCIDR(spec.podCIDR)) out.push(fe.invalid('spec.podCIDR', spec.podCIDR, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'));
  const seen = new Set<string>();
  arr(spec.taints).forEach((t, i) => {
    const ip = index('spec.taints', i);
    out.push(...validateLabelName(t.key ?? '', child(ip, 'key')));
    const ve = isValidLabelValue(t.value ?? '');
    if (ve.length) out.push(fe.invalid(child(ip, 'value'), t.value, ve.join(';')));
    if (!t.effect) out.push(fe.required(child(ip, 'effect'), ''));
    else if (!TAINT_EFFECTS.includes(t.effect)) out.push(fe.notSupported(child(ip, 'effect'), t.effect, TAINT_EFFECTS));
    const k = `${t.effect}\u0000${t.key}`;
    if (seen.has(k)) {
      out.push({ reason: 'FieldValueDuplicate', field: ip, message: `Duplicate value: ${JSON.stringify(t)}: taints must be unique by key and effect pair` });
    }
    seen.add(k);
  });
  arr(node.status?.addresses).forEach((a, i) => {
    if (!a.address) out.push(fe.required(child(index('status.addresses', i), 'address'), ''));
  });
  return out;
}

export function validateNodeUpdate(node: Node, old: Node): FieldError[] {
  const o = old.spec?.podCIDRs ?? (old.spec?.podCIDR ? [old.spec.podCIDR] : []);
  const n = node.spec?.podCIDRs ?? (node.spec?.podCIDR ? [node.spec.podCIDR] : []);
  if (o.length > 0 && JSON.stringify(o) !== JSON.stringify(n)) {
    return [fe.forbidden('spec.podCIDRs', 'node updates may not change podCIDR except from "" to valid')];
  }
  return [];
}

function validateKeys(data: Record<string, string> | undefined, path: string, out: FieldError[]): number {
  let size = 0;
  for (const [k, v] of Object.entries(data ?? {})) {
    for (const m of isConfigMapKey(k)) out.push(fe.invalid(key(path, k), k, m));
    if (typeof v !== 'string') out.push(fe.invalid(key(path, k), v, 'must be a string'));
    else size += Buffer.byteLength(v);
  }
  return size;
}

export function validateConfigMap(cm: ConfigMap): FieldError[] {
  const out: FieldError[] = [];
  let size = validateKeys(cm.data, 'data', out);
  size += validateKeys(cm.binaryData, 'binaryData', out);
  for (const k of Object.keys(cm.binaryData ?? {})) {
    if (cm.data && k in cm.data) out.push(fe.invalid(key('data', k), k, 'duplicate of key present in binaryData'));
  }
  if (size > MAX_CONFIG_SIZE_BYTES) out.push(fe.tooLong('', MAX_CONFIG_SIZE_BYTES));
  return out;
}

function immutableDataUpdate(obj: ConfigMap | Secret, old: ConfigMap | Secret): FieldError[] {
  const out: FieldError[] = [];
  if (old.immutable === true) {
    if (obj.immutable !== true) out.push(fe.forbidden('immutable', 'field is immutable when `immutable` is set'));
    if (JSON.stringify(obj.data ?? {}) !== JSON.stringify(old.data ?? {})) out.push(fe.forbidden('data', 'field is immutable when `immutable` is set'));
    const ob = (obj as ConfigMap).binaryData;
    const oo = (old as ConfigMap).binaryData;
    if (JSON.stringify(ob ?? {}) !== JSON.stringify(oo ?? {})) out.push(fe.forbidden('binaryData', 'field is immutable when `immutable` is set'));
  }
  return out;
}

export const validateConfigMapUpdate = (cm: ConfigMap, old: ConfigMap): FieldError[] => immutableDataUpdate(cm, old);

export function validateSecret(s: Secret): FieldError[] {
  const out: FieldError[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(s.data ?? {})) {
    for (const m of isConfigMapKey(k)) out.push(fe.invalid(key('data', k), k, m));
    if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 === 1) out.push(fe.invalid(key('data', k), '<secret contents redacted>', 'must be base64 encoded'));
    else size += Math.floor((v.length * 3) / 4);
  }
  if (size > MAX_CONFIG_SIZE_BYTES) out.push(fe.tooLong('data', MAX_CONFIG_SIZE_BYTES));
  const type = s.type ?? 'Opaque';
  const need = (k: string) => {
    if (!s.data || !(k in s.data)) out.push(fe.required(key('data', k), ''));
  };
  if (type === 'kubernetes.io/tls') {
    need('tls.crt');
    need('tls.key');
  } else if (type === 'kubernetes.io/ssh-auth') need('ssh-privatekey');
  else if (type === 'kubernetes.io/dockerconfigjson') need('.dockerconfigjson');
  return out;
}

export function validateSecretUpdate(s: Secret, old: Secret): FieldError[] {
  const out = immutableDataUpdate(s, old);
  if ((s.type ?? 'Opaque') !== (old.type ?? 'Opaque')) out.push(fe.invalid('type', s.type ?? '', FIELD_IMMUTABLE));
  return out;
}

export function validateEndpoints(ep: Endpoints): FieldError[] {
  const out: FieldError[] = [];
  arr(ep.subsets).forEach((ss, i) => {
    const ip = index('subsets', i);
    if ((ss.addresses?.length ?? 0) === 0 && (ss.notReadyAddresses?.length ?? 0) === 0) {
      out.push(fe.required(ip, 'must specify `addresses` or `notReadyAddresses`'));
    }
    for (const [list, name] of [
      [ss.addresses, 'addresses'],
      [ss.notReadyAddresses, 'notReadyAddresses'],
    ] as const) {
      arr(list).forEach((a, j) => {
        const ap = index(child(ip, name), j);
        // Loopback is allowed (unlike Kubernetes): Skiff's host network mode puts pods on 127.0.0.0/8.
        if (!isIP(a.ip ?? '')) out.push(fe.invalid(child(ap, 'ip'), a.ip ?? '', INVALID_IP_MESSAGE));
        if (a.hostname) for (const m of isDNS1123Label(a.hostname)) out.push(fe.invalid(child(ap, 'hostname'), a.hostname, m));
        if (a.nodeName) for (const m of isDNS1123Subdomain(a.nodeName)) out.push(fe.invalid(child(ap, 'nodeName'), a.nodeName, m));
      });
    }
    const ports = arr(ss.ports);
    ports.forEach((p, j) => {
      const pp = index(child(ip, 'ports'), j);
      if (ports.length > 1 && !p.name) out.push(fe.required(child(pp, 'name'), ''));
      else if (p.name) for (const m of isDNS1123Label(p.name)) out.push(fe.invalid(child(pp, 'name'), p.name, m));
      for (const m of isValidPortNum(p.port)) out.push(fe.invalid(child(pp, 'port'), p.port ?? 0, m));
      if (!p.protocol) out.push(fe.required(child(pp, 'protocol'), ''));
      else if (!PROTOCOLS.includes(p.protocol)) out.push(fe.notSupported(child(pp, 'protocol'), p.protocol, PROTOCOLS));
    });
  });
  return out;
}

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];

export function validateEndpointSlice(s: EndpointSlice): FieldError[] {
  const out: FieldError[] = [];
  if (!s.addressType) out.push(fe.required('addressType', ''));
  else if (!ADDRESS_TYPES.includes(s.addressType)) out.push(fe.notSupported('addressType', s.addressType, ADDRESS_TYPES));
  const eps = s.endpoints;
  if (!Array.isArray(eps)) out.push(fe.required('endpoints', ''));
  else {
    if (eps.length > 1000) out.push(fe.tooMany('endpoints', eps.length, 1000));
    eps.forEach((e, i) => {
      const ip = index('endpoints', i);
      const ap = child(ip, 'addresses');
      const addrs = arr(e.addresses);
      if (addrs.length === 0) out.push(fe.required(ap, 'must contain at least 1 address'));
      else if (addrs.length > 100) out.push(fe.tooMany(ap, addrs.length, 100));
      addrs.forEach((a, j) => {
        if (s.addressType === 'IPv4' && !isIPv4(a)) out.push(fe.invalid(index(ap, j), a, 'must be a valid IPv4 address'));
        else if (s.addressType === 'IPv6' && !isIPv6(a)) out.push(fe.invalid(index(ap, j), a, 'must be a valid IPv6 address'));
        else if (s.addressType === 'FQDN') for (const m of isDNS1123Subdomain(a)) out.push(fe.invalid(index(ap, j), a, m));
      });
      if (e.nodeName) for (const m of isDNS1123Subdomain(e.nodeName)) out.push(fe.invalid(child(ip, 'nodeName'), e.nodeName, m));
      if (e.hostname) for (const m of isDNS1123Label(e.hostname)) out.push(fe.invalid(child(ip, 'hostname'), e.hostname, m));
    });
  }
  const ports = arr(s.ports);
  if (ports.length > 20000) out.push(fe.tooMany('ports', ports.length, 20000));
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const pp = index('ports', i);
    const name = p.name ?? '';
    if (name) for (const m of isDNS1123Label(name)) out.push(fe.invalid(child(pp, 'name'), name, m));
    if (names.has(name)) out.push(fe.duplicate(child(pp, 'name'), name));
    names.add(name);
    if (!p.protocol) out.push(fe.required(child(pp, 'protocol'), ''));
    else if (!PROTOCOLS.includes(p.protocol)) out.push(fe.notSupported(child(pp, 'protocol'), p.protocol, PROTOCOLS));
    if (p.port !== undefined && p.port !== null && !(Number.isInteger(p.port) && p.port >= 0 && p.port <= 65535)) {
      out.push(fe.invalid(child(pp, 'port'), p.port, 'must be between 0 and 65535, inclusive'));
    }
  });
  return out;
}

export function validateEndpointSliceUpdate(s: EndpointSlice, old: EndpointSlice): FieldError[] {
  return s.addressType !== old.addressType ? [fe.invalid('addressType', s.addressType, FIELD_IMMUTABLE)] : [];
}

export function validateEvent(ev: Event): FieldError[] {
  const out: FieldError[] = [];
  const ns = ev.metadata?.namespace ?? '';
  const ino = ev.involvedObject?.namespace ?? '';
  if (!ev.eventTime) {
    if (ino === '') {
      if (ns !== '' && ns !== 'default') out.push(fe.invalid('involvedObject.namespace', ino, 'does not match event.namespace'));
    } else if (ns !== ino) {
      out.push(fe.invalid('involvedObject.namespace', ino, 'does not match event.namespace'));
    }
  }
  if (ev.type !== undefined && ev.type !== '' && ev.eventTime && ev.type !== 'Normal' && ev.type !== 'Warning') {
    out.push(fe.invalid('type', ev.type, 'has invalid value: ' + ev.type));
  }
  return out;
}

export function validateLease(l: Lease): FieldError[] {
  const out: FieldError[] = [];
  const s = l.spec ?? {};
  if (s.leaseDurationSeconds !== undefined && s.leaseDurationSeconds <= 0) out.push(fe.invalid('spec.leaseDurationSeconds', s.leaseDurationSeconds, 'must be greater than 0'));
  if (s.leaseTransitions !== undefined && s.leaseTransitions < 0) out.push(fe.invalid('spec.leaseTransitions', s.leaseTransitions, 'must be greater than or equal to 0'));
  return out;
}
