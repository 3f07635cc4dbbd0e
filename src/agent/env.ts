/**
 * A container's environment as Kubernetes builds it at container start: Service variables
 * first (so the pod's own `env` can override them), then `envFrom`, then `env` with `$(VAR)`
 * expansion and `valueFrom` (fieldRef, resourceFieldRef, configMapKeyRef, secretKeyRef).
 */
import type { ConfigMap, Container, Pod, Secret, Service } from '../api/types.js';

export interface EnvContext {
  pod: Pod;
  podIP: string;
  hostIP: string;
  /** Services visible to the pod: those of its namespace and `kubernetes` in default. */
  services: Service[];
  configMap?(namespace: string, name: string): ConfigMap | undefined;
  secret?(namespace: string, name: string): Secret | undefined;
  /** Variables the agent adds itself (PATH default, HOSTNAME, POD_IP, ...); pod env overrides them. */
  base?: Record<string, string>;
}

export class EnvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvError';
  }
}

function envName(service: string): string {
  return service.toUpperCase().replace(/-/g, '_');
}

/** Docker-link style and *_SERVICE_* variables for one Service (kubelet's envvars.FromServices). */
export function serviceEnv(svc: Service): Record<string, string> {
  const spec = svc.spec;
  const ip = spec?.clusterIP;
  if (!spec || !ip || ip === 'None' || spec.type === 'ExternalName') return {};
  const ports = spec.ports ?? [];
  const name = envName(svc.metadata.name ?? '');
  const out: Record<string, string> = {};
  const addr = ip.includes(':') ? `[${ip}]` : ip;
  out[`${name}_SERVICE_HOST`] = ip;
  const first = ports[0];
  if (first) out[`${name}_SERVICE_PORT`] = String(first.port);
  for (const p of ports) if (p.name) out[`${name}_SERVICE_PORT_${envName(p.name)}`] = String(p.port);
  if (first) out[`${name}_PORT`] = `${(first.protocol ?? 'TCP').toLowerCase()}://${addr}:${first.port}`;
  for (const p of ports) {
    const proto = (p.protocol ?? 'TCP').toUpperCase();
    const prefix = `${name}_PORT_${p.port}_${proto}`;
    out[prefix] = `${proto.toLowerCase()}://${addr}:${p.port}`;
    out[`${prefix}_PROTO`] = proto.toLowerCase();
    out[`${prefix}_PORT`] = String(p.port);
    out[`${prefix}_ADDR`] = ip;
  }
  return out;
}

/** The Services whose variables a pod gets (kubelet's getServiceEnvVarMap). */
export function servicesForPod(pod: Pod, all: Service[]): Service[] {
  const ns = pod.metadata.namespace ?? 'default';
  const links = pod.spec?.enableServiceLinks ?? true;
  const chosen = new Map<string, Service>();
  for (const s of all) {
    const ip = s.spec?.clusterIP;
    if (!ip || ip === 'None') continue;
    const sns = s.metadata.namespace ?? 'default';
    if (sns === 'default' && s.metadata.name === 'kubernetes') {
      // The master service is always there; in its own namespace it competes like the others.
      if (!chosen.has(s.metadata.name!) || ns === 'default') chosen.set(s.metadata.name!, s);
      continue;
    }
    if (links && sns === ns) chosen.set(s.metadata.name!, s);
  }
  return [...chosen.values()].sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1));
}

/** `$(VAR)` expansion as Kubernetes does it: `$$` escapes, unknown references stay as written. */
export function expandRefs(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => {
    if (m === '$$') return '$';
    return name !== undefined && name in vars ? vars[name]! : m;
  });
}

function fieldValue(path: string, ctx: EnvContext): string {
  const { pod } = ctx;
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (m) return (m[1] === 'labels' ? pod.metadata.labels : pod.metadata.annotations)?.[m[2]!] ?? '';
  switch (path) {
    case 'metadata.name':
      return pod.metadata.name ?? '';
    case 'metadata.namespace':
      return pod.metadata.namespace ?? 'default';
    case 'metadata.uid':
      return pod.metadata.uid ?? '';
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? pod.spec?.serviceAccount ?? 'default';
    case 'status.podIP':
    case 'status.podIPs':
      return ctx.podIP;
    case 'status.hostIP':
    case 'status.hostIPs':
      return ctx.hostIP;
    default:
      throw new EnvError(`unsupported fieldRef ${path}`);
  }
}

