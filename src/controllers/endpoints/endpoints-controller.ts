/**
 * Keeps the legacy core/v1 Endpoints object of every Service with a selector: ready pods under
 * `addresses`, unready ones under `notReadyAddresses` (all under `addresses` with
 * publishNotReadyAddresses), subsets grouped by the ports each pod resolves, terminating pods
 * left out (unless publishNotReadyAddresses). More than `maxEndpoints` (1,000) addresses are
 * truncated, ready ones kept first, and the object is annotated
 * `endpoints.kubernetes.io/over-capacity: truncated`. Selector-less Services are left to the user.
 */
import { objectKey } from '../../api/meta.js';
import { isAlreadyExists, isNotFound } from '../../api/status-error.js';
import type { EndpointAddress, EndpointPort, Endpoints, EndpointSubset, Pod, Service } from '../../api/types.js';
import type { SharedInformer } from '../../client/informer/shared-informer.js';
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

export const OVER_CAPACITY_ANNOTATION = 'endpoints.kubernetes.io/over-capacity';

export interface EndpointsControllerOptions {
  maxEndpoints?: number;
  workers?: number;
}

const byIp = (a: EndpointAddress, b: EndpointAddress) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0);

export class EndpointsController implements Controller {
  readonly name = 'endpoints';
  readonly worker: QueueWorker;
  private readonly services: SharedInformer<Service>;
  private readonly pods: SharedInformer<Pod>;
  private readonly endpoints: SharedInformer<Endpoints>;
  private readonly maxEndpoints: number;
  /** Our last write per key, until the informer catches up. */
  private readonly written = new Map<string, Endpoints>();

  constructor(
    private readonly ctx: ControllerContext,
    opts: EndpointsControllerOptions = {},
  ) {
    this.maxEndpoints = opts.maxEndpoints ?? 1000;
    this.services = ctx.informers.informerFor<Service>(R.services);
    this.pods = ctx.informers.informerFor<Pod>(R.pods);
    this.endpoints = ctx.informers.informerFor<Endpoints>(R.endpoints);
    addServiceSelectorIndex(this.services);
    addPodLabelIndex(this.pods);
    this.worker = new QueueWorker({
      name: this.name,
      sync: (key) => this.sync(key),
      informers: [this.services, this.pods, this.endpoints],
      workers: opts.workers ?? 4,
      clock: ctx.clock,
      logger: ctx.logger,
      metrics: ctx.metrics,
    });
  }

  async start(): Promise<void> {
    enqueueServicesOnChanges({ services: this.services, pods: this.pods, enqueue: (key) => this.worker.enqueue(key) });
    const epSeen = (e: Endpoints) => {
      const key = objectKey(e.metadata);
      const mine = this.written.get(key);
      if (mine && !rvNewer(mine.metadata.resourceVersion, e.metadata.resourceVersion)) this.written.delete(key);
      else if (!mine && this.services.store.get(key)) this.worker.enqueue(key);
    };
    this.endpoints.addEventHandler({
      onAdd: epSeen,
      onUpdate: (_o, n) => epSeen(n),
      onDelete: (e) => {
        const key = objectKey(e.metadata);
        this.written.delete(key);
        if (this.services.store.get(key)) this.worker.enqueue(key);
      },
    });
    void this.worker.start();
  }

  async stop(): Promise<void> {
    await this.worker.stop();
  }

  private current(key: string): Endpoints | undefined {
    const seen = this.endpoints.store.get(key);
    const mine = this.written.get(key);
    if (mine && (!seen || rvNewer(mine.metadata.resourceVersion, seen.metadata.resourceVersion))) return mine;
    return seen;
  }

