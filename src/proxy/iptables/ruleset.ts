/**
 * Pure text generation for the iptables mode (kube-proxy's classic layout, golden-tested).
 *
 * nat table:
 *   PREROUTING, OUTPUT → KUBE-SERVICES; POSTROUTING → KUBE-POSTROUTING
 *   KUBE-SERVICES: per ClusterIP `-d IP -p P --dport N -j KUBE-SVC-X` (after marking off-cluster
 *     sources for masquerade when a cluster CIDR is known), per externalIP / LoadBalancer IP
 *     `-j KUBE-EXT-X`, and last `-m addrtype --dst-type LOCAL -j KUBE-NODEPORTS`.
 *   KUBE-NODEPORTS: `--dport NODEPORT -j KUBE-EXT-X`.
 *   KUBE-SVC-X: cluster endpoints, `-m statistic --mode random --probability 1/(n-i)` each;
 *     with affinity first `-m recent --rcheck --seconds T --reap` per endpoint.
 *   KUBE-EXT-X: `-j KUBE-MARK-MASQ` unless externalTrafficPolicy Local, then the external
 *     endpoints the same way.
 *   KUBE-SEP-Y: hairpin `-s EP -j KUBE-MARK-MASQ`, then (`-m recent --set`) `-j DNAT`.
 *   KUBE-MARK-MASQ sets 0x4000; KUBE-POSTROUTING masquerades marked packets (and, with a
 *   cluster CIDR, DNATed pod→pod traffic: see the nftables notes on one bridge).
 * filter table: INPUT, FORWARD, OUTPUT (new connections) → KUBE-SERVICES, holding
 *   `-j REJECT` for frontends without endpoints and `-j DROP` for externalTrafficPolicy Local
 *   without local endpoints. Always rewritten whole (it is small).
 * Service jumps are emitted for every frontend (with or without endpoints), so an endpoint
 * change only rewrites that Service's own chains; adding a Service inserts its jumps with
 * `-I`, removing it deletes them with `-D` — KUBE-SERVICES is never rewritten incrementally.
 */
import { createHash } from 'node:crypto';
import type { EndpointInfo, ServicePortState } from '../types.js';

export const MASQ_MARK = '0x4000';

export interface IptRulesetOptions {
  clusterCIDR?: string;
}

export interface PortChains {
  /** Rules in nat KUBE-SERVICES / KUBE-NODEPORTS, as `CHAIN args...` (no -A/-I/-D). */
  entryRules: string[];
  /** Own chains (KUBE-SVC-, KUBE-EXT-, KUBE-SEP-) → their rules (`args...`). */
  chains: Map<string, string[]>;
  /** filter KUBE-SERVICES rules for frontends without (local) endpoints. */
  filterRules: string[];
}

function hash(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 16).toUpperCase();
}

export function svcChain(id: string): string {
  return `KUBE-SVC-${hash(id)}`;
}
export function extChain(id: string): string {
  return `KUBE-EXT-${hash(id)}`;
}
export function sepChain(id: string, ep: EndpointInfo): string {
  return `KUBE-SEP-${hash(`${id}|${ep.ip}:${ep.port}`)}`;
}

function protoMatch(protocol: string): string {
  const p = protocol.toLowerCase();
  return `-p ${p} -m ${p}`;
}

function balance(id: string, eps: readonly EndpointInfo[], affinitySeconds: number): string[] {
  const rules: string[] = [];
  if (affinitySeconds) {
    for (const ep of eps) {
      const sep = sepChain(id, ep);
      rules.push(`-m recent --name ${sep} --mask 255.255.255.255 --rsource --rcheck --seconds ${affinitySeconds} --reap -j ${sep}`);
    }
  }
  const n = eps.length;
  eps.forEach((ep, i) => {
    const sep = sepChain(id, ep);
    if (i < n - 1) rules.push(`-m statistic --mode random --probability ${(1 / (n - i)).toFixed(10)} -j ${sep}`);
    else rules.push(`-j ${sep}`);
  });
  return rules;
}

