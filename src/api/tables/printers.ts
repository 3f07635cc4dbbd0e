/**
 * One printer per kind, following kube-apiserver's `pkg/printers/internalversion`: column
 * definitions (name/type/format/description/priority) and the cells of one row.
 */
import type { KubeObject } from '../meta.js';
import type {
  ConfigMap,
  Container,
  ContainerStatus,
  Deployment,
  Endpoints,
  EndpointSlice,
  Event,
  HorizontalPodAutoscaler,
  LabelSelector,
  Lease,
  Namespace,
  Node,
  Pod,
  ReplicaSet,
  ReplicationController,
  Secret,
  Service,
  ServiceAccount,
  TableColumnDefinition,
  TableRow,
} from '../types.js';
import { selectorFromLabelSelector } from '../labels.js';
import { humanDuration, since } from './human-duration.js';

export interface Printer {
  columns: TableColumnDefinition[];
  cells: (obj: KubeObject, nowMs: number) => unknown[];
  conditions?: (obj: KubeObject) => TableRow['conditions'] | undefined;
}

const NAME_DESC =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
const AGE_DESC =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

function col(name: string, description: string, opts: { type?: TableColumnDefinition['type']; priority?: number; format?: string } = {}): TableColumnDefinition {
  return { name, type: opts.type ?? 'string', format: opts.format ?? '', description, priority: opts.priority ?? 0 };
}

const nameCol = () => col('Name', NAME_DESC, { format: 'name' });
const ageCol = () => col('Age', AGE_DESC);

const age = (o: KubeObject, now: number) => since(o.metadata?.creationTimestamp, now);

/** `labels.FormatLabels`: sorted `k=v,...`, or `<none>`. */
export function formatLabels(m: Record<string, string> | undefined | null): string {
  if (!m) return '<none>';
  const keys = Object.keys(m).sort();
  return keys.length ? keys.map((k) => `${k}=${m[k]}`).join(',') : '<none>';
}

function containersAndImages(cs: Container[] | undefined): [string, string] {
  const list = Array.isArray(cs) ? cs : [];
  return [list.map((c) => c?.name ?? '').join(','), list.map((c) => c?.image ?? '').join(',')];
}

function tsMs(t: string | undefined | null): number {
  if (!t) return 0;
  const v = Date.parse(t);
  return Number.isNaN(v) ? 0 : v;
}

// ---------------------------------------------------------------------------------------------
// Pods
// ---------------------------------------------------------------------------------------------

function isRestartableInit(c: Container | undefined): boolean {
  return c?.restartPolicy === 'Always';
}

export interface PodSummary {
  ready: string;
  reason: string;
  restarts: number;
  lastRestartMs: number;
}

/** The READY / STATUS / RESTARTS computation of kubectl's pod printer. */
export function podStatusReason(pod: Pod): PodSummary {
  const spec = pod.spec ?? { containers: [] };
  const status = pod.status ?? {};
  let restarts = 0;
  let restartableInitRestarts = 0;
  let totalContainers = Array.isArray(spec.containers) ? spec.containers.length : 0;
  let readyContainers = 0;
  let lastRestart = 0;
  let lastRestartableInitRestart = 0;

  const phase = status.phase ?? '';
  let reason: string = phase;
  if (status.reason) reason = status.reason;
  for (const c of status.conditions ?? []) {
    if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }

  const inits = new Map<string, Container>();
  for (const c of spec.initContainers ?? []) {
    inits.set(c.name, c);
    if (isRestartableInit(c)) totalContainers++;
  }

  let initializing = false;
  const initStatuses = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i];
    restarts += cs.restartCount ?? 0;
    const lt = cs.lastState?.terminated;
    if (lt) lastRestart = Math.max(lastRestart, tsMs(lt.finishedAt));
    const restartable = isRestartableInit(inits.get(cs.name));
    if (restartable) {
      restartableInitRestarts += cs.restartCount ?? 0;
      if (lt) lastRestartableInitRestart = Math.max(lastRestartableInitRestart, tsMs(lt.finishedAt));
    }
    const term = cs.state?.terminated;
    const wait = cs.state?.waiting;
    if (term && term.exitCode === 0) continue;
    if (restartable && cs.started) {
      if (cs.ready) readyContainers++;
      continue;
    }
    if (term) {
      if (!term.reason) reason = term.signal ? `Init:Signal:${term.signal}` : `Init:ExitCode:${term.exitCode}`;
      else reason = `Init:${term.reason}`;
      initializing = true;
    } else if (wait && wait.reason && wait.reason !== 'PodInitializing') {
      reason = `Init:${wait.reason}`;
      initializing = true;
    } else {
      reason = `Init:${i}/${(spec.initContainers ?? []).length}`;
      initializing = true;
    }
    break;
  }

  const initializedTrue = (status.conditions ?? []).some((c) => c.type === 'Initialized' && c.status === 'True');
  if (!initializing || initializedTrue) {
    restarts = restartableInitRestarts;
    lastRestart = lastRestartableInitRestart;
    let hasRunning = false;
    const statuses: ContainerStatus[] = status.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i];
      restarts += cs.restartCount ?? 0;
      const lt = cs.lastState?.terminated;
      if (lt) lastRestart = Math.max(lastRestart, tsMs(lt.finishedAt));
      const wait = cs.state?.waiting;
      const term = cs.state?.terminated;
      if (wait && wait.reason) reason = wait.reason;
      else if (term && term.reason) reason = term.reason;
      else if (term && !term.reason) reason = term.signal ? `Signal:${term.signal}` : `ExitCode:${term.exitCode}`;
      else if (cs.ready && cs.state?.running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      const podReady = (status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
      reason = podReady ? 'Running' : 'NotReady';
    }
  }

  const terminal = phase === 'Succeeded' || phase === 'Failed';
  if (pod.metadata?.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata?.deletionTimestamp && !terminal) reason = 'Terminating';

  return { ready: `${readyContainers}/${totalContainers}`, reason, restarts, lastRestartMs: lastRestart };
}

