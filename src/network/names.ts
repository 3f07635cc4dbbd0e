import { createHash } from 'node:crypto';

/** `skiff-<first 8 of the pod UID>`: the pod's network namespace (team contract). */
export function podNetnsName(podUID: string): string {
  return `skiff-${podUID.replace(/-/g, '').slice(0, 8)}`;
}

/** Host end of the pod's veth pair: `veth` + 11 hex digits of a hash of the UID (15 chars = IFNAMSIZ-1). */
export function podVethName(podUID: string): string {
  return `veth${createHash('sha1').update(podUID).digest('hex').slice(0, 11)}`;
}

export const BRIDGE_NAME = 'skiff0';
