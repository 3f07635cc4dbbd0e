/** Builders for tests of the proxy and its backends (imported by *.test.ts and test/e2e/proxy only). */
import type { EndpointSlice, Service } from '../api/types.js';
import type { EventHandlers, Informer, Store } from '../client/types.js';
import type { KubeObject } from '../api/meta.js';

export interface SvcOptions {
  namespace?: string;
  name: string;
  clusterIP: string;
  ports: { name?: string; port: number; protocol?: 'TCP' | 'UDP'; nodePort?: number; targetPort?: number }[];
  type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
  affinitySeconds?: number;
  externalTrafficPolicy?: 'Cluster' | 'Local';
  internalTrafficPolicy?: 'Cluster' | 'Local';
  healthCheckNodePort?: number;
  externalIPs?: string[];
  lbIPs?: string[];
}

export function makeService(o: SvcOptions): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: o.namespace ?? 'default', name: o.name, uid: `uid-${o.name}` },
    spec: {
      type: o.type ?? 'ClusterIP',
      clusterIP: o.clusterIP,
      clusterIPs: [o.clusterIP],
      ports: o.ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol ?? 'TCP', nodePort: p.nodePort, targetPort: p.targetPort ?? p.port })),
      ...(o.affinitySeconds !== undefined ? { sessionAffinity: 'ClientIP' as const, sessionAffinityConfig: { clientIP: { timeoutSeconds: o.affinitySeconds } } } : {}),
      ...(o.externalTrafficPolicy ? { externalTrafficPolicy: o.externalTrafficPolicy } : {}),
      ...(o.internalTrafficPolicy ? { internalTrafficPolicy: o.internalTrafficPolicy } : {}),
      ...(o.healthCheckNodePort ? { healthCheckNodePort: o.healthCheckNodePort } : {}),
      ...(o.externalIPs ? { externalIPs: o.externalIPs } : {}),
    },
    status: o.lbIPs ? { loadBalancer: { ingress: o.lbIPs.map((ip) => ({ ip })) } } : {},
  };
}

export interface EpOptions {
  ip: string;
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
  nodeName?: string;
}

export function makeSlice(o: {
  namespace?: string;
  service: string;
  name?: string;
  ports: { name?: string; port: number; protocol?: 'TCP' | 'UDP' }[];
  endpoints: EpOptions[];
  triggerTime?: string;
}): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      namespace: o.namespace ?? 'default',
      name: o.name ?? `${o.service}-abcde`,
      labels: { 'kubernetes.io/service-name': o.service },
      ...(o.triggerTime ? { annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': o.triggerTime } } : {}),
    },
    addressType: 'IPv4',
    ports: o.ports.map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' })),
    endpoints: o.endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready ?? true, serving: e.serving ?? e.ready ?? true, terminating: e.terminating ?? false },
      nodeName: e.nodeName ?? 'node-a',
    })),
  };
}

function keyOf(o: KubeObject): string {
  return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : (o.metadata.name ?? '');
}

/** An Informer driven by hand: `add`/`update`/`remove` call the handlers synchronously. */
export class FakeInformer<T extends KubeObject> implements Informer<T> {
  private readonly objects = new Map<string, T>();
  private readonly handlers: EventHandlers<T>[] = [];
  private synced = false;
  private readonly waiters: (() => void)[] = [];
  readonly store: Store<T> = {
    get: (k) => this.objects.get(k),
    list: () => [...this.objects.values()],
    byIndex: (_n, v) => [...this.objects.values()].filter((o) => o.metadata.namespace === v),
  };

  addEventHandler(h: EventHandlers<T>): void {
    this.handlers.push(h);
  }
  addIndex(): void {}
  start(): void {
    this.synced = true;
    for (const w of this.waiters.splice(0)) w();
  }
  stop(): void {}
  hasSynced(): boolean {
    return this.synced;
  }
  whenSynced(): Promise<void> {
    return this.synced ? Promise.resolve() : new Promise((r) => this.waiters.push(r));
  }

  /** Add or update. */
  set(obj: T): void {
    const k = keyOf(obj);
    const old = this.objects.get(k);
    this.objects.set(k, obj);
    for (const h of this.handlers) {
      if (old) h.onUpdate?.(old, obj);
      else h.onAdd?.(obj);
    }
  }

  remove(obj: T): void {
    const k = keyOf(obj);
    const old = this.objects.get(k);
    if (!old) return;
    this.objects.delete(k);
    for (const h of this.handlers) h.onDelete?.(old);
  }
}
