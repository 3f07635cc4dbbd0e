/**
 * The per-pod resolver files, as kubelet writes them: resolv.conf from `dnsPolicy` and
 * `dnsConfig`, and the managed hosts file. Pure functions; the network backends write the
 * results to /etc/netns/<netns>/ where `ip netns exec` (and so every container) sees them.
 */
import type { Pod } from '../api/types.js';

export interface ResolvConf {
  nameservers: string[];
  searches: string[];
  options: string[];
}

export interface DnsFileOptions {
  /** Cluster DNS server addresses (`--cluster-dns`); empty = none configured. */
  clusterDns: string[];
  clusterDomain: string;
  /** The node's own /etc/resolv.conf text, for dnsPolicy Default. */
  hostResolvConf: string;
}

const MAX_NAMESERVERS = 3;
const MAX_SEARCHES = 32;

export function parseResolvConf(text: string): ResolvConf {
  const r: ResolvConf = { nameservers: [], searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    if (!line) continue;
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0]) r.nameservers.push(rest[0]);
    else if (key === 'search' || key === 'domain') r.searches = rest;
    else if (key === 'options') r.options.push(...rest);
  }
  return r;
}

function dedupe(list: string[]): string[] {
  return [...new Set(list.filter(Boolean))];
}

/** `ndots:5` and `ndots:2` are the same option: later entries replace earlier ones by name. */
function mergeOptions(base: string[], extra: { name?: string; value?: string }[]): string[] {
  const byName = new Map<string, string>();
  for (const o of base) byName.set(o.split(':')[0]!, o);
  for (const o of extra) {
    if (!o.name) continue;
    byName.set(o.name, o.value !== undefined && o.value !== '' ? `${o.name}:${o.value}` : o.name);
  }
  return [...byName.values()];
}

/** What kubelet computes for a pod (pkg/kubelet/network/dns). */
export function podResolvConf(pod: Pod, opts: DnsFileOptions): ResolvConf {
  const spec = pod.spec ?? { containers: [] };
  const ns = pod.metadata.namespace ?? 'default';
  let policy = spec.dnsPolicy ?? 'ClusterFirst';
  // ClusterFirst on the host network behaves as Default (kubelet does the same).
  if (policy === 'ClusterFirst' && spec.hostNetwork) policy = 'Default';
  // Without a cluster DNS server ClusterFirst falls back to the node's resolver.
  if ((policy === 'ClusterFirst' || policy === 'ClusterFirstWithHostNet') && opts.clusterDns.length === 0) policy = 'Default';
  let base: ResolvConf;
  if (policy === 'None') base = { nameservers: [], searches: [], options: [] };
  else if (policy === 'Default') base = parseResolvConf(opts.hostResolvConf);
  else {
    const d = opts.clusterDomain;
    const host = parseResolvConf(opts.hostResolvConf);
    base = {
      nameservers: [...opts.clusterDns],
      searches: [`${ns}.svc.${d}`, `svc.${d}`, d, ...host.searches],
      options: ['ndots:5'],
    };
  }
  const cfg = spec.dnsConfig;
  return {
    nameservers: dedupe([...base.nameservers, ...(cfg?.nameservers ?? [])]).slice(0, MAX_NAMESERVERS),
    searches: dedupe([...base.searches, ...(cfg?.searches ?? [])]).slice(0, MAX_SEARCHES),
    options: mergeOptions(base.options, cfg?.options ?? []),
  };
}

export function formatResolvConf(r: ResolvConf): string {
  const lines: string[] = [];
  if (r.searches.length) lines.push(`search ${r.searches.join(' ')}`);
  for (const n of r.nameservers) lines.push(`nameserver ${n}`);
  if (r.options.length) lines.push(`options ${r.options.join(' ')}`);
  return `${lines.join('\n')}\n`;
}

/** The hostname a pod's containers see: spec.hostname or the pod name, at most 63 characters. */
export function podHostname(pod: Pod): string {
  const name = pod.spec?.hostname || pod.metadata.name || 'pod';
  return name.length > 63 ? name.slice(0, 63).replace(/[-.]+$/, '') : name;
}

/** kubelet's managed /etc/hosts for a pod with its own network. */
export function podHostsFile(pod: Pod, podIPs: string[], clusterDomain: string): string {
  const lines = [
    '# Kubernetes-managed hosts file.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
  ];
  const hostname = podHostname(pod);
  const sub = pod.spec?.subdomain;
  const ns = pod.metadata.namespace ?? 'default';
  for (const ip of podIPs) {
    lines.push(sub ? `${ip}\t${hostname}.${sub}.${ns}.svc.${clusterDomain}\t${hostname}` : `${ip}\t${hostname}`);
  }
  const aliases = pod.spec?.hostAliases ?? [];
  if (aliases.length) {
    lines.push('', '# Entries added by HostAliases.');
    for (const a of aliases) lines.push(`${a.ip}\t${(a.hostnames ?? []).join('\t')}`);
  }
  return `${lines.join('\n')}\n`;
}
