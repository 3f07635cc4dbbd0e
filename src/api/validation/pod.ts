/** Pod and PodTemplate validation (core/v1 rules, Kubernetes wording). */
import type {
  Container,
  ContainerPort,
  EnvVar,
  HTTPGetAction,
  IntOrString,
  LifecycleHandler,
  Pod,
  PodSpec,
  PodTemplateSpec,
  Probe,
  ResourceRequirements,
  Toleration,
} from '../types.js';
import { arr, child, fieldErrors as fe, index, key, type FieldError } from './field-errors.js';
import {
  INVALID_IP_MESSAGE,
  isDNS1123Label,
  isDNS1123Subdomain,
  isEnvVarName,
  isIP,
  isValidPortName,
  isValidPortNum,
  isQualifiedName,
  isValidLabelValue,
} from './names.js';
import { validateAnnotations, validateLabels, validateNonnegative, IS_NEGATIVE_ERROR } from './object-meta.js';
import { compareQuantity, formatQuantity, parseQuantity, QuantityError, type ParsedQuantity } from '../quantity.js';

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

export function validatePortNumOrName(port: IntOrString | undefined, path: string): FieldError[] {
  if (typeof port === 'number') return isValidPortNum(port).map((m) => fe.invalid(path, port, m));
  if (typeof port === 'string') return isValidPortName(port).map((m) => fe.invalid(path, port, m));
  return isValidPortNum(0).map((m) => fe.invalid(path, 0, m));
}

export function validateDNS1123Label(value: string, path: string): FieldError[] {
  return isDNS1123Label(value).map((m) => fe.invalid(path, value, m));
}

export function validateDNS1123Subdomain(value: string, path: string): FieldError[] {
  return isDNS1123Subdomain(value).map((m) => fe.invalid(path, value, m));
}

function validateContainerPorts(ports: ContainerPort[] | undefined, path: string, hostNetwork: boolean): FieldError[] {
  const out: FieldError[] = [];
  const names = new Set<string>();
  arr(ports).forEach((p, i) => {
    const ip = index(path, i);
    if (p.name) {
      for (const m of isValidPortName(p.name)) out.push(fe.invalid(child(ip, 'name'), p.name, m));
      if (names.has(p.name)) out.push(fe.duplicate(child(ip, 'name'), p.name));
      names.add(p.name);
    }
    if (!p.containerPort) out.push(fe.required(child(ip, 'containerPort'), ''));
    else for (const m of isValidPortNum(p.containerPort)) out.push(fe.invalid(child(ip, 'containerPort'), p.containerPort, m));
    if (p.hostPort) for (const m of isValidPortNum(p.hostPort)) out.push(fe.invalid(child(ip, 'hostPort'), p.hostPort, m));
    if (!p.protocol) out.push(fe.required(child(ip, 'protocol'), ''));
    else if (!PROTOCOLS.includes(p.protocol)) out.push(fe.notSupported(child(ip, 'protocol'), p.protocol, PROTOCOLS));
    if (hostNetwork && p.hostPort && p.hostPort !== p.containerPort) {
      out.push(fe.invalid(child(ip, 'containerPort'), p.containerPort, 'must match `hostPort` when `hostNetwork` is true'));
    }
  });
  return out;
}

const ENV_FIELD_PATHS = [
  'metadata.annotations',
  'metadata.labels',
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];

