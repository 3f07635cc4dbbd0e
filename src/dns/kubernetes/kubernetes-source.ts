/**
 * Wires Service / EndpointSlice (and optionally Pod) informers into the RecordStore. Each
 * event recomputes exactly one Service's records (and the apex when the DNS Service itself
 * changed); answers are rebuilt synchronously inside the handler, so the first query after
 * the event is already correct. Pods are only indexed by IP (for `pods verified` and
 * autopath): name, namespace, IPs — never the whole object.
 */
import type { EndpointSlice, Pod, Service } from '../../api/types.js';
import type { Informer } from '../../client/types.js';
import type { RecordStore } from '../answers/record-store.js';
import { canonicalIP } from '../wire/ip.js';
import { apexRecords, serviceRecords } from './records.js';
import { serviceView, sliceServiceName, sliceView, type ServiceView, type SliceView } from './views.js';

export interface KubernetesSourceOptions {
  zone: string;
  ttl: number;
  store: RecordStore;
  services: Informer<Service>;
  endpointSlices: Informer<EndpointSlice>;
  /** Needed for `--pods verified` and autopath (client pod → namespace). */
  pods?: Informer<Pod>;
  /** The Service whose cluster IPs the apex NS points at (`ns.dns.<zone>`). Default kube-system/kube-dns. */
  dnsService?: { namespace: string; name: string };
  /** SOA serial; default: seconds since the epoch at construction. */
  serial?: number;
}

const APEX_OWNER = '\u0000apex';

function key(ns: string | undefined, name: string | undefined): string {
  return `${ns ?? ''}/${name ?? ''}`;
}

export class KubernetesSource {
  private readonly services = new Map<string, ServiceView>();
  /** service key → slice key → view */
  private readonly slices = new Map<string, Map<string, SliceView>>();
  /** slice key → the service key it was filed under (labels can change). */
  private readonly sliceOwner = new Map<string, string>();
  /**
   * pod IP → `ns/name` of the pod holding it (a Set in the rare case of several: a pod
   * replaced by one that got the same IP before the old one's delete event arrived).
   */
  private readonly podsByIP = new Map<string, string | Set<string>>();
  private readonly dnsServiceKey: string;
  private readonly serial: number;
  private started = false;

  constructor(private readonly options: KubernetesSourceOptions) {
    const d = options.dnsService ?? { namespace: 'kube-system', name: 'kube-dns' };
    this.dnsServiceKey = key(d.namespace, d.name);
    this.serial = options.serial ?? Math.floor(Date.now() / 1000);
  }

  /** Registers the handlers (the caller starts the informers: they may be shared). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.updateApex();
    const o = this.options;
    o.services.addEventHandler({
      onAdd: (s) => this.onService(s),
      onUpdate: (_old, s) => this.onService(s),
      onDelete: (s) => this.onServiceDeleted(s),
    });
    o.endpointSlices.addEventHandler({
      onAdd: (s) => this.onSlice(s),
      onUpdate: (_old, s) => this.onSlice(s),
      onDelete: (s) => this.onSliceDeleted(s),
    });
    o.pods?.addEventHandler({
      onAdd: (p) => this.onPod(p),
      onUpdate: (old, p) => this.onPod(p, old),
      onDelete: (p) => this.onPodDeleted(p),
    });
  }

  hasSynced(): boolean {
    const o = this.options;
    return o.services.hasSynced() && o.endpointSlices.hasSynced() && (o.pods ? o.pods.hasSynced() : true);
  }

  async whenSynced(): Promise<void> {
    const o = this.options;
    await Promise.all([o.services.whenSynced(), o.endpointSlices.whenSynced(), o.pods?.whenSynced()]);
  }

  /** Namespace of the pod holding `ip`, when exactly one does (autopath needs an unambiguous client). */
  podNamespace(ip: string): string | undefined {
    const k = this.podsByIP.get(ip);
    if (typeof k !== 'string') return undefined;
    return k.slice(0, k.indexOf('/'));
  }

  podExists(namespace: string, ip: string): boolean {
    const k = this.podsByIP.get(ip);
    if (k === undefined) return false;
    if (typeof k === 'string') return k.startsWith(`${namespace}/`);
    for (const x of k) if (x.startsWith(`${namespace}/`)) return true;
    return false;
  }

  private updateApex(): void {
    const view = this.services.get(this.dnsServiceKey);
    const { records, emptyNames } = apexRecords(this.options.zone, this.options.ttl, this.serial, view?.ips ?? []);
    this.options.store.setOwner(APEX_OWNER, records, emptyNames);
  }

  private rebuild(svcKey: string): void {
    const view = this.services.get(svcKey);
    if (!view) {
      this.options.store.removeOwner(svcKey);
    } else {
      const { records, emptyNames } = serviceRecords(view, this.slices.get(svcKey)?.values() ?? [], this.options.zone, this.options.ttl);
      this.options.store.setOwner(svcKey, records, emptyNames);
    }
    if (svcKey === this.dnsServiceKey) this.updateApex();
  }

