/**
 * Defaulting like Kubernetes' `SetDefaults_*` functions plus the few admission/strategy defaults
 * users see on every object (pod serviceAccountName/priority/default tolerations, Namespace
 * finalizer and name label). `applyDefaults` mutates in place and is idempotent; call it on
 * create and update before validation. Allocation (ClusterIPs, NodePorts) is the API server's.
 */
import type { KubeObject } from '../meta.js';
import type { ResourceInfo } from '../resources.js';
import type {
  Container,
  Deployment,
  Endpoints,
  EndpointSlice,
  HorizontalPodAutoscaler,
  Namespace,
  Node,
  Pod,
  PodSpec,
  PodTemplateSpec,
  Probe,
  ReplicaSet,
  ReplicationController,
  Secret,
  Service,
  Toleration,
  LifecycleHandler,
} from '../types.js';

export const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;
export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';
export const DEFAULT_CLIENT_IP_AFFINITY_SECONDS = 10800;
export const DEFAULT_TOLERATION_SECONDS = 300;

function imagePullPolicyFor(image: string | undefined): Container['imagePullPolicy'] {
  if (!image) return 'IfNotPresent';
  if (image.includes('@')) return 'IfNotPresent';
  const lastSlash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  const tag = colon > lastSlash ? image.slice(colon + 1) : '';
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultHandler(h: LifecycleHandler | undefined): void {
  if (!h?.httpGet) return;
  h.httpGet.path ??= '/';
  h.httpGet.scheme ??= 'HTTP';
}

function defaultProbe(p: Probe | undefined): void {
  if (!p) return;
  p.timeoutSeconds ??= 1;
  p.periodSeconds ??= 10;
  p.successThreshold ??= 1;
  p.failureThreshold ??= 3;
  defaultHandler(p);
}

/** `hostNetwork`: give container ports hostPort = containerPort (pods only; templates no longer get it since 1.28). */
function defaultContainer(c: Container, hostNetwork: boolean): void {
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  c.imagePullPolicy ??= imagePullPolicyFor(c.image);
  c.resources ??= {};
  for (const p of c.ports ?? []) {
    p.protocol ??= 'TCP';
    if (hostNetwork && !p.hostPort) p.hostPort = p.containerPort;
  }
  for (const e of c.env ?? []) {
    if (e.valueFrom?.fieldRef) e.valueFrom.fieldRef.apiVersion ??= 'v1';
    if (e.valueFrom?.resourceFieldRef) e.valueFrom.resourceFieldRef.divisor ??= '0';
  }
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  defaultHandler(c.lifecycle?.postStart);
  defaultHandler(c.lifecycle?.preStop);
}

/** `SetDefaults_PodSpec` + container/probe/port defaults: what pods and pod templates share. */
export function defaultPodSpec(spec: PodSpec | undefined, opts: { template?: boolean } = {}): void {
  if (!spec || typeof spec !== 'object') return;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS;
  spec.schedulerName ??= DEFAULT_SCHEDULER_NAME;
  spec.securityContext ??= {};
  const hostNetwork = spec.hostNetwork === true && !opts.template;
  for (const c of spec.initContainers ?? []) if (c && typeof c === 'object') defaultContainer(c, hostNetwork);
  for (const c of Array.isArray(spec.containers) ? spec.containers : []) if (c && typeof c === 'object') defaultContainer(c, hostNetwork);
  for (const v of spec.volumes ?? []) {
    if (v.configMap) v.configMap.defaultMode ??= 420;
    if (v.secret) v.secret.defaultMode ??= 420;
  }
  // The v1 API keeps the deprecated serviceAccount in step with serviceAccountName.
  if (spec.serviceAccountName && !spec.serviceAccount) spec.serviceAccount = spec.serviceAccountName;
  else if (spec.serviceAccount && !spec.serviceAccountName) spec.serviceAccountName = spec.serviceAccount;
}

function defaultTemplate(t: PodTemplateSpec | undefined): void {
  if (t && typeof t === 'object') defaultPodSpec(t.spec, { template: true });
}

/** Requests default to limits where only limits are given (SetDefaults_Pod). */
function requestsFromLimits(c: Container): void {
  const limits = c.resources?.limits;
  if (!limits || Object.keys(limits).length === 0) return;
  c.resources!.requests ??= {};
  for (const [k, v] of Object.entries(limits)) if (!(k in c.resources!.requests)) c.resources!.requests[k] = v;
}

function hasToleration(ts: Toleration[], key: string): boolean {
  return ts.some((t) => (t.key === key || (!t.key && t.operator === 'Exists')) && (!t.effect || t.effect === 'NoExecute'));
}

function qosClass(spec: PodSpec): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const all = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const c of all) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    for (const r of ['cpu', 'memory']) {
      if (lim[r] === undefined || (req[r] !== undefined && String(req[r]) !== String(lim[r]))) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

export function defaultPod(pod: Pod): void {
  const spec = pod.spec;
  if (!spec || typeof spec !== 'object') return;
  for (const c of [...(spec.initContainers ?? []), ...(Array.isArray(spec.containers) ? spec.containers : [])]) if (c && typeof c === 'object') requestsFromLimits(c);
  defaultPodSpec(spec);
  spec.enableServiceLinks ??= true;
  // Admission defaults every Kubernetes pod shows.
  spec.serviceAccountName ??= 'default';
  spec.serviceAccount ??= spec.serviceAccountName;
  spec.priority ??= 0;
  spec.preemptionPolicy ??= 'PreemptLowerPriority';
  const tols = (spec.tolerations ??= []);
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    if (!hasToleration(tols, key)) tols.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: DEFAULT_TOLERATION_SECONDS });
  }
  if (pod.status !== undefined && !isObj(pod.status)) return;
  pod.status ??= {};
  pod.status.phase ??= 'Pending';
  pod.status.qosClass ??= qosClass(spec);
}

