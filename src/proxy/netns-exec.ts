import type { Exec } from '../util/exec.js';

/**
 * An Exec that runs every command inside network namespace `netns` (a name under
 * /run/netns, as `ip netns add` creates), or `exec` itself when none. Uses `nsenter --net`,
 * which only switches the network namespace: `ip netns exec` also remounts /sys and costs
 * ~20 ms per command, twice the whole budget of an incremental nft sync.
 */
export function execInNetns(exec: Exec, netns: string | undefined): Exec {
  if (!netns) return exec;
  const path = netns.includes('/') ? netns : `/run/netns/${netns}`;
  return (file, args, options) => exec('nsenter', [`--net=${path}`, file, ...args], options);
}
