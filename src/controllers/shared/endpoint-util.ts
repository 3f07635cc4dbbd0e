/**
 * What the endpoints and endpointslice controllers agree on: which pods a Service selects,
 * how a Service port's targetPort resolves on a given pod, and whether a pod belongs in the
 * endpoints at all.
 */
import { objectKey } from '../../api/meta.js';
import type { Pod, Service, ServicePort } from '../../api/types.js';
import type { SharedInformer } from '../../client/informer/shared-informer.js';
import { sameJson } from './pod-util.js';

export const SERVICE_SELECTOR_INDEX = 'service-selector-pair';

/** A Service's selector, or undefined when it has none (the user manages its endpoints). */
export function serviceSelector(svc: Service): Record<string, string> | undefined {
  const sel = svc.spec?.selector;
  if (!sel || Object.keys(sel).length === 0) return undefined;
  if (svc.spec?.type === 'ExternalName') return undefined;
  return sel;
}

export function selectorMatches(sel: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  if (!labels) return false;
  for (const k in sel) if (labels[k] !== sel[k]) return false;
  return true;
}

/**
 * Indexes Services by each `key=value` of their selector, so a pod finds the Services that may
 * select it by looking up its own labels instead of scanning every Service.
 */
export function addServiceSelectorIndex(services: SharedInformer<Service>): void {
  if (services.hasIndex(SERVICE_SELECTOR_INDEX)) return;
  services.addIndex(SERVICE_SELECTOR_INDEX, (svc) => {
    const sel = serviceSelector(svc);
    if (!sel) return [];
    return Object.entries(sel).map(([k, v]) => `${svc.metadata.namespace}/${k}=${v}`);
  });
}

/** Services (keys) in the pod's namespace whose selector matches the pod's labels. */
export function servicesSelectingPod(services: SharedInformer<Service>, pod: Pod): Service[] {
  const labels = pod.metadata.labels;
  if (!labels) return [];
  const ns = pod.metadata.namespace;
  const seen = new Set<Service>();
  for (const [k, v] of Object.entries(labels)) {
    for (const svc of services.store.byIndex(SERVICE_SELECTOR_INDEX, `${ns}/${k}=${v}`)) {
      if (seen.has(svc)) continue;
      const sel = serviceSelector(svc);
      if (sel && selectorMatches(sel, labels)) seen.add(svc);
    }
  }
  return [...seen];
}

/**
 * Enqueues the key of every Service a change concerns: the Service itself (resyncs included,
 * they are the controllers' repair path), and for a pod, each Service selecting it now and,
 * after a label change, each that selected it before. A pod update that did not change the
 * object (a resync) is skipped: the Services' own resync covers it.
 */
export function enqueueServicesOnChanges(opts: { services: SharedInformer<Service>; pods: SharedInformer<Pod>; enqueue: (key: string) => void }): void {
  const { services, pods, enqueue } = opts;
  const enqueueSvc = (s: Service) => enqueue(objectKey(s.metadata));
  services.addEventHandler({ onAdd: enqueueSvc, onUpdate: (_o, n) => enqueueSvc(n), onDelete: enqueueSvc });
  const podChanged = (pod: Pod, old?: Pod) => {
    for (const svc of servicesSelectingPod(services, pod)) enqueueSvc(svc);
    if (old && !sameJson(old.metadata.labels, pod.metadata.labels)) for (const svc of servicesSelectingPod(services, old)) enqueueSvc(svc);
  };
  pods.addEventHandler({
    onAdd: (p) => podChanged(p),
    onUpdate: (o, n) => {
      if (o.metadata.resourceVersion !== n.metadata.resourceVersion) podChanged(n, o);
    },
    onDelete: (p) => podChanged(p),
  });
}

export const POD_LABEL_INDEX = 'pod-label-pair';

/** Indexes pods by each `namespace/key=value` label pair, so a Service finds its pods without a namespace scan. */
export function addPodLabelIndex(pods: SharedInformer<Pod>): void {
  if (pods.hasIndex(POD_LABEL_INDEX)) return;
  pods.addIndex(POD_LABEL_INDEX, (p) => Object.entries(p.metadata.labels ?? {}).map(([k, v]) => `${p.metadata.namespace}/${k}=${v}`));
}

/** Pods in the Service's namespace matching its selector, read from the smallest label bucket. */
export function podsSelectedBy(pods: SharedInformer<Pod>, namespace: string, sel: Record<string, string>): Pod[] {
  let best: Pod[] | undefined;
  for (const [k, v] of Object.entries(sel)) {
    const bucket = pods.store.byIndex(POD_LABEL_INDEX, `${namespace}/${k}=${v}`);
    if (!best || bucket.length < best.length) best = bucket;
    if (best.length === 0) return [];
  }
  return (best ?? []).filter((p) => selectorMatches(sel, p.metadata.labels));
}

/** `podutil.FindPort`: a number is itself; a name is looked up among the pod's container ports. */
export function resolveTargetPort(pod: Pod, sp: ServicePort): number | undefined {
  const target = sp.targetPort ?? sp.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  const proto = sp.protocol ?? 'TCP';
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (p.name === target && (p.protocol ?? 'TCP') === proto) return p.containerPort;
    }
  }
  return undefined;
}

/** A pod is an endpoint candidate: it has an IP and has not finished. */
export function podHasAddress(pod: Pod): boolean {
  if (!pod.status?.podIP) return false;
  const phase = pod.status.phase;
  return phase !== 'Succeeded' && phase !== 'Failed';
}

/** `hostname` for a pod behind this Service: set when the pod's subdomain names the Service. */
export function endpointHostname(pod: Pod, svc: Service): string | undefined {
  const h = pod.spec?.hostname;
  if (h && pod.spec?.subdomain === svc.metadata.name && pod.metadata.namespace === svc.metadata.namespace) return h;
  return undefined;
}

export function isHeadless(svc: Service): boolean {
  return svc.spec?.clusterIP === 'None';
}

/** Service labels copied onto its endpoint objects, plus the headless marker. */
export function endpointLabels(svc: Service): Record<string, string> {
  const out: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
  if (isHeadless(svc)) out['service.kubernetes.io/headless'] = '';
  return out;
}

/** Numeric resourceVersion compare (`a` newer than `b`); unknown forms compare as not newer. */
export function rvNewer(a: string | undefined, b: string | undefined): boolean {
  if (!a) return false;
  if (!b) return true;
  try {
    return BigInt(a) > BigInt(b);
  } catch {
    return false;
  }
}
