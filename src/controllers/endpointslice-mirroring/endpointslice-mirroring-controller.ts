/**
 * EndpointSlice mirroring (kube-controller-manager's endpointslicemirroring controller): for a
 * Service WITHOUT a selector, the Endpoints object its user maintains is mirrored into
 * EndpointSlices (managed-by `endpointslicemirroring-controller.k8s.io`), because the proxy and
 * DNS read only EndpointSlices. `addresses` become ready endpoints, `notReadyAddresses`
 * unready ones; hostname, nodeName and targetRef are copied; at most 1,000 addresses are
 * mirrored, 100 per slice. Endpoints labelled `endpointslice.kubernetes.io/skip-mirror: "true"`
 * are not mirrored. Mirrored slices go when the Endpoints or the Service goes, or the Service
 * gains a selector.
 */
import { objectKey } from '../../api/meta.js';
import { isNotFound } from '../../api/status-error.js';
import type { Endpoint, EndpointSlice, EndpointSlicePort, Endpoints, Service } from '../../api/types.js';
import type { SharedInformer } from '../../client/informer/shared-informer.js';
import { QueueWorker } from '../shared/queue-worker.js';
import type { Controller, ControllerContext } from '../shared/controller-context.js';
import { rvNewer, serviceSelector } from '../shared/endpoint-util.js';
import { sameJson } from '../shared/pod-util.js';
import { R } from '../shared/resources.js';

export const MIRROR_MANAGED_BY = 'endpointslicemirroring-controller.k8s.io';
export const SKIP_MIRROR_LABEL = 'endpointslice.kubernetes.io/skip-mirror';
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
const MIRROR_INDEX = 'endpointslice-mirror-service';

export interface EndpointSliceMirroringOptions {
  workers?: number;
  maxEndpointsPerSlice?: number;
  maxMirrored?: number;
}

export class EndpointSliceMirroringController implements Controller {
  readonly name = 'endpointslicemirroring';
  readonly worker: QueueWorker;
  private readonly services: SharedInformer<Service>;
  private readonly endpoints: SharedInformer<Endpoints>;
  private readonly slices: SharedInformer<EndpointSlice>;
  private readonly perSlice: number;
  private readonly maxMirrored: number;
  private readonly written = new Map<string, EndpointSlice>();
  private readonly deleted = new Set<string>();

  constructor(
    private readonly ctx: ControllerContext,
    opts: EndpointSliceMirroringOptions = {},
  ) {
    this.perSlice = opts.maxEndpointsPerSlice ?? 100;
    this.maxMirrored = opts.maxMirrored ?? 1000;
    this.services = ctx.informers.informerFor<Service>(R.services);
    this.endpoints = ctx.informers.informerFor<Endpoints>(R.endpoints);
    this.slices = ctx.informers.informerFor<EndpointSlice>(R.endpointSlices);
    if (!this.slices.hasIndex(MIRROR_INDEX)) {
      this.slices.addIndex(MIRROR_INDEX, (s) => (s.metadata.labels?.[MANAGED_BY_LABEL] === MIRROR_MANAGED_BY && s.metadata.labels[SERVICE_NAME_LABEL] ? [`${s.metadata.namespace}/${s.metadata.labels[SERVICE_NAME_LABEL]}`] : []));
    }
    this.worker = new QueueWorker({ name: this.name, sync: (k) => this.sync(k), informers: [this.services, this.endpoints, this.slices], workers: opts.workers ?? 2, clock: ctx.clock, logger: ctx.logger, metrics: ctx.metrics });
  }

