/**
 * Keeps the EndpointSlices of every Service with a selector equal to the addresses of the
 * pods it selects (discovery.k8s.io/v1, as kube-controller-manager's endpointslice
 * controller): conditions ready/serving/terminating, named targetPorts resolved per pod (pods
 * whose ports resolve differently land in different slices), hostname for pods whose
 * subdomain names the Service, nodeName, targetRef, at most `maxEndpointsPerSlice` (100) per
 * slice. Endpoints stay in the slice they are in when possible, so a change rewrites one slice.
 *
 * Stale cache: the slice informer may lag our own writes; `tracker` remembers what we wrote
 * (and deleted) until the informer catches up, so a quick second sync neither duplicates nor
 * resurrects slices.
 */
import { isNotFound } from '../../api/status-error.js';
import type { Endpoint, EndpointSlice, EndpointSlicePort, Pod, Service } from '../../api/types.js';
import type { SharedInformer } from '../../client/informer/shared-informer.js';
import type { Logger } from '../../util/logger.js';
import { QueueWorker } from '../shared/queue-worker.js';
import type { Controller, ControllerContext } from '../shared/controller-context.js';
import {
  addPodLabelIndex,
  addServiceSelectorIndex,
  podsSelectedBy,
  endpointHostname,
  endpointLabels,
  enqueueServicesOnChanges,
  podHasAddress,
  resolveTargetPort,
  rvNewer,
  serviceSelector,
} from '../shared/endpoint-util.js';
import { isPodReady, sameJson } from '../shared/pod-util.js';
import { R } from '../shared/resources.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const MANAGED_BY = 'endpointslice-controller.k8s.io';
const SLICE_SERVICE_INDEX = 'endpointslice-service';

export interface EndpointSliceControllerOptions {
  maxEndpointsPerSlice?: number;
  workers?: number;
}

interface DesiredGroup {
  ports: EndpointSlicePort[];
  endpoints: Map<string, Endpoint>;
}

function portsKey(ports: EndpointSlicePort[] | undefined): string {
  return JSON.stringify([...(ports ?? [])].sort((a, b) => `${a.name}/${a.protocol}`.localeCompare(`${b.name}/${b.protocol}`)));
}

function sortEndpoints(eps: Endpoint[]): Endpoint[] {
  return eps.sort((a, b) => (a.addresses[0] < b.addresses[0] ? -1 : a.addresses[0] > b.addresses[0] ? 1 : 0));
}

export class EndpointSliceController implements Controller {
  readonly name = 'endpointslice';
  readonly worker: QueueWorker;
  private readonly services: SharedInformer<Service>;
  private readonly pods: SharedInformer<Pod>;
  private readonly slices: SharedInformer<EndpointSlice>;
  private readonly maxPerSlice: number;
  private readonly log: Logger;
  /** Slices we wrote, by name, until the informer shows that version (or newer). */
  private readonly written = new Map<string, EndpointSlice>();
  /** service key → keys of `written` slices */
  private readonly writtenByService = new Map<string, Set<string>>();
  /** Slices we deleted, by name, until the informer shows the deletion. */
  private readonly deleted = new Set<string>();

  constructor(
    private readonly ctx: ControllerContext,
    opts: EndpointSliceControllerOptions = {},
  ) {
    this.maxPerSlice = opts.maxEndpointsPerSlice ?? 100;
    this.log = ctx.logger;
    this.services = ctx.informers.informerFor<Service>(R.services);
    this.pods = ctx.informers.informerFor<Pod>(R.pods);
    this.slices = ctx.informers.informerFor<EndpointSlice>(R.endpointSlices);
    addServiceSelectorIndex(this.services);
    addPodLabelIndex(this.pods);
    if (!this.slices.hasIndex(SLICE_SERVICE_INDEX)) {
      this.slices.addIndex(SLICE_SERVICE_INDEX, (s) =>
        s.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY && s.metadata.labels[SERVICE_NAME_LABEL] ? [`${s.metadata.namespace}/${s.metadata.labels[SERVICE_NAME_LABEL]}`] : [],
      );
    }
    this.worker = new QueueWorker({
      name: this.name,
      sync: (key) => this.sync(key),
      informers: [this.services, this.pods, this.slices],
      workers: opts.workers ?? 4,
      clock: ctx.clock,
      logger: ctx.logger,
      metrics: ctx.metrics,
    });
  }

