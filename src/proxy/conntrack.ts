import type { Logger } from '../util/logger.js';
import type { Exec } from '../util/exec.js';
import type { ServicePortChange, ServicePortState } from './types.js';

/** One `conntrack -D` invocation's arguments (after `-D`). */
export type ConntrackDeletion = string[];

function vipsOf(s: ServicePortState): string[] {
  return [...s.clusterIPs, ...s.externalIPs, ...s.loadBalancerIPs];
}

/**
 * Stale UDP conntrack entries after a sync (the kube-proxy bug family where a UDP client keeps
 * talking to a dead pod, or to a "no endpoints" entry, because its conntrack entry outlives
 * the rule):
 * - an endpoint no longer used → delete flows from each virtual IP (and the NodePort) whose
 *   reply comes from that endpoint;
 * - a service port whose endpoints went from none to some → delete all flows to it, so the
 *   next packet is NATed afresh instead of following the entry made while it was rejected.
 */
export function staleUdpDeletions(changes: readonly ServicePortChange[]): ConntrackDeletion[] {
  const out: ConntrackDeletion[] = [];
  for (const c of changes) {
    const oldS = c.old;
    const newS = c.new;
    const ref = newS ?? oldS;
    if (!ref || ref.protocol !== 'UDP') continue;
    const oldEps = new Set([...(oldS?.clusterEndpoints ?? []), ...(oldS?.externalEndpoints ?? [])].map((e) => `${e.ip}:${e.port}`));
    const newEps = new Set([...(newS?.clusterEndpoints ?? []), ...(newS?.externalEndpoints ?? [])].map((e) => `${e.ip}:${e.port}`));
    const deadIPs = new Set<string>();
    for (const id of oldEps) if (!newEps.has(id)) deadIPs.add(id.slice(0, id.lastIndexOf(':')));
    const src = oldS ?? newS!;
    for (const ip of deadIPs) {
      for (const vip of vipsOf(src)) out.push(['-p', 'udp', '--orig-dst', vip, '--orig-port-dst', String(src.port), '--reply-src', ip]);
      if (src.nodePort) out.push(['-p', 'udp', '--orig-port-dst', String(src.nodePort), '--reply-src', ip]);
    }
    if (newS && oldEps.size === 0 && newEps.size > 0) {
      for (const vip of vipsOf(newS)) out.push(['-p', 'udp', '--orig-dst', vip, '--orig-port-dst', String(newS.port)]);
      if (newS.nodePort) out.push(['-p', 'udp', '--orig-port-dst', String(newS.nodePort)]);
    }
  }
  return out;
}

/** Runs the deletions; conntrack exits 1 when nothing matched, which is fine. */
export async function deleteConntrack(exec: Exec, deletions: readonly ConntrackDeletion[], log?: Logger): Promise<void> {
  for (const d of deletions) {
    try {
      await exec('conntrack', ['-D', ...d], { check: false, timeoutMs: 5000 });
    } catch (err) {
      log?.warn({ err, args: d }, 'conntrack delete failed');
    }
  }
}