  /** Subsets for the pods a Service selects, truncated to maxEndpoints; `truncated` says whether it was. */
  desiredSubsets(svc: Service, sel: Record<string, string>): { subsets: EndpointSubset[]; truncated: boolean } {
    const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
    const groups = new Map<string, { ports: EndpointPort[]; ready: EndpointAddress[]; notReady: EndpointAddress[] }>();
    for (const pod of podsSelectedBy(this.pods, svc.metadata.namespace ?? '', sel)) {
      if (!podHasAddress(pod)) continue;
      if (pod.metadata.deletionTimestamp && !publishNotReady) continue;
      const ports: EndpointPort[] = [];
      for (const sp of svc.spec?.ports ?? []) {
        const port = resolveTargetPort(pod, sp);
        if (port === undefined) continue;
        const p: EndpointPort = { port, protocol: sp.protocol ?? 'TCP' };
        if (sp.name) p.name = sp.name;
        if (sp.appProtocol) p.appProtocol = sp.appProtocol;
        ports.push(p);
      }
      // A pod that resolves none of several ports has no endpoint (a headless Service without ports keeps them).
      if (ports.length === 0 && (svc.spec?.ports?.length ?? 0) > 0) continue;
      ports.sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '') || a.port - b.port);
      const key = JSON.stringify(ports);
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { ports, ready: [], notReady: [] }));
      const addr: EndpointAddress = { ip: pod.status!.podIP! };
      const hostname = endpointHostname(pod, svc);
      if (hostname) addr.hostname = hostname;
      if (pod.spec?.nodeName) addr.nodeName = pod.spec.nodeName;
      addr.targetRef = { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid };
      if (publishNotReady || isPodReady(pod)) g.ready.push(addr);
      else g.notReady.push(addr);
    }
    const ordered = [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, g]) => g);
    let total = 0;
    for (const g of ordered) total += g.ready.length + g.notReady.length;
    let budget = this.maxEndpoints;
    const truncated = total > budget;
    for (const g of ordered) {
      g.ready.sort(byIp);
      g.notReady.sort(byIp);
    }
    if (truncated) {
      for (const g of ordered) {
        g.ready = g.ready.slice(0, Math.max(0, budget));
        budget -= g.ready.length;
      }
      for (const g of ordered) {
        g.notReady = g.notReady.slice(0, Math.max(0, budget));
        budget -= g.notReady.length;
      }
    }
    const subsets: EndpointSubset[] = [];
    for (const g of ordered) {
      if (g.ready.length === 0 && g.notReady.length === 0) continue;
      const s: EndpointSubset = {};
      if (g.ready.length) s.addresses = g.ready;
      if (g.notReady.length) s.notReadyAddresses = g.notReady;
      if (g.ports.length) s.ports = g.ports;
      subsets.push(s);
    }
    return { subsets, truncated };
  }

  async sync(key: string): Promise<void> {
    const [namespace, name] = key.split('/');
    const svc = this.services.store.get(key);
    if (!svc) {
      // The Service is gone: its Endpoints go too (unless someone else's, which we cannot tell; Kubernetes deletes it).
      if (this.current(key)) {
        try {
          await this.ctx.client.delete(R.endpoints, name, namespace);
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
        this.written.delete(key);
      }
      return;
    }
    const sel = serviceSelector(svc);
    if (!sel) return;
    const { subsets, truncated } = this.desiredSubsets(svc, sel);
    const labels = endpointLabels(svc);
    const cur = this.current(key);
    const annotations: Record<string, string> = { ...(cur?.metadata.annotations ?? {}) };
    if (truncated) annotations[OVER_CAPACITY_ANNOTATION] = 'truncated';
    else delete annotations[OVER_CAPACITY_ANNOTATION];
    if (cur && sameJson(cur.subsets ?? [], subsets) && sameJson(cur.metadata.labels ?? {}, labels) && sameJson(cur.metadata.annotations ?? {}, annotations)) return;
    const body: Endpoints = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { ...(cur?.metadata ?? { name, namespace }), labels, annotations },
      subsets,
    };
    if (Object.keys(annotations).length === 0) delete body.metadata.annotations;
    let out: Endpoints;
    if (cur) {
      out = await this.ctx.client.update(R.endpoints, body);
    } else {
      try {
        out = await this.ctx.client.create(R.endpoints, body);
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        const live = await this.ctx.client.get<Endpoints>(R.endpoints, name, namespace);
        out = await this.ctx.client.update(R.endpoints, { ...body, metadata: { ...live.metadata, labels, annotations: body.metadata.annotations } });
      }
    }
    this.written.set(key, out);
  }
}
