/**
 * The node's InternalIP for `skiff up`: the first global IPv4 address of this network
 * namespace that Skiff did not create itself. In a bare namespace holding only `lo` (how tests
 * isolate a whole cluster: `ip netns exec NAME skiff up`), there is none: Skiff then brings
 * `lo` up and adds FALLBACK_NODE_IP to it (this kernel has no `dummy` link type; a /32 on
 * `lo` is local to the namespace all the same), removed again at stop.
 */
import type { Exec } from '../util/exec.js';

/** In 198.18.0.0/15 (RFC 2544 benchmarking range): never routed, never a real host's. */
export const FALLBACK_NODE_IP = '198.19.255.254';

/** Interfaces Skiff itself creates: never taken as the node's address. */
const OWN_LINK = /^(skiff|veth|sk-)/;

export interface NodeAddress {
  ip: string;
  /** Undo what was set up (nothing when an existing address was used). */
  release(): Promise<void>;
}

export async function findGlobalIPv4(exec: Exec): Promise<string | undefined> {
  const { stdout } = await exec('ip', ['-4', '-o', 'addr', 'show', 'scope', 'global']);
  for (const line of stdout.split('\n')) {
    // "2: eth0    inet 10.0.0.5/24 brd ... scope global eth0"
    const m = /^\d+:\s+(\S+)\s+inet\s+([\d.]+)\//.exec(line);
    if (m && !OWN_LINK.test(m[1]!)) return m[2];
  }
  return undefined;
}

export async function ensureNodeAddress(options: { exec: Exec; requested?: string; canConfigure: boolean }): Promise<NodeAddress> {
  const { exec } = options;
  const none = { release: async () => {} };
  if (options.requested) return { ip: options.requested, ...none };
  const found = await findGlobalIPv4(exec);
  if (found) return { ip: found, ...none };
  if (!options.canConfigure) return { ip: '127.0.0.1', ...none };
  await exec('ip', ['link', 'set', 'lo', 'up']);
  await exec('ip', ['addr', 'replace', `${FALLBACK_NODE_IP}/32`, 'dev', 'lo']);
  return {
    ip: FALLBACK_NODE_IP,
    release: async () => {
      await exec('ip', ['addr', 'del', `${FALLBACK_NODE_IP}/32`, 'dev', 'lo'], { check: false });
    },
  };
}
