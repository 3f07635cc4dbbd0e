/**
 * Discovery documents, built once from RESOURCES: aggregated discovery (apidiscovery.k8s.io
 * v2 and v2beta1) and the legacy /api, /apis, /api/v1, /apis/<g>/<v> documents.
 */
import { RESOURCES, apiVersionOf, type ResourceInfo } from '../api/resources.js';

const OBJECT_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

interface SubresourceFacts {
  group: string;
  version: string;
  kind: string;
  verbs: string[];
}

function subresourceFacts(info: ResourceInfo, sub: string): SubresourceFacts {
  const own = { group: info.group, version: info.version, kind: info.kind };
  switch (sub) {
    case 'status':
      return { ...own, verbs: ['get', 'patch', 'update'] };
    case 'scale':
      return { group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] };
    case 'log':
      return { ...own, verbs: ['get'] };
    case 'exec':
      return { group: '', version: 'v1', kind: 'PodExecOptions', verbs: ['create', 'get'] };
    case 'attach':
      return { group: '', version: 'v1', kind: 'PodAttachOptions', verbs: ['create', 'get'] };
    case 'portforward':
      return { group: '', version: 'v1', kind: 'PodPortForwardOptions', verbs: ['create', 'get'] };
    case 'binding':
      return { group: '', version: 'v1', kind: 'Binding', verbs: ['create'] };
    case 'finalize':
      return { ...own, verbs: ['update'] };
    default:
      return { ...own, verbs: ['get'] };
  }
}

function subresourcesOf(info: ResourceInfo): string[] {
  const subs: string[] = [...info.subresources];
  if (info.kind === 'Namespace') subs.push('finalize');
  return subs;
}

/** Group/version pairs served, core first, in a stable order. */
export function groupVersions(): { group: string; version: string }[] {
  const seen = new Map<string, { group: string; version: string }>();
  for (const r of RESOURCES) seen.set(`${r.group}/${r.version}`, { group: r.group, version: r.version });
  return [...seen.values()];
}

function aggregatedGroup(group: string) {
  const versions = groupVersions().filter((gv) => gv.group === group);
  return {
    metadata: { name: group },
    versions: versions.map((gv) => ({
      version: gv.version,
      resources: RESOURCES.filter((r) => r.group === gv.group && r.version === gv.version).map((r) => ({
        resource: r.resource,
        responseKind: { group: r.group, version: r.version, kind: r.kind },
        scope: r.namespaced ? 'Namespaced' : 'Cluster',
        singularResource: r.singular,
        verbs: OBJECT_VERBS,
        ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
        ...(r.categories.length ? { categories: r.categories } : {}),
        ...(subresourcesOf(r).length
          ? {
              subresources: subresourcesOf(r).map((s) => {
                const f = subresourceFacts(r, s);
                return { subresource: s, responseKind: { group: f.group, version: f.version, kind: f.kind }, verbs: f.verbs };
              }),
            }
          : {}),
      })),
      freshness: 'Current',
    })),
  };
}

export type AggregatedVersion = 'v2' | 'v2beta1';

/** `/api` (core only) or `/apis` (every named group) as an APIGroupDiscoveryList. */
export function aggregatedDiscovery(which: 'api' | 'apis', version: AggregatedVersion): string {
  const groups = [...new Set(groupVersions().map((gv) => gv.group))].filter((g) => (which === 'api' ? g === '' : g !== ''));
  return JSON.stringify({
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${version}`,
    metadata: {},
    items: groups.map(aggregatedGroup),
  });
}

export function aggregatedContentType(version: AggregatedVersion): string {
  return `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`;
}

export function legacyApiVersions(serverAddress: string): unknown {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groupEntry(group: string) {
  const versions = groupVersions().filter((gv) => gv.group === group).map((gv) => ({ groupVersion: `${group}/${gv.version}`, version: gv.version }));
  return { name: group, versions, preferredVersion: versions[0] };
}

export function legacyApiGroupList(): unknown {
  const groups = [...new Set(groupVersions().map((gv) => gv.group))].filter((g) => g !== '');
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map(groupEntry) };
}

/** `/apis/<group>`, or undefined when the group is not served. */
export function legacyApiGroup(group: string): unknown {
  if (!groupVersions().some((gv) => gv.group === group && group !== '')) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(group) };
}

/** `/api/v1` or `/apis/<g>/<v>` as an APIResourceList, or undefined when not served. */
export function legacyResourceList(group: string, version: string): unknown {
  const resources = RESOURCES.filter((r) => r.group === group && r.version === version);
  if (resources.length === 0) return undefined;
  const out: unknown[] = [];
  for (const r of resources) {
    out.push({
      name: r.resource,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: OBJECT_VERBS,
      ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
      ...(r.categories.length ? { categories: r.categories } : {}),
    });
    for (const s of subresourcesOf(r)) {
      const f = subresourceFacts(r, s);
      out.push({
        name: `${r.resource}/${s}`,
        singularName: '',
        namespaced: r.namespaced,
        ...(f.group !== r.group ? { group: f.group } : {}),
        ...(f.version !== r.version ? { version: f.version } : {}),
        kind: f.kind,
        verbs: f.verbs,
      });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf({ group, version }), resources: out };
}