  private onService(s: Service): void {
    const view = serviceView(s);
    if (!view) return;
    const k = key(view.namespace, view.name);
    const before = this.services.get(k);
    this.services.set(k, view);
    if (view.kind !== 'headless') this.dropSlices(k);
    // Views of a non-headless Service's slices are not kept: read them back when it becomes
    // (or is re-created as) headless and none are held.
    else if ((!before || before.kind !== 'headless') && !this.slices.has(k)) this.reloadSlices(k, view.namespace, view.name);
    this.rebuild(k);
  }

  private dropSlices(svcKey: string): void {
    const m = this.slices.get(svcKey);
    if (!m) return;
    for (const sk of m.keys()) this.sliceOwner.delete(sk);
    this.slices.delete(svcKey);
  }

  /** A Service turned headless: its slices' views were dropped, read them back from the informer. */
  private reloadSlices(svcKey: string, namespace: string, name: string): void {
    const m = new Map<string, SliceView>();
    for (const slice of this.options.endpointSlices.store.byIndex('namespace', namespace)) {
      if (sliceServiceName(slice) !== name) continue;
      const v = sliceView(slice);
      if (!v) continue;
      const sk = key(slice.metadata.namespace, slice.metadata.name);
      m.set(sk, v);
      this.sliceOwner.set(sk, svcKey);
    }
    if (m.size > 0) this.slices.set(svcKey, m);
  }

  private onServiceDeleted(s: Service): void {
    const k = key(s.metadata.namespace, s.metadata.name);
    this.services.delete(k);
    this.rebuild(k);
  }

  private onSlice(slice: EndpointSlice): void {
    const sk = key(slice.metadata.namespace, slice.metadata.name);
    const svcName = sliceServiceName(slice);
    const view = sliceView(slice);
    const previous = this.sliceOwner.get(sk);
    const svcKey = svcName ? key(slice.metadata.namespace, svcName) : undefined;
    if (previous && previous !== svcKey) {
      this.slices.get(previous)?.delete(sk);
      this.sliceOwner.delete(sk);
      this.rebuild(previous);
    }
    if (!svcKey || !view) return;
    const svc = this.services.get(svcKey);
    if (svc && svc.kind !== 'headless') {
      // Only headless Services answer from endpoints; drop the view (memory at 100k pods)
      // and re-read the informer's store if the Service ever becomes headless.
      this.dropSlices(svcKey);
      return;
    }
    let m = this.slices.get(svcKey);
    if (!m) this.slices.set(svcKey, (m = new Map()));
    m.set(sk, view);
    this.sliceOwner.set(sk, svcKey);
    this.rebuild(svcKey);
  }

  private onSliceDeleted(slice: EndpointSlice): void {
    const sk = key(slice.metadata.namespace, slice.metadata.name);
    const svcKey = this.sliceOwner.get(sk);
    if (!svcKey) return;
    this.sliceOwner.delete(sk);
    const m = this.slices.get(svcKey);
    m?.delete(sk);
    if (m && m.size === 0) this.slices.delete(svcKey);
    this.rebuild(svcKey);
  }

  private static podIPs(p: Pod): string[] {
    const ips: string[] = [];
    const status = p.status as { podIP?: string; podIPs?: { ip: string }[] } | undefined;
    for (const raw of [...(status?.podIPs?.map((x) => x.ip) ?? []), ...(status?.podIP ? [status.podIP] : [])]) {
      const c = canonicalIP(raw);
      if (c && !ips.includes(c)) ips.push(c);
    }
    return ips;
  }

  private onPod(p: Pod, old?: Pod): void {
    const pk = key(p.metadata.namespace, p.metadata.name);
    if (old) for (const ip of KubernetesSource.podIPs(old)) this.unindexPodIP(ip, pk);
    for (const ip of KubernetesSource.podIPs(p)) {
      const cur = this.podsByIP.get(ip);
      if (cur === undefined || cur === pk) this.podsByIP.set(ip, pk);
      else if (typeof cur === 'string') this.podsByIP.set(ip, new Set([cur, pk]));
      else cur.add(pk);
    }
  }

  private onPodDeleted(p: Pod): void {
    const pk = key(p.metadata.namespace, p.metadata.name);
    for (const ip of KubernetesSource.podIPs(p)) this.unindexPodIP(ip, pk);
  }

  private unindexPodIP(ip: string, pk: string): void {
    const cur = this.podsByIP.get(ip);
    if (cur === pk) this.podsByIP.delete(ip);
    else if (cur instanceof Set) {
      cur.delete(pk);
      if (cur.size === 1) this.podsByIP.set(ip, [...cur][0]!);
    }
  }
}