export function defaultService(svc: Service): void {
  const spec = svc.spec;
  if (!spec || typeof spec !== 'object') return;
  spec.type ??= 'ClusterIP';
  spec.sessionAffinity ??= 'None';
  if (spec.sessionAffinity === 'ClientIP') {
    spec.sessionAffinityConfig ??= {};
    spec.sessionAffinityConfig.clientIP ??= {};
    spec.sessionAffinityConfig.clientIP.timeoutSeconds ??= DEFAULT_CLIENT_IP_AFFINITY_SECONDS;
  }
  for (const p of Array.isArray(spec.ports) ? spec.ports : []) {
    if (!p || typeof p !== 'object') continue;
    p.protocol ??= 'TCP';
    if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  }
  const external = spec.type === 'NodePort' || spec.type === 'LoadBalancer' || (spec.type === 'ClusterIP' && (spec.externalIPs?.length ?? 0) > 0);
  if (external) spec.externalTrafficPolicy ??= 'Cluster';
  if (spec.type !== 'ExternalName') spec.internalTrafficPolicy ??= 'Cluster';
  if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;
  // clusterIP and clusterIPs describe the same thing; keep them in step.
  if (spec.clusterIP && (!spec.clusterIPs || spec.clusterIPs.length === 0)) spec.clusterIPs = [spec.clusterIP];
  else if (!spec.clusterIP && spec.clusterIPs && spec.clusterIPs.length > 0) spec.clusterIP = spec.clusterIPs[0];
  if (spec.type !== 'ExternalName') {
    spec.ipFamilyPolicy ??= 'SingleStack';
    spec.ipFamilies ??= [spec.clusterIP && spec.clusterIP.includes(':') ? 'IPv6' : 'IPv4'];
  }
  if (svc.status === undefined) svc.status = { loadBalancer: {} };
}

/**
 * On update, Kubernetes keeps what was allocated when the client leaves it out (kubectl
 * replace/apply of a manifest without clusterIP/nodePort): `patchAllocatedValues`.
 * Call before applyDefaults on update.
 */