  async start(): Promise<void> {
    enqueueServicesOnChanges({ services: this.services, pods: this.pods, enqueue: (key) => this.worker.enqueue(key) });
    this.slices.addEventHandler({
      onAdd: (s) => this.sliceSeen(s),
      onUpdate: (_o, s) => this.sliceSeen(s),
      onDelete: (s) => {
        const name = s.metadata.name ?? '';
        this.deleted.delete(`${s.metadata.namespace}/${name}`);
        this.written.delete(`${s.metadata.namespace}/${name}`);
        const svc = s.metadata.labels?.[SERVICE_NAME_LABEL];
        if (s.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY && svc) this.worker.enqueue(`${s.metadata.namespace}/${svc}`);
      },
    });
    void this.worker.start();
  }

  async stop(): Promise<void> {
    await this.worker.stop();
  }

  private sliceSeen(s: EndpointSlice): void {
    const key = `${s.metadata.namespace}/${s.metadata.name}`;
    const mine = this.written.get(key);
    if (mine && !rvNewer(mine.metadata.resourceVersion, s.metadata.resourceVersion)) this.written.delete(key);
    // Someone else changed a slice we manage: put it back.
    const svc = s.metadata.labels?.[SERVICE_NAME_LABEL];
    if (!mine && s.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY && svc) this.worker.enqueue(`${s.metadata.namespace}/${svc}`);
  }

  /** The managed slices of a Service as we last know them (informer, corrected by our writes). */
  private currentSlices(namespace: string, serviceKey: string): EndpointSlice[] {
    const out = new Map<string, EndpointSlice>();
    for (const s of this.slices.store.byIndex(SLICE_SERVICE_INDEX, serviceKey)) out.set(`${namespace}/${s.metadata.name}`, s);
    for (const key of this.writtenByService.get(serviceKey) ?? []) {
      const s = this.written.get(key);
      if (!s) {
        this.writtenByService.get(serviceKey)?.delete(key);
        continue;
      }
      const seen = out.get(key);
      if (!seen || rvNewer(s.metadata.resourceVersion, seen.metadata.resourceVersion)) out.set(key, s);
    }
    for (const key of this.deleted) out.delete(key);
    return [...out.values()];
  }

