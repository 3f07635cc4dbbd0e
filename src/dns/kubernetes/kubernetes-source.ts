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
  /** pod IP → pod keys (`ns/name`) holding it. */
  private readonly podsByIP = new Map<string, Set<string>>();
  private readonly podIPs = new Map<string, string[]>();
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
      onUpdate: (_old, p) => this.onPod(p),
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
    const keys = this.podsByIP.get(ip);
    if (!keys || keys.size !== 1) return undefined;
    const [k] = keys;
    return k!.slice(0, k!.indexOf('/'));
  }

  podExists(namespace: string, ip: string): boolean {
    const keys = this.podsByIP.get(ip);
    if (!keys) return false;
    for (const k of keys) if (k.startsWith(`${namespace}/`)) return true;
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
    this.services.set(k, view);
    this.rebuild(k);
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

  private onPod(p: Pod): void {
    const pk = key(p.metadata.namespace, p.metadata.name);
    const ips: string[] = [];
    const status = p.status as { podIP?: string; podIPs?: { ip: string }[] } | undefined;
    for (const raw of [...(status?.podIPs?.map((x) => x.ip) ?? []), ...(status?.podIP ? [status.podIP] : [])]) {
      const c = canonicalIP(raw);
      if (c && !ips.includes(c)) ips.push(c);
    }
    this.unindexPod(pk);
    if (ips.length === 0) return;
    this.podIPs.set(pk, ips);
    for (const ip of ips) {
      let s = this.podsByIP.get(ip);
      if (!s) this.podsByIP.set(ip, (s = new Set()));
      s.add(pk);
    }
  }

  private onPodDeleted(p: Pod): void {
    this.unindexPod(key(p.metadata.namespace, p.metadata.name));
  }

  private unindexPod(pk: string): void {
    const old = this.podIPs.get(pk);
    if (!old) return;
    this.podIPs.delete(pk);
    for (const ip of old) {
      const s = this.podsByIP.get(ip);
      s?.delete(pk);
      if (s && s.size === 0) this.podsByIP.delete(ip);
    }
  }
}