const podPrinter: Printer = {
  columns: [
    nameCol(),
    col('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
    col('Status', 'The aggregate status of the containers in this pod.'),
    col('Restarts', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
    ageCol(),
    col('IP', 'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', { priority: 1 }),
    col('Node', 'NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName.', { priority: 1 }),
    col('Nominated Node', 'nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods.', { priority: 1 }),
    col('Readiness Gates', 'If specified, all readiness gates will be evaluated for pod readiness.', { priority: 1 }),
  ],
  cells: (o, now) => {
    const pod = o as Pod;
    const s = podStatusReason(pod);
    const restarts = s.restarts !== 0 && s.lastRestartMs !== 0 ? `${s.restarts} (${humanDuration(now - s.lastRestartMs)} ago)` : String(s.restarts);
    const podIP = pod.status?.podIPs?.[0]?.ip || pod.status?.podIP || '<none>';
    let gates = '<none>';
    const rg = pod.spec?.readinessGates ?? [];
    if (rg.length > 0) {
      let ok = 0;
      for (const g of rg) {
        const c = (pod.status?.conditions ?? []).find((x) => x.type === g.conditionType);
        if (c?.status === 'True') ok++;
      }
      gates = `${ok}/${rg.length}`;
    }
    return [pod.metadata?.name ?? '', s.ready, s.reason, restarts, age(o, now), podIP, pod.spec?.nodeName || '<none>', pod.status?.nominatedNodeName || '<none>', gates];
  },
  conditions: (o) => {
    const phase = (o as Pod).status?.phase;
    if (phase === 'Succeeded') return [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }];
    if (phase === 'Failed') return [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];
    return undefined;
  },
};

// ---------------------------------------------------------------------------------------------
// Services, Endpoints, EndpointSlices
// ---------------------------------------------------------------------------------------------

function lbIngress(svc: Service, wide: boolean): string {
  const set = new Set<string>();
  for (const i of svc.status?.loadBalancer?.ingress ?? []) {
    if (i.ip) set.add(i.ip);
    else if (i.hostname) set.add(i.hostname);
  }
  let r = [...set].sort().join(',');
  if (!wide && r.length > 16) r = `${r.slice(0, 13)}...`;
  return r;
}

export function serviceExternalIP(svc: Service, wide = true): string {
  const spec = svc.spec ?? {};
  const ext = spec.externalIPs ?? [];
  switch (spec.type ?? 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return ext.length ? ext.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = lbIngress(svc, wide);
      if (ext.length) return [...(lb ? lb.split(',') : []), ...ext].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return spec.externalName ?? '';
  }
  return '<unknown>';
}

export function servicePorts(svc: Service): string {
  const s = (svc.spec?.ports ?? []).map((p) => (p.nodePort && p.nodePort > 0 ? `${p.port}:${p.nodePort}/${p.protocol ?? 'TCP'}` : `${p.port}/${p.protocol ?? 'TCP'}`)).join(',');
  return s || '<none>';
}

const servicePrinter: Printer = {
  columns: [
    nameCol(),
    col('Type', 'type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer.'),
    col('Cluster-IP', 'clusterIP is the IP address of the service and is usually assigned randomly.'),
    col('External-IP', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
    col('Port(s)', 'The list of ports that are exposed by this service.'),
    ageCol(),
    col('Selector', 'Route service traffic to pods with label keys and values matching this selector.', { priority: 1 }),
  ],
  cells: (o, now) => {
    const svc = o as Service;
    const ips = svc.spec?.clusterIPs;
    const internal = ips && ips.length ? ips[0] : svc.spec?.clusterIP || '<none>';
    return [svc.metadata?.name ?? '', svc.spec?.type ?? '', internal, serviceExternalIP(svc, true), servicePorts(svc), age(o, now), formatLabels(svc.spec?.selector)];
  },
};

function joinHostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

export function formatEndpoints(ep: Endpoints): string {
  const subsets = ep.subsets ?? [];
  if (subsets.length === 0) return '<none>';
  const list: string[] = [];
  const max = 3;
  let more = false;
  let count = 0;
  for (const ss of subsets) {
    const addrs = ss.addresses ?? [];
    const ports = ss.ports ?? [];
    if (ports.length === 0) {
      count += addrs.length;
      for (const a of addrs) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(a.ip);
      }
      continue;
    }
    for (const p of ports) {
      count += addrs.length;
      for (const a of addrs) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(joinHostPort(a.ip, p.port));
      }
    }
  }
  const ret = list.join(',');
  return more ? `${ret} + ${count - max} more...` : ret;
}