  private desiredGroups(svc: Service, sel: Record<string, string>): Map<string, DesiredGroup> {
    const groups = new Map<string, DesiredGroup>();
    const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
    for (const pod of podsSelectedBy(this.pods, svc.metadata.namespace ?? '', sel)) {
      if (!podHasAddress(pod)) continue;
      const ip = pod.status!.podIP!;
      if (ip.includes(':')) continue; // IPv4 slices only
      const ports: EndpointSlicePort[] = [];
      for (const sp of svc.spec?.ports ?? []) {
        const port = resolveTargetPort(pod, sp);
        if (port === undefined) continue;
        const p: EndpointSlicePort = { name: sp.name ?? '', protocol: sp.protocol ?? 'TCP', port };
        if (sp.appProtocol) p.appProtocol = sp.appProtocol;
        ports.push(p);
      }
      const key = portsKey(ports);
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { ports, endpoints: new Map() }));
      const terminating = !!pod.metadata.deletionTimestamp;
      const serving = publishNotReady || isPodReady(pod);
      const ep: Endpoint = {
        addresses: [ip],
        conditions: { ready: publishNotReady || (serving && !terminating), serving, terminating },
      };
      const hostname = endpointHostname(pod, svc);
      if (hostname) ep.hostname = hostname;
      ep.targetRef = { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid };
      if (pod.spec?.nodeName) ep.nodeName = pod.spec.nodeName;
      g.endpoints.set(ip, ep);
    }
    return groups;
  }

  async sync(key: string): Promise<void> {
    const [namespace, name] = key.split('/');
    const svc = this.services.store.get(key);
    const existing = this.currentSlices(namespace, key);
    if (!svc || svc.metadata.deletionTimestamp) {
      for (const s of existing) await this.deleteSlice(s);
      return;
    }
    const sel = serviceSelector(svc);
    if (!sel) return; // selector-less: the user's slices, not ours
    const groups = this.desiredGroups(svc, sel);
    const labels: Record<string, string> = { ...endpointLabels(svc), [SERVICE_NAME_LABEL]: name, [MANAGED_BY_LABEL]: MANAGED_BY };
    const owner = { apiVersion: 'v1', kind: 'Service', name, uid: svc.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };

    type Plan = { slice?: EndpointSlice; ports: EndpointSlicePort[]; endpoints: Endpoint[] };
    const plans: Plan[] = [];
    const byPorts = new Map<string, EndpointSlice[]>();
    for (const s of existing) {
      const k = portsKey(s.ports);
      const list = byPorts.get(k) ?? [];
      list.push(s);
      byPorts.set(k, list);
    }
    const unused: EndpointSlice[] = [];
    for (const [k, list] of byPorts) if (!groups.has(k)) unused.push(...list);
    for (const [k, g] of groups) {
      const placed = new Set<string>();
      const groupPlans: Plan[] = [];
      for (const s of byPorts.get(k) ?? []) {
        const eps: Endpoint[] = [];
        for (const e of s.endpoints ?? []) {
          const ip = e.addresses?.[0];
          const want = ip !== undefined ? g.endpoints.get(ip) : undefined;
          if (want && !placed.has(ip) && eps.length < this.maxPerSlice) {
            eps.push(want);
            placed.add(ip);
          }
        }
        groupPlans.push({ slice: s, ports: g.ports, endpoints: eps });
      }
      const rest = [...g.endpoints.entries()].filter(([ip]) => !placed.has(ip)).map(([, e]) => e);
      // Fill existing slices with room first, fullest first (fewer slices over time).
      groupPlans.sort((a, b) => b.endpoints.length - a.endpoints.length);
      for (const p of groupPlans) while (rest.length && p.endpoints.length < this.maxPerSlice) p.endpoints.push(rest.shift()!);
      while (rest.length) groupPlans.push({ ports: g.ports, endpoints: rest.splice(0, this.maxPerSlice) });
      for (const p of groupPlans) {
        if (p.endpoints.length === 0 && p.slice) unused.push(p.slice);
        else plans.push(p);
      }
    }
    // A Service with no endpoints keeps one empty placeholder slice, as Kubernetes does.
    if (plans.length === 0) plans.push({ slice: unused.shift(), ports: [], endpoints: [] });

    for (const p of plans) {
      const endpoints = sortEndpoints(p.endpoints);
      if (p.slice) {
        const s = p.slice;
        if (sameJson(sortEndpoints([...(s.endpoints ?? [])]), endpoints) && portsKey(s.ports) === portsKey(p.ports) && sameJson(s.metadata.labels, labels) && s.metadata.ownerReferences?.[0]?.uid === owner.uid) continue;
        const next: EndpointSlice = { ...s, metadata: { ...s.metadata, labels, ownerReferences: [owner] }, ports: p.ports, endpoints };
        await this.write(next, 'update');
      } else {
        const next: EndpointSlice = {
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSlice',
          metadata: { generateName: `${name.slice(0, 56)}-`, namespace, labels, ownerReferences: [owner] },
          addressType: 'IPv4',
          ports: p.ports,
          endpoints,
        };
        await this.write(next, 'create');
      }
    }
    for (const s of unused) await this.deleteSlice(s);
  }

  private async write(slice: EndpointSlice, verb: 'create' | 'update'): Promise<void> {
    const out = verb === 'create' ? await this.ctx.client.create(R.endpointSlices, slice) : await this.ctx.client.update(R.endpointSlices, slice);
    const key = `${out.metadata.namespace}/${out.metadata.name}`;
    this.written.set(key, out);
    const svcKey = `${out.metadata.namespace}/${out.metadata.labels?.[SERVICE_NAME_LABEL]}`;
    let set = this.writtenByService.get(svcKey);
    if (!set) this.writtenByService.set(svcKey, (set = new Set()));
    set.add(key);
  }

  private async deleteSlice(s: EndpointSlice): Promise<void> {
    const key = `${s.metadata.namespace}/${s.metadata.name}`;
    try {
      await this.ctx.client.delete(R.endpointSlices, s.metadata.name ?? '', s.metadata.namespace);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    this.written.delete(key);
    this.deleted.add(key);
    this.log.debug({ slice: key }, 'endpointslice deleted');
  }
}