export function chainsForPort(s: ServicePortState, o: IptRulesetOptions): PortChains {
  const pm = protoMatch(s.protocol);
  const svc = svcChain(s.id);
  const ext = extChain(s.id);
  const entryRules: string[] = [];
  const filterRules: string[] = [];
  const chains = new Map<string, string[]>();
  const hasExternal = s.nodePort > 0 || s.externalIPs.length > 0 || s.loadBalancerIPs.length > 0;
  const anyUsable = s.clusterEndpoints.length > 0 || s.externalEndpoints.length > 0;
  const reject = s.protocol === 'TCP' ? '-j REJECT --reject-with tcp-reset' : '-j REJECT';
  const extNoEndpoints = s.externalEndpoints.length === 0 ? (s.externalPolicyLocal && anyUsable ? '-j DROP' : reject) : undefined;

  for (const ip of s.clusterIPs) {
    const m = `-d ${ip}/32 ${pm} --dport ${s.port}`;
    if (o.clusterCIDR) entryRules.push(`KUBE-SERVICES ! -s ${o.clusterCIDR} ${m} -j KUBE-MARK-MASQ`);
    entryRules.push(`KUBE-SERVICES ${m} -j ${svc}`);
    if (s.clusterEndpoints.length === 0)
      filterRules.push(`KUBE-SERVICES ${m} ${s.internalPolicyLocal && anyUsable ? '-j DROP' : reject}`);
  }
  for (const ip of [...s.externalIPs, ...s.loadBalancerIPs]) {
    const m = `-d ${ip}/32 ${pm} --dport ${s.port}`;
    entryRules.push(`KUBE-SERVICES ${m} -j ${ext}`);
    if (extNoEndpoints) filterRules.push(`KUBE-SERVICES ${m} ${extNoEndpoints}`);
  }
  if (s.nodePort) {
    entryRules.push(`KUBE-NODEPORTS ${pm} --dport ${s.nodePort} -j ${ext}`);
    if (extNoEndpoints) filterRules.push(`KUBE-SERVICES -m addrtype --dst-type LOCAL ${pm} --dport ${s.nodePort} ${extNoEndpoints}`);
  }
  chains.set(svc, balance(s.id, s.clusterEndpoints, s.affinityTimeoutSeconds));
  if (hasExternal) {
    const rules = s.externalPolicyLocal ? [] : ['-j KUBE-MARK-MASQ'];
    chains.set(ext, [...rules, ...balance(s.id, s.externalEndpoints, s.affinityTimeoutSeconds)]);
  }
  const seps = new Map<string, EndpointInfo>();
  for (const ep of [...s.clusterEndpoints, ...s.externalEndpoints]) seps.set(sepChain(s.id, ep), ep);
  for (const [name, ep] of [...seps].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const recent = s.affinityTimeoutSeconds ? ` -m recent --set --name ${name} --mask 255.255.255.255 --rsource` : '';
    chains.set(name, [`-s ${ep.ip}/32 -j KUBE-MARK-MASQ`, `${pm}${recent} -j DNAT --to-destination ${ep.ip}:${ep.port}`]);
  }
  return { entryRules, chains, filterRules };
}

const BASE_NAT_CHAINS = ['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-MARK-MASQ', 'KUBE-POSTROUTING'];

function baseNatRules(o: IptRulesetOptions): string[] {
  const rules = [`-A KUBE-MARK-MASQ -j MARK --or-mark ${MASQ_MARK}`];
  if (o.clusterCIDR) rules.push(`-A KUBE-POSTROUTING -s ${o.clusterCIDR} -d ${o.clusterCIDR} -m conntrack --ctstate DNAT -j MASQUERADE`);
  rules.push(
    `-A KUBE-POSTROUTING -m mark ! --mark ${MASQ_MARK}/${MASQ_MARK} -j RETURN`,
    `-A KUBE-POSTROUTING -j MARK --xor-mark ${MASQ_MARK}`,
    `-A KUBE-POSTROUTING -j MASQUERADE`,
  );
  return rules;
}

/** The filter section (always whole). */
export function filterSection(all: Iterable<PortChains>): string {
  const lines = ['*filter', ':KUBE-SERVICES - [0:0]'];
  for (const p of all) for (const r of p.filterRules) lines.push(`-A ${r}`);
  lines.push('COMMIT');
  return lines.join('\n') + '\n';
}

export interface FullIptables {
  /** The whole nat table, for `iptables-restore` in flush mode (`-T nat`-style: only nat is replaced). */
  nat: string;
  /** The filter section, for `iptables-restore --noflush`. */
  filter: string;
  rules: number;
}

const BUILTIN_NAT = ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'];
const NAT_JUMPS: Record<string, string> = { PREROUTING: 'KUBE-SERVICES', OUTPUT: 'KUBE-SERVICES', POSTROUTING: 'KUBE-POSTROUTING' };

/**
 * Full sync. iptables-nft's `--noflush` mode is quadratic in the number of chains declared
 * (measured: 1,000 Services took 76 s), so a full sync replaces the whole nat table in flush
 * mode instead (10x faster), carrying over every rule that is not ours from `iptables-save -t nat`
 * (`currentNat`): other software's chains and rules survive, our stale chains simply vanish.
 */
