/**
 * The pod network contract the agent codes against. Two implementations: NetnsNetwork (root:
 * a network namespace per pod on a node bridge) and HostNetwork (no root: loopback pod IPs).
 * Only cmd/ and the agent's wiring choose one.
 */
import type { Duplex } from 'node:stream';
import type { Pod } from '../api/types.js';

export interface PodSandbox {
  podUID: string;
  /** The pod's IP (the node IP for hostNetwork pods). */
  podIP: string;
  /**
   * The named network namespace the pod's processes run in; undefined = the agent's own
   * namespace (host mode, or hostNetwork pods on a node that is not in a namespace).
   */
  netns?: string;
  /** True when the pod got a namespace of its own (so it also gets its own hostname). */
  ownNetwork: boolean;
}

export interface PodNetwork {
  readonly mode: 'netns' | 'host';
  /** The node's address (InternalIP; the hostIP of pods). */
  readonly nodeIP: string;
  /** Node-level setup once the podCIDR is known (bridge, forwarding). Idempotent. */
  init(podCIDR: string | undefined): Promise<void>;
  /** Creates (or finds, after an agent restart) the pod's network. Idempotent per pod UID. */
  setupPod(pod: Pod): Promise<PodSandbox>;
  /** Removes everything `setupPod` made. Idempotent; safe for pods never set up. */
  teardownPod(podUID: string): Promise<void>;
  /** Tears down sandboxes of pods not in `liveUIDs` (left over from before a restart). */
  garbageCollect(liveUIDs: Set<string>): Promise<string[]>;
  /** A TCP connection to host:port from the node's network namespace (probes, port-forward). */
  dial(host: string, port: number, timeoutMs: number): Promise<Duplex>;
  /**
   * Argv prefix that makes a program run inside the sandbox's network namespace with its
   * resolver files (`ip netns exec NAME`); empty when nothing is needed.
   */
  enterPrefix(sandbox: PodSandbox): string[];
  close(): Promise<void>;
}