function decodeSecret(v: string | undefined): string | undefined {
  return v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8');
}

/** Quantity in the unit a resourceFieldRef asks for (cpu → cores rounded up, memory → bytes). */
function resourceValue(container: Container, resource: string, divisor: string | number | undefined): string {
  const [kind, name] = resource.split('.') as [string, string];
  const raw = (kind === 'limits' ? container.resources?.limits : container.resources?.requests)?.[name];
  if (raw === undefined) return name === 'cpu' ? '0' : '0';
  const value = name === 'cpu' ? parseCpu(raw) : parseBytes(raw);
  const div = divisor === undefined ? 1 : name === 'cpu' ? parseCpu(divisor) : parseBytes(divisor);
  return String(Math.ceil(value / (div || 1)));
}

export function parseCpu(q: string | number): number {
  if (typeof q === 'number') return q;
  if (q.endsWith('m')) return Number(q.slice(0, -1)) / 1000;
  return Number(q);
}

const BYTE_SUFFIX: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12 };

export function parseBytes(q: string | number): number {
  if (typeof q === 'number') return q;
  const m = /^([0-9.]+)(e\d+)?([A-Za-z]*)$/.exec(q.trim());
  if (!m) return Number(q);
  const n = Number(m[1]) * (m[2] ? 10 ** Number(m[2].slice(1)) : 1);
  return Math.round(n * (BYTE_SUFFIX[m[3]!] ?? 1));
}

export function buildContainerEnv(container: Container, ctx: EnvContext): Record<string, string> {
  const ns = ctx.pod.metadata.namespace ?? 'default';
  const env: Record<string, string> = { ...(ctx.base ?? {}) };
  for (const s of servicesForPod(ctx.pod, ctx.services)) Object.assign(env, serviceEnv(s));
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    if (from.configMapRef?.name) {
      const cm = ctx.configMap?.(ns, from.configMapRef.name);
      if (!cm && !from.configMapRef.optional) throw new EnvError(`configmap "${from.configMapRef.name}" not found`);
      for (const [k, v] of Object.entries(cm?.data ?? {})) env[prefix + k] = v;
    }
    if (from.secretRef?.name) {
      const sec = ctx.secret?.(ns, from.secretRef.name);
      if (!sec && !from.secretRef.optional) throw new EnvError(`secret "${from.secretRef.name}" not found`);
      for (const [k, v] of Object.entries(sec?.data ?? {})) env[prefix + k] = decodeSecret(v)!;
    }
  }
  for (const e of container.env ?? []) {
    if (e.value !== undefined || !e.valueFrom) {
      env[e.name] = expandRefs(e.value ?? '', env);
      continue;
    }
    const vf = e.valueFrom;
    if (vf.fieldRef) env[e.name] = fieldValue(vf.fieldRef.fieldPath, ctx);
    else if (vf.resourceFieldRef) {
      const c = vf.resourceFieldRef.containerName ? ctx.pod.spec?.containers.find((x) => x.name === vf.resourceFieldRef!.containerName) ?? container : container;
      env[e.name] = resourceValue(c, vf.resourceFieldRef.resource, vf.resourceFieldRef.divisor);
    } else if (vf.configMapKeyRef) {
      const ref = vf.configMapKeyRef;
      const v = ref.name ? ctx.configMap?.(ns, ref.name)?.data?.[ref.key] : undefined;
      if (v === undefined && !ref.optional) throw new EnvError(`couldn't find key ${ref.key} in ConfigMap ${ns}/${ref.name}`);
      if (v !== undefined) env[e.name] = v;
    } else if (vf.secretKeyRef) {
      const ref = vf.secretKeyRef;
      const v = ref.name ? decodeSecret(ctx.secret?.(ns, ref.name)?.data?.[ref.key]) : undefined;
      if (v === undefined && !ref.optional) throw new EnvError(`couldn't find key ${ref.key} in Secret ${ns}/${ref.name}`);
      if (v !== undefined) env[e.name] = v;
    }
  }
  return env;
}

/** command + args with `$(VAR)` expanded against the container env (Kubernetes semantics). */
export function containerArgv(container: Container, env: Record<string, string>): string[] {
  const cmd = (container.command ?? []).map((s) => expandRefs(s, env));
  const args = (container.args ?? []).map((s) => expandRefs(s, env));
  return [...cmd, ...args];
}
