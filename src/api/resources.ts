/**
 * The resources Skiff serves: identity, scope and discovery facts, one row each.
 * Behaviour per kind (defaults, validation, table columns) hangs off `kind` in other files
 * of this folder; the API server and clients look resources up here.
 */
export interface ResourceInfo {
  group: string; // '' for the core group
  version: string;
  /** Plural, lowercase: the URL segment (`pods`). */
  resource: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  /** Subresources served besides the object itself. */
  subresources: Array<'status' | 'scale' | 'log' | 'exec' | 'portforward' | 'binding' | 'attach'>;
}

function r(
  group: string,
  version: string,
  kind: string,
  resource: string,
  opts: Partial<Pick<ResourceInfo, 'namespaced' | 'shortNames' | 'categories' | 'subresources'>> = {},
): ResourceInfo {
  return {
    group,
    version,
    resource,
    singular: kind.toLowerCase(),
    kind,
    listKind: `${kind}List`,
    namespaced: opts.namespaced ?? true,
    shortNames: opts.shortNames ?? [],
    categories: opts.categories ?? [],
    subresources: opts.subresources ?? [],
  };
}

export const RESOURCES: readonly ResourceInfo[] = [
  r('', 'v1', 'Namespace', 'namespaces', { namespaced: false, shortNames: ['ns'], subresources: ['status'] }),
  r('', 'v1', 'Pod', 'pods', { shortNames: ['po'], categories: ['all'], subresources: ['status', 'log', 'exec', 'portforward', 'binding', 'attach'] }),
  r('', 'v1', 'Service', 'services', { shortNames: ['svc'], categories: ['all'], subresources: ['status'] }),
  r('', 'v1', 'Endpoints', 'endpoints', { shortNames: ['ep'] }),
  r('', 'v1', 'Node', 'nodes', { namespaced: false, shortNames: ['no'], subresources: ['status'] }),
  r('', 'v1', 'Event', 'events', { shortNames: ['ev'] }),
  r('', 'v1', 'ConfigMap', 'configmaps', { shortNames: ['cm'] }),
  r('', 'v1', 'Secret', 'secrets'),
  r('', 'v1', 'ServiceAccount', 'serviceaccounts', { shortNames: ['sa'] }),
  r('', 'v1', 'ReplicationController', 'replicationcontrollers', { shortNames: ['rc'], categories: ['all'], subresources: ['status', 'scale'] }),
  r('apps', 'v1', 'ReplicaSet', 'replicasets', { shortNames: ['rs'], categories: ['all'], subresources: ['status', 'scale'] }),
  r('apps', 'v1', 'Deployment', 'deployments', { shortNames: ['deploy'], categories: ['all'], subresources: ['status', 'scale'] }),
  r('discovery.k8s.io', 'v1', 'EndpointSlice', 'endpointslices'),
  r('autoscaling', 'v1', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', { shortNames: ['hpa'], categories: ['all'], subresources: ['status'] }),
  r('coordination.k8s.io', 'v1', 'Lease', 'leases'),
];

export function apiVersionOf(info: Pick<ResourceInfo, 'group' | 'version'>): string {
  return info.group ? `${info.group}/${info.version}` : info.version;
}

const byGroupResource = new Map(RESOURCES.map((i) => [`${i.group}/${i.resource}`, i]));
const byKind = new Map(RESOURCES.map((i) => [i.kind, i]));

export function findResource(group: string, resource: string): ResourceInfo | undefined {
  return byGroupResource.get(`${group}/${resource}`);
}

export function resourceForKind(kind: string): ResourceInfo | undefined {
  return byKind.get(kind);
}

/** Storage key prefix for a resource, like kube-apiserver's etcd layout: `/registry/<group>/<resource>/`. */
export function storagePrefix(info: Pick<ResourceInfo, 'group' | 'resource'>): string {
  return `/registry/${info.group || 'core'}/${info.resource}/`;
}

/** Storage key of one object: prefix + `namespace/name` (namespaced) or `name`. */
export function storageKey(info: ResourceInfo, name: string, namespace?: string): string {
  return info.namespaced ? `${storagePrefix(info)}${namespace}/${name}` : `${storagePrefix(info)}${name}`;
}
