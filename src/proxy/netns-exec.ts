import type { Exec } from '../util/exec.js';

/** An Exec that runs every command inside network namespace `netns` (`ip netns exec`), or `exec` itself when none. */
export function execInNetns(exec: Exec, netns: string | undefined): Exec {
  if (!netns) return exec;
  return (file, args, options) => exec('ip', ['netns', 'exec', netns, file, ...args], options);
}
