/**
 * What exists in every cluster from the start: the namespaces default, kube-system,
 * kube-public and kube-node-lease, and the `kubernetes` Service (first address of the
 * service range, port 443 → this server) with its Endpoints and EndpointSlice.
 */
import type { KubeObject } from '../api/meta.js';
import { findResource } from '../api/resources.js';
import { isAlreadyExists } from '../api/status-error.js';
import type { Registry } from './registry.js';

export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export interface BootstrapOptions {
  registry: Registry;
  serviceIp: string;
  /** Address and port the API server answers on (published in Endpoints). */
  endpointIp: string;
  port: number;
}

async function ensure(registry: Registry, resource: string, group: string, obj: KubeObject, reconcile?: (cur: KubeObject) => boolean): Promise<void> {
  const info = findResource(group, resource)!;
  const cur = await registry.find(info, obj.metadata.name!, obj.metadata.namespace);
  if (!cur) {
    try {
      await registry.create(info, obj.metadata.namespace, obj);
    } catch (err) {
      // Another server bootstrapping the same etcd at the same moment may win: for the
      // `kubernetes` Service its fixed ClusterIP is then refused (422 "already allocated")
      // before the name clash is seen. Either way, the object existing now is success.
      if (isAlreadyExists(err)) return;
      // The winner writes its allocation before the object: give it a moment to land.
      for (let attempt = 0; attempt < 20; attempt++) {
        if (await registry.find(info, obj.metadata.name!, obj.metadata.namespace)) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw err;
    }
    return;
  }
  if (reconcile && !reconcile(cur)) {
    await registry.update(info, obj.metadata.name!, obj.metadata.namespace, (latest) => ({ ...obj, metadata: { ...obj.metadata, resourceVersion: undefined, labels: obj.metadata.labels ?? latest?.metadata.labels } }));
  }
}

export async function bootstrap(o: BootstrapOptions): Promise<void> {
  for (const name of SYSTEM_NAMESPACES) {
    await ensure(o.registry, 'namespaces', '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } }, spec: { finalizers: ['kubernetes'] } });
  }
  const labels = { component: 'apiserver', provider: 'kubernetes' };
  await ensure(o.registry, 'services', '', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', labels },
    spec: {
      type: 'ClusterIP',
      clusterIP: o.serviceIp,
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: o.port }],
      sessionAffinity: 'None',
    },
  }, (cur) => {
    const p = (cur.spec as { ports?: { targetPort?: unknown }[] } | undefined)?.ports?.[0];
    return p?.targetPort === o.port;
  });
  const ports = [{ name: 'https', port: o.port, protocol: 'TCP' }];
  await ensure(o.registry, 'endpoints', '', {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets: [{ addresses: [{ ip: o.endpointIp }], ports }],
  }, (cur) => JSON.stringify(cur.subsets) === JSON.stringify([{ addresses: [{ ip: o.endpointIp }], ports }]));
  await ensure(o.registry, 'endpointslices', 'discovery.k8s.io', {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes', 'endpointslice.kubernetes.io/managed-by': 'skiff-apiserver' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: [o.endpointIp], conditions: { ready: true } }],
    ports,
  }, (cur) => JSON.stringify(cur.ports) === JSON.stringify(ports) && JSON.stringify(cur.endpoints) === JSON.stringify([{ addresses: [o.endpointIp], conditions: { ready: true } }]));
}