export function fullRuleset(all: readonly PortChains[], o: IptRulesetOptions, currentNat: string): FullIptables {
  const { builtin, foreignDecl, foreignRules } = foreignNat(currentNat);
  const decl: string[] = ['*nat', ...builtin, ...foreignDecl, ...BASE_NAT_CHAINS.map((c) => `:${c} - [0:0]`)];
  const body: string[] = [];
  for (const [chain, target] of Object.entries(NAT_JUMPS)) body.push(`-A ${chain} -j ${target}`);
  body.push(...baseNatRules(o));
  for (const p of all) for (const r of p.entryRules) body.push(`-A ${r}`);
  body.push('-A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS');
  for (const p of all) {
    for (const [name, rules] of p.chains) {
      decl.push(`:${name} - [0:0]`);
      for (const r of rules) body.push(`-A ${name} ${r}`);
    }
  }
  const nat = [...decl, ...body, ...foreignRules, 'COMMIT', ''].join('\n');
  const filterCount = all.reduce((n, p) => n + p.filterRules.length, 0);
  return { nat, filter: filterSection(all), rules: body.length + filterCount };
}

/** The nat table with everything of ours removed (cleanup), for flush-mode restore. */
export function natWithoutOurs(currentNat: string): string {
  const { builtin, foreignDecl, foreignRules } = foreignNat(currentNat);
  return ['*nat', ...builtin, ...foreignDecl, ...foreignRules, 'COMMIT', ''].join('\n');
}

function foreignNat(currentNat: string): { builtin: string[]; foreignDecl: string[]; foreignRules: string[] } {
  const builtin = new Map<string, string>(BUILTIN_NAT.map((c) => [c, `:${c} ACCEPT [0:0]`]));
  const foreignDecl: string[] = [];
  const foreignRules: string[] = [];
  for (const line of currentNat.split('\n')) {
    const decl = /^:(\S+) (\S+)/.exec(line);
    if (decl) {
      if (BUILTIN_NAT.includes(decl[1]!)) builtin.set(decl[1]!, `:${decl[1]} ${decl[2]} [0:0]`);
      else if (!decl[1]!.startsWith('KUBE-')) foreignDecl.push(`:${decl[1]} - [0:0]`);
      continue;
    }
    if (!line.startsWith('-A ') || /(^-A KUBE-)|(-j KUBE-)/.test(line)) continue;
    foreignRules.push(line);
  }
  return { builtin: [...builtin.values()], foreignDecl, foreignRules };
}

/**
 * Incremental nat section for changed ports: entry rules deleted/inserted one by one, own
 * chains redeclared (flushed) and refilled only when their rules differ, vanished chains
 * flushed and deleted. Returns '' when nothing in nat changes.
 */
export function deltaNat(changes: readonly { old?: PortChains; new?: PortChains }[]): { text: string; ruleDelta: number } {
  const dels: string[] = [];
  const adds: string[] = [];
  const decl: string[] = [];
  const body: string[] = [];
  const removed: string[] = [];
  let ruleDelta = 0;
  for (const c of changes) {
    const oldEntries = new Set(c.old?.entryRules ?? []);
    const newEntries = new Set(c.new?.entryRules ?? []);
    for (const r of oldEntries) if (!newEntries.has(r)) { dels.push(`-D ${r}`); ruleDelta--; }
    // `-I KUBE-SERVICES 1` keeps the NODEPORTS jump last; inserted in reverse so the
    // masquerade mark still precedes the service jump.
    const inserts: string[] = [];
    for (const r of newEntries) {
      if (oldEntries.has(r)) continue;
      ruleDelta++;
      if (r.startsWith('KUBE-SERVICES ')) inserts.unshift(`-I KUBE-SERVICES 1 ${r.slice(14)}`);
      else adds.push(`-A ${r}`);
    }
    adds.push(...inserts);
    const oldChains = c.old?.chains ?? new Map<string, string[]>();
    const newChains = c.new?.chains ?? new Map<string, string[]>();
    for (const [name, rules] of newChains) {
      const had = oldChains.get(name);
      if (had && had.length === rules.length && had.every((r, i) => r === rules[i])) continue;
      decl.push(`:${name} - [0:0]`);
      for (const r of rules) body.push(`-A ${name} ${r}`);
      ruleDelta += rules.length - (had?.length ?? 0);
    }
    for (const [name, rules] of oldChains) {
      if (newChains.has(name)) continue;
      decl.push(`:${name} - [0:0]`);
      removed.push(`-X ${name}`);
      ruleDelta -= rules.length;
    }
  }
  if (!dels.length && !adds.length && !decl.length) return { text: '', ruleDelta: 0 };
  // Order: new chains exist before jumps to them are inserted; jumps are deleted before chains go.
  return { text: ['*nat', ...decl, ...dels, ...body, ...adds, ...removed, 'COMMIT', ''].join('\n'), ruleDelta };
}