const endpointsPrinter: Printer = {
  columns: [nameCol(), col('Endpoints', 'The set of all endpoints is the union of all subsets.'), ageCol()],
  cells: (o, now) => [o.metadata?.name ?? '', formatEndpoints(o as Endpoints), age(o, now)],
};

function listWithMore(list: string[], more: boolean, count: number, max: number): string {
  const ret = list.join(',');
  if (more) return `${ret} + ${count - max} more...`;
  return ret === '' ? '<unset>' : ret;
}

const endpointSlicePrinter: Printer = {
  columns: [
    nameCol(),
    col('AddressType', 'addressType specifies the type of address carried by this EndpointSlice.'),
    col('Ports', 'ports specifies the list of network ports exposed by each endpoint in this slice.'),
    col('Endpoints', 'endpoints is a list of unique endpoints in this slice.'),
    ageCol(),
  ],
  cells: (o, now) => {
    const s = o as EndpointSlice;
    const max = 3;
    const ports: string[] = [];
    let pmore = false;
    let pcount = 0;
    for (const p of s.ports ?? []) {
      if (ports.length < max) ports.push(p.port !== undefined && p.port !== null ? String(p.port) : p.name !== undefined ? p.name : '*');
      else if (ports.length === max) pmore = true;
      pcount++;
    }
    const eps: string[] = [];
    let emore = false;
    let ecount = 0;
    for (const e of Array.isArray(s.endpoints) ? s.endpoints : []) {
      for (const a of e?.addresses ?? []) {
        if (eps.length < max) eps.push(a);
        else if (eps.length === max) emore = true;
        ecount++;
      }
    }
    return [s.metadata?.name ?? '', s.addressType ?? '', listWithMore(ports, pmore, pcount, max), listWithMore(eps, emore, ecount, max), age(o, now)];
  },
};

// ---------------------------------------------------------------------------------------------
// Workloads
// ---------------------------------------------------------------------------------------------

const containersCol = () => col('Containers', 'Names of each container in the template.', { priority: 1 });
const imagesCol = () => col('Images', 'Images referenced by each container in the template.', { priority: 1 });

function labelSelectorString(sel: LabelSelector | undefined): string {
  try {
    return selectorFromLabelSelector(sel).toString();
  } catch {
    return '<invalid>';
  }
}

const deploymentPrinter: Printer = {
  columns: [
    nameCol(),
    col('Ready', 'Number of the pod with ready state'),
    col('Up-to-date', 'Total number of non-terminating pods targeted by this deployment that have the desired template spec.'),
    col('Available', 'Total number of available non-terminating pods (ready for at least minReadySeconds) targeted by this deployment.'),
    ageCol(),
    containersCol(),
    imagesCol(),
    col('Selector', 'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment. It must match the pod template\'s labels.', { priority: 1 }),
  ],
  cells: (o, now) => {
    const d = o as Deployment;
    const st = d.status ?? {};
    const [cs, is] = containersAndImages(d.spec?.template?.spec?.containers);
    return [
      d.metadata?.name ?? '',
      `${st.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`,
      st.updatedReplicas ?? 0,
      st.availableReplicas ?? 0,
      age(o, now),
      cs,
      is,
      labelSelectorString(d.spec?.selector),
    ];
  },
};