export function carryOverServiceAllocations(svc: Service, old: Service): void {
  const ns = svc.spec;
  const os = old.spec;
  if (!ns || !os || typeof ns !== 'object' || typeof os !== 'object') return;
  dropTypeDependentFields(svc, old);
  const newType = ns.type ?? 'ClusterIP';
  if (newType !== 'ExternalName' && os.type !== 'ExternalName') {
    if (!ns.clusterIP && !(ns.clusterIPs && ns.clusterIPs.length)) {
      if (os.clusterIP) ns.clusterIP = os.clusterIP;
      if (os.clusterIPs) ns.clusterIPs = [...os.clusterIPs];
    }
    if (ns.ipFamilies === undefined && os.ipFamilies) ns.ipFamilies = [...os.ipFamilies];
    if (ns.ipFamilyPolicy === undefined && os.ipFamilyPolicy) ns.ipFamilyPolicy = os.ipFamilyPolicy;
  }
  if (newType === 'NodePort' || newType === 'LoadBalancer') {
    for (const p of ns.ports ?? []) {
      if (p.nodePort) continue;
      const match =
        (os.ports ?? []).find((o) => o.port === p.port && (o.protocol ?? 'TCP') === (p.protocol ?? 'TCP') && (o.name ?? '') === (p.name ?? '')) ??
        (os.ports ?? []).find((o) => o.port === p.port && (o.protocol ?? 'TCP') === (p.protocol ?? 'TCP'));
      if (match?.nodePort) p.nodePort = match.nodePort;
    }
    if (!ns.healthCheckNodePort && os.healthCheckNodePort && newType === 'LoadBalancer' && ns.externalTrafficPolicy === 'Local') {
      ns.healthCheckNodePort = os.healthCheckNodePort;
    }
  }
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Kubernetes' `dropTypeDependentFields`: when an update changes the Service type, fields the
 * new type cannot have are cleared — but only if the client left them as they were (a value
 * the client changed is kept, and validation rejects it). Without this, `kubectl apply`
 * turning a NodePort Service into ClusterIP would fail on the stored nodePorts.
 */
export function dropTypeDependentFields(svc: Service, old: Service): void {
  const ns = svc.spec;
  const os = old.spec;
  if (!ns || !os) return;
  const newType = ns.type ?? 'ClusterIP';
  const oldType = os.type ?? 'ClusterIP';
  if (newType === oldType && same(ns.externalTrafficPolicy, os.externalTrafficPolicy)) return;
  if (newType === 'ExternalName' && oldType !== 'ExternalName') {
    if (same(ns.clusterIP, os.clusterIP)) delete ns.clusterIP;
    if (same(ns.clusterIPs, os.clusterIPs)) delete ns.clusterIPs;
    if (same(ns.ipFamilies, os.ipFamilies)) delete ns.ipFamilies;
    if (same(ns.ipFamilyPolicy, os.ipFamilyPolicy)) delete ns.ipFamilyPolicy;
  }
  if (newType !== 'NodePort' && newType !== 'LoadBalancer' && (oldType === 'NodePort' || oldType === 'LoadBalancer')) {
    for (const p of Array.isArray(ns.ports) ? ns.ports : []) {
      if (!p?.nodePort) continue;
      const o = (os.ports ?? []).find((x) => x.nodePort === p.nodePort);
      if (o) delete p.nodePort;
    }
  }
  const needsHealthCheck = newType === 'LoadBalancer' && ns.externalTrafficPolicy === 'Local';
  if (!needsHealthCheck && ns.healthCheckNodePort && ns.healthCheckNodePort === os.healthCheckNodePort) delete ns.healthCheckNodePort;
  if (newType !== 'LoadBalancer') {
    if (ns.allocateLoadBalancerNodePorts !== undefined && same(ns.allocateLoadBalancerNodePorts, os.allocateLoadBalancerNodePorts)) delete ns.allocateLoadBalancerNodePorts;
    if (ns.loadBalancerClass !== undefined && same(ns.loadBalancerClass, os.loadBalancerClass)) delete ns.loadBalancerClass;
  }
  const external = newType === 'NodePort' || newType === 'LoadBalancer' || (newType === 'ClusterIP' && (ns.externalIPs?.length ?? 0) > 0);
  if (!external && ns.externalTrafficPolicy !== undefined && same(ns.externalTrafficPolicy, os.externalTrafficPolicy)) delete ns.externalTrafficPolicy;
  if (newType === 'ExternalName' && ns.internalTrafficPolicy !== undefined && same(ns.internalTrafficPolicy, os.internalTrafficPolicy)) delete ns.internalTrafficPolicy;
}

export function defaultDeployment(d: Deployment): void {
  const spec = d.spec;
  if (!spec || typeof spec !== 'object') return;
  spec.replicas ??= 1;
  spec.strategy ??= {};
  spec.strategy.type ??= 'RollingUpdate';
  if (spec.strategy.type === 'RollingUpdate') {
    spec.strategy.rollingUpdate ??= {};
    spec.strategy.rollingUpdate.maxUnavailable ??= '25%';
    spec.strategy.rollingUpdate.maxSurge ??= '25%';
  }
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  defaultTemplate(spec.template);
}

export function defaultReplicaSet(rs: ReplicaSet): void {
  const spec = rs.spec;
  if (!spec || typeof spec !== 'object') return;
  spec.replicas ??= 1;
  defaultTemplate(spec.template);
}

export function defaultReplicationController(rc: ReplicationController): void {
  const spec = rc.spec;
  if (!spec || typeof spec !== 'object') return;
  const tl = spec.template?.metadata?.labels;
  if (tl && Object.keys(tl).length > 0) {
    if (!spec.selector || Object.keys(spec.selector).length === 0) spec.selector = { ...tl };
    if (!rc.metadata.labels || Object.keys(rc.metadata.labels).length === 0) rc.metadata.labels = { ...tl };
  }
  spec.replicas ??= 1;
  defaultTemplate(spec.template);
}

const isObj = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);