  async start(): Promise<void> {
    const enqueue = (o: Service | Endpoints) => this.worker.enqueue(objectKey(o.metadata));
    this.services.addEventHandler({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n), onDelete: enqueue });
    this.endpoints.addEventHandler({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n), onDelete: enqueue });
    const sliceEvent = (s: EndpointSlice, gone = false) => {
      if (s.metadata.labels?.[MANAGED_BY_LABEL] !== MIRROR_MANAGED_BY) return;
      const key = `${s.metadata.namespace}/${s.metadata.name}`;
      const mine = this.written.get(key);
      if (gone) {
        this.written.delete(key);
        this.deleted.delete(key);
      } else if (mine && !rvNewer(mine.metadata.resourceVersion, s.metadata.resourceVersion)) {
        this.written.delete(key);
        return;
      }
      const svc = s.metadata.labels?.[SERVICE_NAME_LABEL];
      if (svc) this.worker.enqueue(`${s.metadata.namespace}/${svc}`);
    };
    this.slices.addEventHandler({ onAdd: (s) => sliceEvent(s), onUpdate: (_o, s) => sliceEvent(s), onDelete: (s) => sliceEvent(s, true) });
    void this.worker.start();
  }

  async stop(): Promise<void> {
    await this.worker.stop();
  }

  private current(key: string): EndpointSlice[] {
    const out = new Map<string, EndpointSlice>();
    for (const s of this.slices.store.byIndex(MIRROR_INDEX, key)) out.set(`${s.metadata.namespace}/${s.metadata.name}`, s);
    for (const [k, s] of this.written) {
      if (`${s.metadata.namespace}/${s.metadata.labels?.[SERVICE_NAME_LABEL]}` !== key) continue;
      const seen = out.get(k);
      if (!seen || rvNewer(s.metadata.resourceVersion, seen.metadata.resourceVersion)) out.set(k, s);
    }
    for (const k of this.deleted) out.delete(k);
    return [...out.values()].sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  }

  /** Desired slices (ports + endpoints) for an Endpoints object. */
  private desired(ep: Endpoints): { ports: EndpointSlicePort[]; endpoints: Endpoint[] }[] {
    const out: { ports: EndpointSlicePort[]; endpoints: Endpoint[] }[] = [];
    let budget = this.maxMirrored;
    for (const subset of ep.subsets ?? []) {
      const ports: EndpointSlicePort[] = (subset.ports ?? []).map((p) => {
        const sp: EndpointSlicePort = { name: p.name ?? '', protocol: p.protocol ?? 'TCP', port: p.port };
        if (p.appProtocol) sp.appProtocol = p.appProtocol;
        return sp;
      });
      const eps: Endpoint[] = [];
      const add = (a: NonNullable<typeof subset.addresses>[number], ready: boolean) => {
        if (budget <= 0 || a.ip.includes(':')) return;
        budget--;
        const e: Endpoint = { addresses: [a.ip], conditions: { ready } };
        if (a.hostname) e.hostname = a.hostname;
        if (a.nodeName) e.nodeName = a.nodeName;
        if (a.targetRef) e.targetRef = a.targetRef;
        eps.push(e);
      };
      for (const a of subset.addresses ?? []) add(a, true);
      for (const a of subset.notReadyAddresses ?? []) add(a, false);
      for (let i = 0; i < eps.length; i += this.perSlice) out.push({ ports, endpoints: eps.slice(i, i + this.perSlice) });
    }
    return out;
  }

  async sync(key: string): Promise<void> {
    const [namespace, name] = key.split('/');
    const svc = this.services.store.get(key);
    const ep = this.endpoints.store.get(key);
    const existing = this.current(key);
    const mirror = !!svc && !serviceSelector(svc) && svc.spec?.type !== 'ExternalName' && !!ep && ep.metadata.labels?.[SKIP_MIRROR_LABEL] !== 'true';
    const want = mirror ? this.desired(ep!) : [];
    const labels: Record<string, string> = { ...(ep?.metadata.labels ?? {}), [SERVICE_NAME_LABEL]: name, [MANAGED_BY_LABEL]: MIRROR_MANAGED_BY };
    delete labels[SKIP_MIRROR_LABEL];
    const owner = ep ? [{ apiVersion: 'v1', kind: 'Endpoints', name, uid: ep.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }] : [];
    for (let i = 0; i < Math.max(want.length, existing.length); i++) {
      const d = want[i];
      const s = existing[i];
      if (d && s) {
        if (sameJson(s.endpoints ?? [], d.endpoints) && sameJson(s.ports ?? [], d.ports) && sameJson(s.metadata.labels, labels)) continue;
        const out = await this.ctx.client.update<EndpointSlice>(R.endpointSlices, { ...s, metadata: { ...s.metadata, labels, ownerReferences: owner }, ports: d.ports, endpoints: d.endpoints });
        this.written.set(`${namespace}/${out.metadata.name}`, out);
      } else if (d) {
        const out = await this.ctx.client.create<EndpointSlice>(R.endpointSlices, {
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSlice',
          metadata: { generateName: `${name.slice(0, 56)}-`, namespace, labels, ownerReferences: owner },
          addressType: 'IPv4',
          ports: d.ports,
          endpoints: d.endpoints,
        });
        this.written.set(`${namespace}/${out.metadata.name}`, out);
      } else if (s) {
        const k = `${namespace}/${s.metadata.name}`;
        try {
          await this.ctx.client.delete(R.endpointSlices, s.metadata.name ?? '', namespace);
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
        this.written.delete(k);
        this.deleted.add(k);
      }
    }
  }
}