const replicaSetPrinter: Printer = {
  columns: [
    nameCol(),
    col('Desired', 'Replicas is the number of desired pods.', { type: 'integer' }),
    col('Current', 'Replicas is the most recently observed number of non-terminating pods.', { type: 'integer' }),
    col('Ready', 'The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition.', { type: 'integer' }),
    ageCol(),
    containersCol(),
    imagesCol(),
    col('Selector', 'Selector is a label query over pods that should match the replica count.', { priority: 1 }),
  ],
  cells: (o, now) => {
    const rs = o as ReplicaSet;
    const [cs, is] = containersAndImages(rs.spec?.template?.spec?.containers);
    return [rs.metadata?.name ?? '', rs.spec?.replicas ?? 0, rs.status?.replicas ?? 0, rs.status?.readyReplicas ?? 0, age(o, now), cs, is, labelSelectorString(rs.spec?.selector)];
  },
};

const replicationControllerPrinter: Printer = {
  columns: [
    nameCol(),
    col('Desired', 'Replicas is the number of desired replicas.', { type: 'integer' }),
    col('Current', 'Replicas is the most recently observed number of replicas.', { type: 'integer' }),
    col('Ready', 'The number of ready replicas for this replication controller.', { type: 'integer' }),
    ageCol(),
    containersCol(),
    imagesCol(),
    col('Selector', 'Selector is a label query over pods that should match the Replicas count.', { priority: 1 }),
  ],
  cells: (o, now) => {
    const rc = o as ReplicationController;
    const [cs, is] = containersAndImages(rc.spec?.template?.spec?.containers);
    return [rc.metadata?.name ?? '', rc.spec?.replicas ?? 0, rc.status?.replicas ?? 0, rc.status?.readyReplicas ?? 0, age(o, now), cs, is, formatLabels(rc.spec?.selector)];
  },
};

const hpaPrinter: Printer = {
  columns: [
    nameCol(),
    col('Reference', 'scaleTargetRef points to the target resource to scale, and is used to the pods for which metrics should be collected, as well as to actually change the replica count.'),
    col('Targets', 'metrics contains the specifications for which to use to calculate the desired replica count (the maximum replica count across all metrics will be used).'),
    col('MinPods', 'minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.'),
    col('MaxPods', 'maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up.'),
    col('Replicas', 'currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by the autoscaler.'),
    ageCol(),
  ],
  cells: (o, now) => {
    const h = o as HorizontalPodAutoscaler;
    const ref = h.spec?.scaleTargetRef;
    const target = h.spec?.targetCPUUtilizationPercentage ?? 80;
    const cur = h.status?.currentCPUUtilizationPercentage;
    const targets = `cpu: ${cur === undefined || cur === null ? '<unknown>' : `${cur}%`}/${target}%`;
    return [
      h.metadata?.name ?? '',
      `${ref?.kind ?? ''}/${ref?.name ?? ''}`,
      targets,
      h.spec?.minReplicas !== undefined ? String(h.spec.minReplicas) : '<unset>',
      h.spec?.maxReplicas ?? 0,
      h.status?.currentReplicas ?? 0,
      age(o, now),
    ];
  },
};

// ---------------------------------------------------------------------------------------------
// Cluster objects and the rest
// ---------------------------------------------------------------------------------------------

function nodeRoles(n: Node): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(n.metadata?.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const r = k.slice('node-role.kubernetes.io/'.length);
      if (r) roles.add(r);
    } else if (k === 'kubernetes.io/role' && v) roles.add(v);
  }
  return [...roles].sort().join(',') || '<none>';
}