export function defaultNamespace(ns: Namespace): void {
  if ((ns.spec !== undefined && !isObj(ns.spec)) || (ns.status !== undefined && !isObj(ns.status))) return;
  ns.spec ??= {};
  ns.spec.finalizers ??= ['kubernetes'];
  ns.status ??= {};
  ns.status.phase ??= 'Active';
  if (ns.metadata.name) {
    ns.metadata.labels ??= {};
    ns.metadata.labels['kubernetes.io/metadata.name'] = ns.metadata.name;
  }
}

export function defaultHPA(h: HorizontalPodAutoscaler): void {
  if (!h.spec || typeof h.spec !== 'object') return;
  h.spec.minReplicas ??= 1;
}

export function defaultNode(n: Node): void {
  if (n.status?.capacity && !n.status.allocatable) n.status.allocatable = { ...n.status.capacity };
}

export function defaultSecret(s: Secret): void {
  s.type ??= 'Opaque';
  if (isObj(s.stringData) && (s.data === undefined || isObj(s.data))) {
    s.data ??= {};
    for (const [k, v] of Object.entries(s.stringData!)) s.data[k] = Buffer.from(String(v), 'utf8').toString('base64');
    delete s.stringData;
  }
}

export function defaultEndpoints(ep: Endpoints): void {
  for (const ss of ep.subsets ?? []) for (const p of ss.ports ?? []) p.protocol ??= 'TCP';
}

export function defaultEndpointSlice(s: EndpointSlice): void {
  for (const p of s.ports ?? []) {
    p.protocol ??= 'TCP';
    p.name ??= '';
  }
  for (const e of Array.isArray(s.endpoints) ? s.endpoints : []) {
    if (e && typeof e === 'object') e.conditions ??= {};
  }
}

const byKind: Record<string, (obj: KubeObject) => void> = {
  Pod: (o) => defaultPod(o as Pod),
  Service: (o) => defaultService(o as Service),
  Deployment: (o) => defaultDeployment(o as Deployment),
  ReplicaSet: (o) => defaultReplicaSet(o as ReplicaSet),
  ReplicationController: (o) => defaultReplicationController(o as ReplicationController),
  Namespace: (o) => defaultNamespace(o as Namespace),
  HorizontalPodAutoscaler: (o) => defaultHPA(o as HorizontalPodAutoscaler),
  Node: (o) => defaultNode(o as Node),
  Secret: (o) => defaultSecret(o as Secret),
  Endpoints: (o) => defaultEndpoints(o as Endpoints),
  EndpointSlice: (o) => defaultEndpointSlice(o as EndpointSlice),
};

/**
 * Fills Kubernetes defaults into `obj` in place (kind from `info`). Tolerates malformed input
 * (validation reports it afterwards). Returns `obj` for chaining.
 */
export function applyDefaults<T extends KubeObject>(info: Pick<ResourceInfo, 'kind'>, obj: T): T {
  if (!obj || typeof obj !== 'object') return obj;
  if (!obj.metadata || typeof obj.metadata !== 'object') return obj;
  byKind[info.kind]?.(obj);
  return obj;
}