function validateEnv(env: EnvVar[] | undefined, path: string): FieldError[] {
  const out: FieldError[] = [];
  arr(env).forEach((e, i) => {
    const ip = index(path, i);
    if (!e.name) out.push(fe.required(child(ip, 'name'), ''));
    else for (const m of isEnvVarName(e.name)) out.push(fe.invalid(child(ip, 'name'), e.name, m));
    const vf = e.valueFrom;
    if (!vf) return;
    const vfp = child(ip, 'valueFrom');
    const sources = (['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef'] as const).filter((k) => vf[k]);
    if (sources.length === 0) out.push(fe.invalid(vfp, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
    else if (sources.length > 1) out.push(fe.invalid(vfp, '', 'may not have more than one field specified at a time'));
    if (e.value) out.push(fe.invalid(vfp, '', 'may not be specified when `value` is not empty'));
    if (vf.fieldRef) {
      const fp = child(vfp, 'fieldRef');
      if (!vf.fieldRef.apiVersion) out.push(fe.required(child(fp, 'apiVersion'), ''));
      const fpath = vf.fieldRef.fieldPath;
      if (!fpath) out.push(fe.required(child(fp, 'fieldPath'), ''));
      else {
        const m = /^(metadata\.(?:labels|annotations))\[['"]?(.+?)['"]?\]$/.exec(fpath);
        if (m) {
          const errs = m[1] === 'metadata.labels' ? isQualifiedName(m[2]) : isQualifiedName(m[2].toLowerCase());
          for (const msg of errs) out.push(fe.invalid(child(fp, 'fieldPath'), m[2], msg));
        } else if (!ENV_FIELD_PATHS.includes(fpath) || fpath === 'metadata.labels' || fpath === 'metadata.annotations') {
          out.push(fe.notSupported(child(fp, 'fieldPath'), fpath, ENV_FIELD_PATHS));
        }
      }
    }
    for (const k of ['configMapKeyRef', 'secretKeyRef'] as const) {
      const ref = vf[k];
      if (ref && !ref.key) out.push(fe.required(child(vfp, k, 'key'), ''));
    }
    if (vf.resourceFieldRef && !vf.resourceFieldRef.resource) out.push(fe.required(child(vfp, 'resourceFieldRef', 'resource'), ''));
  });
  return out;
}

function validateHTTPGet(h: HTTPGetAction, path: string): FieldError[] {
  const out: FieldError[] = [];
  if (!h.path) out.push(fe.required(child(path, 'path'), ''));
  out.push(...validatePortNumOrName(h.port, child(path, 'port')));
  if (h.scheme !== undefined && h.scheme !== 'HTTP' && h.scheme !== 'HTTPS') out.push(fe.notSupported(child(path, 'scheme'), h.scheme, ['HTTP', 'HTTPS']));
  arr(h.httpHeaders).forEach((hd, i) => {
    if (!hd.name || !/^[-!#$%&'*+.^_`|~0-9A-Za-z]+$/.test(hd.name)) out.push(fe.invalid(child(index(child(path, 'httpHeaders'), i), 'name'), hd.name ?? '', 'a valid HTTP header must consist of alphanumeric characters or \'-\''));
  });
  return out;
}

/** Exactly one handler; `kinds` are the handler members allowed here. */
function validateHandler(h: LifecycleHandler & { grpc?: unknown }, path: string, kinds: readonly string[]): FieldError[] {
  const out: FieldError[] = [];
  const present = kinds.filter((k) => (h as Record<string, unknown>)[k] !== undefined && (h as Record<string, unknown>)[k] !== null);
  if (present.length === 0) return [fe.required(path, 'must specify a handler type')];
  if (present.length > 1) {
    for (const k of present.slice(1)) out.push(fe.forbidden(child(path, k), 'may not specify more than 1 handler type'));
  }
  if (h.exec !== undefined && (!h.exec.command || h.exec.command.length === 0)) out.push(fe.required(child(path, 'exec', 'command'), ''));
  if (h.httpGet) out.push(...validateHTTPGet(h.httpGet, child(path, 'httpGet')));
  if (h.tcpSocket) out.push(...validatePortNumOrName(h.tcpSocket.port, child(path, 'tcpSocket', 'port')));
  if (h.sleep && !(h.sleep.seconds >= 0)) out.push(fe.invalid(child(path, 'sleep', 'seconds'), h.sleep.seconds, IS_NEGATIVE_ERROR));
  return out;
}

function validateProbe(p: Probe | undefined, path: string, kind: 'liveness' | 'readiness' | 'startup'): FieldError[] {
  if (!p) return [];
  const out = validateHandler(p, path, ['exec', 'httpGet', 'tcpSocket', 'grpc']);
  for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold'] as const) {
    out.push(...validateNonnegative(p[f], child(path, f)));
  }
  if ((kind === 'liveness' || kind === 'startup') && p.successThreshold !== undefined && p.successThreshold !== 1) {
    out.push(fe.invalid(child(path, 'successThreshold'), p.successThreshold, 'must be 1'));
  }
  if (kind === 'readiness' && p.terminationGracePeriodSeconds !== undefined) {
    out.push(fe.invalid(child(path, 'terminationGracePeriodSeconds'), p.terminationGracePeriodSeconds, 'must not be set for readinessProbes'));
  }
  if (p.terminationGracePeriodSeconds !== undefined && p.terminationGracePeriodSeconds <= 0) {
    out.push(fe.invalid(child(path, 'terminationGracePeriodSeconds'), p.terminationGracePeriodSeconds, 'must be greater than 0'));
  }
  return out;
}

const STANDARD_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage', 'storage']);

function validateResourceName(name: string, path: string): FieldError[] {
  const out = isQualifiedName(name).map((m) => fe.invalid(path, name, m));
  if (out.length) return out;
  if (!name.includes('/') && !STANDARD_RESOURCES.has(name) && !name.startsWith('hugepages-')) {
    out.push(fe.invalid(path, name, 'must be a standard resource type or fully qualified'));
  }
  return out;
}

function quantityOf(v: unknown, path: string, out: FieldError[]): ParsedQuantity | undefined {
  try {
    return parseQuantity(v as string | number);
  } catch (e) {
    out.push(fe.invalid(path, v, e instanceof QuantityError ? e.message : String(e)));
    return undefined;
  }
}

export function validateResourceRequirements(r: ResourceRequirements | undefined, path: string): FieldError[] {
  const out: FieldError[] = [];
  if (!r) return out;
  const limits = new Map<string, ParsedQuantity>();
  for (const [name, v] of Object.entries(r.limits ?? {})) {
    const p = key(child(path, 'limits'), name);
    out.push(...validateResourceName(name, p));
    const q = quantityOf(v, p, out);
    if (!q) continue;
    if (q.negative) out.push(fe.invalid(p, formatQuantity(q), IS_NEGATIVE_ERROR));
    limits.set(name, q);
  }
  for (const [name, v] of Object.entries(r.requests ?? {})) {
    const p = key(child(path, 'requests'), name);
    out.push(...validateResourceName(name, p));
    const q = quantityOf(v, p, out);
    if (!q) continue;
    if (q.negative) out.push(fe.invalid(p, formatQuantity(q), IS_NEGATIVE_ERROR));
    const lim = limits.get(name);
    // Kubernetes reports this one on `requests` itself, with canonical quantities.
    if (lim && compareQuantity(q, lim) > 0) {
      out.push(fe.invalid(child(path, 'requests'), formatQuantity(q), `must be less than or equal to ${name} limit of ${formatQuantity(lim)}`));
    }
  }
  return out;
}

function validateContainer(c: Container, path: string, opts: { hostNetwork: boolean; init: boolean }): FieldError[] {
  const out: FieldError[] = [];
  if (!c.image || !c.image.trim()) out.push(fe.required(child(path, 'image'), ''));
  else if (c.image !== c.image.trim()) out.push(fe.invalid(child(path, 'image'), c.image, 'must not have leading or trailing whitespace'));
  out.push(...validateContainerPorts(c.ports, child(path, 'ports'), opts.hostNetwork));
  out.push(...validateEnv(c.env, child(path, 'env')));
  out.push(...validateResourceRequirements(c.resources, child(path, 'resources')));
  const sidecar = opts.init && c.restartPolicy === 'Always';
  if (opts.init && !sidecar) {
    for (const p of ['livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle'] as const) {
      if (c[p]) out.push(fe.forbidden(child(path, p), `may not be set for init containers without restartPolicy=Always`));
    }
  } else {
    out.push(...validateProbe(c.livenessProbe, child(path, 'livenessProbe'), 'liveness'));
    out.push(...validateProbe(c.readinessProbe, child(path, 'readinessProbe'), 'readiness'));
    out.push(...validateProbe(c.startupProbe, child(path, 'startupProbe'), 'startup'));
    if (c.lifecycle?.postStart) out.push(...validateHandler(c.lifecycle.postStart, child(path, 'lifecycle', 'postStart'), ['exec', 'httpGet', 'tcpSocket', 'sleep']));
    if (c.lifecycle?.preStop) out.push(...validateHandler(c.lifecycle.preStop, child(path, 'lifecycle', 'preStop'), ['exec', 'httpGet', 'tcpSocket', 'sleep']));
  }
  if (opts.init && c.restartPolicy !== undefined && c.restartPolicy !== 'Always') {
    out.push(fe.notSupported(child(path, 'restartPolicy'), c.restartPolicy, ['Always']));
  }
  if (!opts.init && c.restartPolicy !== undefined) out.push(fe.forbidden(child(path, 'restartPolicy'), 'may not be set for non-init containers'));
  if (c.terminationMessagePolicy !== undefined && c.terminationMessagePolicy !== 'File' && c.terminationMessagePolicy !== 'FallbackToLogsOnError') {
    out.push(fe.notSupported(child(path, 'terminationMessagePolicy'), c.terminationMessagePolicy, ['File', 'FallbackToLogsOnError']));
  }
  if (c.imagePullPolicy !== undefined && !['Always', 'IfNotPresent', 'Never'].includes(c.imagePullPolicy)) {
    out.push(fe.notSupported(child(path, 'imagePullPolicy'), c.imagePullPolicy, ['Always', 'IfNotPresent', 'Never']));
  }
  return out;
}

function validateContainers(cs: Container[] | undefined, path: string, names: Set<string>, opts: { hostNetwork: boolean; init: boolean }): FieldError[] {
  const out: FieldError[] = [];
  arr(cs).forEach((c, i) => {
    const ip = index(path, i);
    if (!c || typeof c !== 'object') {
      out.push(fe.required(ip, ''));
      return;
    }
    if (!c.name) out.push(fe.required(child(ip, 'name'), ''));
    else {
      out.push(...validateDNS1123Label(c.name, child(ip, 'name')));
      if (names.has(c.name)) out.push(fe.duplicate(child(ip, 'name'), c.name));
      names.add(c.name);
    }
    out.push(...validateContainer(c, ip, opts));
  });
  return out;
}

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

function validateTolerations(ts: Toleration[] | undefined, path: string): FieldError[] {
  const out: FieldError[] = [];
  arr(ts).forEach((t, i) => {
    const ip = index(path, i);
    if (t.key) out.push(...isQualifiedName(t.key).map((m) => fe.invalid(child(ip, 'key'), t.key, m)));
    if (!t.key && t.operator !== 'Exists') {
      out.push(fe.invalid(child(ip, 'operator'), t.operator ?? '', 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
      out.push(fe.invalid(child(ip, 'effect'), t.effect ?? '', "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    switch (t.operator) {
      case undefined:
      case 'Equal':
        for (const m of isValidLabelValue(t.value ?? '')) out.push(fe.invalid(child(ip, 'operator'), t.value, m));
        break;
      case 'Exists':
        if (t.value) out.push(fe.invalid(child(ip, 'operator'), t.value, "value must be empty when `operator` is 'Exists'"));
        break;
      default:
        out.push(fe.notSupported(child(ip, 'operator'), t.operator, ['Equal', 'Exists']));
    }
    if (t.effect && !TAINT_EFFECTS.includes(t.effect)) out.push(fe.notSupported(child(ip, 'effect'), t.effect, TAINT_EFFECTS));
  });
  return out;
}

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];

/** In Kubernetes' order (ValidatePodSpec): volumes, containers, init containers, policies, DNS, names, tolerations. */
export function validatePodSpec(spec: PodSpec | undefined, path: string): FieldError[] {
  const out: FieldError[] = [];
  if (!spec || typeof spec !== 'object') return [fe.required(child(path, 'containers'), '')];
  const vols = new Set<string>();
  arr(spec.volumes).forEach((v, i) => {
    const ip = index(child(path, 'volumes'), i);
    if (!v?.name) out.push(fe.required(child(ip, 'name'), ''));
    else {
      out.push(...validateDNS1123Label(v.name, child(ip, 'name')));
      if (vols.has(v.name)) out.push(fe.duplicate(child(ip, 'name'), v.name));
      vols.add(v.name);
    }
  });
  const hostNetwork = spec.hostNetwork === true;
  const names = new Set<string>();
  if (!Array.isArray(spec.containers) || spec.containers.length === 0) out.push(fe.required(child(path, 'containers'), ''));
  else out.push(...validateContainers(spec.containers, child(path, 'containers'), names, { hostNetwork, init: false }));
  // Init container names must also differ from the regular containers' (reported on the init container).
  out.push(...validateContainers(spec.initContainers, child(path, 'initContainers'), names, { hostNetwork, init: true }));

  if (!spec.restartPolicy) out.push(fe.required(child(path, 'restartPolicy'), ''));
  else if (!RESTART_POLICIES.includes(spec.restartPolicy)) out.push(fe.notSupported(child(path, 'restartPolicy'), spec.restartPolicy, RESTART_POLICIES));

  if (!spec.dnsPolicy) out.push(fe.required(child(path, 'dnsPolicy'), ''));
  else if (!DNS_POLICIES.includes(spec.dnsPolicy)) out.push(fe.notSupported(child(path, 'dnsPolicy'), spec.dnsPolicy, DNS_POLICIES));
  out.push(...validateLabels(spec.nodeSelector, child(path, 'nodeSelector')));
  const dc = spec.dnsConfig;
  if (spec.dnsPolicy === 'None' && (!dc || !Array.isArray(dc.nameservers) || dc.nameservers.length === 0)) {
    out.push(fe.required(child(path, 'dnsConfig', 'nameservers'), 'must provide at least one DNS nameserver when DNS policy is None'));
  }
  if (dc && typeof dc === 'object') {
    const ns = arr(dc.nameservers);
    if (ns.length > 3) out.push(fe.invalid(child(path, 'dnsConfig', 'nameservers'), ns, 'must not have more than 3 nameservers'));
    ns.forEach((n, i) => {
      if (typeof n !== 'string' || !isIP(n)) out.push(fe.invalid(index(child(path, 'dnsConfig', 'nameservers'), i), n, 'must be valid IP address'));
    });
    const searches = arr(dc.searches);
    if (searches.length > 32) out.push(fe.invalid(child(path, 'dnsConfig', 'searches'), searches, 'must not have more than 32 search paths'));
    searches.forEach((s, i) => {
      if (s === '.') return;
      for (const m of isDNS1123Subdomain(String(s).replace(/\.$/, ''))) out.push(fe.invalid(index(child(path, 'dnsConfig', 'searches'), i), s, m));
    });
    arr(dc.options).forEach((o, i) => {
      if (!o?.name) out.push(fe.required(child(index(child(path, 'dnsConfig', 'options'), i), 'name'), 'must not be empty'));
    });
  }
  if (spec.serviceAccountName) out.push(...validateDNS1123Subdomain(spec.serviceAccountName, child(path, 'serviceAccountName')));
  if (spec.nodeName) out.push(...validateDNS1123Subdomain(spec.nodeName, child(path, 'nodeName')));
  if (spec.activeDeadlineSeconds !== undefined && !(spec.activeDeadlineSeconds >= 1 && spec.activeDeadlineSeconds <= 2147483647)) {
    out.push(fe.invalid(child(path, 'activeDeadlineSeconds'), spec.activeDeadlineSeconds, 'must be between 1 and 2147483647, inclusive'));
  }
  if (spec.hostname) out.push(...validateDNS1123Label(spec.hostname, child(path, 'hostname')));
  if (spec.subdomain) out.push(...validateDNS1123Label(spec.subdomain, child(path, 'subdomain')));
  out.push(...validateTolerations(spec.tolerations, child(path, 'tolerations')));
  out.push(...validateNonnegative(spec.terminationGracePeriodSeconds, child(path, 'terminationGracePeriodSeconds')));
  return out;
}

export function validatePodTemplateSpec(t: PodTemplateSpec | undefined, path: string): FieldError[] {
  if (!t) return [fe.required(path, '')];
  const out: FieldError[] = [];
  out.push(...validateLabels(t.metadata?.labels, child(path, 'labels')));
  out.push(...validateAnnotations(t.metadata?.annotations, child(path, 'annotations')));
  out.push(...validatePodSpec(t.spec, child(path, 'spec')));
  return out;
}

export function validatePod(pod: Pod): FieldError[] {
  return validatePodSpec(pod.spec, 'spec');
}

/** Status writes (ValidatePodStatusUpdate, the parts Skiff's writers can get wrong): IP syntax, condition types. */
export function validatePodStatus(pod: Pod): FieldError[] {
  const out: FieldError[] = [];
  const st = pod.status;
  if (!st || typeof st !== 'object') return out;
  for (const f of ['podIPs', 'hostIPs'] as const) {
    arr(st[f]).forEach((p, i) => {
      if (!p || typeof p.ip !== 'string' || !isIP(p.ip)) out.push(fe.invalid(index(`status.${f}`, i), p?.ip ?? '', INVALID_IP_MESSAGE));
    });
  }
  arr(st.conditions).forEach((c, i) => {
    const p = index('status.conditions', i);
    if (!c?.type) out.push(fe.required(child(p, 'type'), ''));
    else for (const m of isQualifiedName(c.type)) out.push(fe.invalid(child(p, 'type'), c.type, m));
  });
  return out;
}

function stable(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) =>
    val && typeof val === 'object' && !Array.isArray(val)
      ? Object.fromEntries(Object.entries(val as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : val,
  );
}

/** Pod spec is immutable but for images, activeDeadlineSeconds, added tolerations and a grace-period fix. */
export function validatePodUpdate(pod: Pod, old: Pod): FieldError[] {
  const out: FieldError[] = [];
  const ns = pod.spec;
  const os = old.spec;
  if (!ns || !os) return out;
  const strip = (s: PodSpec, from: PodSpec): PodSpec => {
    const copy = JSON.parse(JSON.stringify(s)) as PodSpec;
    copy.containers?.forEach((c, i) => (c.image = from.containers?.[i]?.image));
    copy.initContainers?.forEach((c, i) => (c.image = from.initContainers?.[i]?.image));
    copy.activeDeadlineSeconds = from.activeDeadlineSeconds;
    copy.tolerations = from.tolerations;
    copy.terminationGracePeriodSeconds = from.terminationGracePeriodSeconds;
    return copy;
  };
  const a = stable(strip(ns, os));
  const b = stable(strip(os, os));
  if (a !== b) {
    const changed = Object.keys({ ...ns, ...os }).filter((k) => stable((ns as unknown as Record<string, unknown>)[k]) !== stable((os as unknown as Record<string, unknown>)[k]));
    out.push(
      fe.forbidden(
        'spec',
        'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)' +
          `\n  changed: ${changed.map((k) => `spec.${k}`).join(', ')}`,
      ),
    );
  }
  // Tolerations may only be added.
  const oldTol = arr(os.tolerations).map(stable);
  const newTol = new Set(arr(ns.tolerations).map(stable));
  if (oldTol.some((t) => !newTol.has(t))) out.push(fe.forbidden('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds'));
  ns.containers?.forEach((c, i) => {
    if (!c.image) out.push(fe.required(child(index('spec.containers', i), 'image'), ''));
  });
  return out;
}