const nodePrinter: Printer = {
  columns: [
    nameCol(),
    col('Status', 'The status of the node'),
    col('Roles', 'The roles of the node'),
    ageCol(),
    col('Version', 'Kubelet Version reported by the node.'),
    col('Internal-IP', 'List of addresses reachable to the node.', { priority: 1 }),
    col('External-IP', 'List of addresses reachable to the node.', { priority: 1 }),
    col('OS-Image', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', { priority: 1 }),
    col('Kernel-Version', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", { priority: 1 }),
    col('Container-Runtime', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', { priority: 1 }),
  ],
  cells: (o, now) => {
    const n = o as Node;
    const status: string[] = [];
    const ready = (n.status?.conditions ?? []).filter((c) => c.type === 'Ready').pop();
    if (ready) status.push(ready.status === 'True' ? 'Ready' : 'NotReady');
    if (status.length === 0) status.push('Unknown');
    if (n.spec?.unschedulable) status.push('SchedulingDisabled');
    const info = n.status?.nodeInfo;
    const addr = (t: string) => (n.status?.addresses ?? []).find((a) => a.type === t)?.address ?? '<none>';
    return [
      n.metadata?.name ?? '',
      status.join(','),
      nodeRoles(n),
      age(o, now),
      info?.kubeletVersion ?? '',
      addr('InternalIP'),
      addr('ExternalIP'),
      info?.osImage || '<unknown>',
      info?.kernelVersion || '<unknown>',
      info?.containerRuntimeVersion || '<unknown>',
    ];
  },
};

const namespacePrinter: Printer = {
  columns: [nameCol(), col('Status', 'The status of the namespace'), ageCol()],
  cells: (o, now) => [o.metadata?.name ?? '', (o as Namespace).status?.phase ?? '', age(o, now)],
};

function eventTarget(e: Event): string {
  const io = e.involvedObject ?? {};
  const kind = (io.kind ?? '').toLowerCase();
  return io.name ? `${kind}/${io.name}` : kind;
}

const eventPrinter: Printer = {
  columns: [
    col('Last Seen', 'The time at which the most recent occurrence of this event was recorded.'),
    col('Type', 'Type of this event (Normal, Warning), new types could be added in the future'),
    col('Reason', "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
    col('Object', 'The object that this event is about.'),
    col('Subobject', 'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].', { priority: 1 }),
    col('Source', 'The component reporting this event. Should be a short machine understandable string.', { priority: 1 }),
    col('Message', 'A human-readable description of the status of this operation.'),
    col('First Seen', 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)', { priority: 1 }),
    col('Count', 'The number of times this event has occurred.', { priority: 1 }),
    col('Name', NAME_DESC, { priority: 1, format: 'name' }),
  ],
  cells: (o, now) => {
    const e = o as Event;
    let first = since(e.firstTimestamp, now);
    if (!e.firstTimestamp) first = since(e.eventTime, now);
    let last = e.lastTimestamp ? since(e.lastTimestamp, now) : first;
    let count = e.count ?? 0;
    if (e.series) {
      last = since(e.series.lastObservedTime, now);
      count = e.series.count ?? 0;
    } else if (count === 0) count = 1;
    const component = e.source?.component || e.reportingComponent || '';
    const instance = e.source?.host || e.reportingInstance || '';
    const source = instance ? `${component}, ${instance}` : component;
    return [last, e.type ?? '', e.reason ?? '', eventTarget(e), e.involvedObject?.fieldPath ?? '', source, (e.message ?? '').trim(), first, count, e.metadata?.name ?? ''];
  },
};

const configMapPrinter: Printer = {
  columns: [nameCol(), col('Data', 'Data contains the configuration data.', { type: 'integer' }), ageCol()],
  cells: (o, now) => {
    const c = o as ConfigMap;
    return [c.metadata?.name ?? '', Object.keys(c.data ?? {}).length + Object.keys(c.binaryData ?? {}).length, age(o, now)];
  },
};

const secretPrinter: Printer = {
  columns: [nameCol(), col('Type', 'Used to facilitate programmatic handling of secret data.'), col('Data', 'Data contains the secret data.', { type: 'integer' }), ageCol()],
  cells: (o, now) => {
    const s = o as Secret;
    return [s.metadata?.name ?? '', s.type ?? '', Object.keys(s.data ?? {}).length, age(o, now)];
  },
};

const serviceAccountPrinter: Printer = {
  columns: [nameCol(), col('Secrets', 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.', { type: 'integer' }), ageCol()],
  cells: (o, now) => [o.metadata?.name ?? '', ((o as ServiceAccount).secrets ?? []).length, age(o, now)],
};

const leasePrinter: Printer = {
  columns: [nameCol(), col('Holder', 'holderIdentity contains the identity of the holder of a current lease.'), ageCol()],
  cells: (o, now) => [o.metadata?.name ?? '', (o as Lease).spec?.holderIdentity ?? '', age(o, now)],
};

export const printers: Record<string, Printer> = {
  Pod: podPrinter,
  Service: servicePrinter,
  Endpoints: endpointsPrinter,
  EndpointSlice: endpointSlicePrinter,
  Deployment: deploymentPrinter,
  ReplicaSet: replicaSetPrinter,
  ReplicationController: replicationControllerPrinter,
  HorizontalPodAutoscaler: hpaPrinter,
  Node: nodePrinter,
  Namespace: namespacePrinter,
  Event: eventPrinter,
  ConfigMap: configMapPrinter,
  Secret: secretPrinter,
  ServiceAccount: serviceAccountPrinter,
  Lease: leasePrinter,
};
