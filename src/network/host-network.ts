/**
 * host mode (no root needed): every pod shares the machine's network namespace and gets a
 * distinct loopback address (127.x.y.z from `podRange`, default 127.1.0.0/16) as its pod IP.
 * Containers receive POD_IP (and SKIFF_NETWORK_MODE=host) and must bind to it; ports are not
 * isolated (two pods binding 0.0.0.0:80 collide), there is no per-pod resolv.conf/hosts
 * (containers use the machine's resolver) and no own hostname. See README.md.
 */
import type { Duplex } from 'node:stream';
import type { Pod } from '../api/types.js';
import { join } from 'node:path';
import { Ipam } from './ipam.js';
import { dialDirect } from './netns-dialer.js';
import type { PodNetwork, PodSandbox } from './pod-network.js';

export interface HostNetworkOptions {
  dataDir: string;
  nodeIP?: string;
  podRange?: string;
}

export class HostNetwork implements PodNetwork {
  readonly mode = 'host' as const;
  readonly nodeIP: string;
  private readonly ipam: Ipam;

  constructor(opts: HostNetworkOptions) {
    this.nodeIP = opts.nodeIP ?? '127.0.0.1';
    const range = opts.podRange ?? '127.1.0.0/16';
    if (!range.startsWith('127.')) throw new Error(`host network pod range must be inside 127.0.0.0/8, got ${range}`);
    this.ipam = new Ipam({ cidr: range, file: join(opts.dataDir, 'ipam.json') });
  }

  async init(): Promise<void> {}

  async setupPod(pod: Pod): Promise<PodSandbox> {
    const uid = pod.metadata.uid!;
    if (pod.spec?.hostNetwork) return { podUID: uid, podIP: this.nodeIP, ownNetwork: false };
    const podIP = this.ipam.allocate(uid);
    await this.ipam.persisted();
    return { podUID: uid, podIP, ownNetwork: false };
  }

  async teardownPod(podUID: string): Promise<void> {
    this.ipam.release(podUID);
  }

  async garbageCollect(liveUIDs: Set<string>): Promise<string[]> {
    return this.ipam.retainOnly(liveUIDs);
  }

  dial(host: string, port: number, timeoutMs: number): Promise<Duplex> {
    return dialDirect(host, port, timeoutMs);
  }

  enterPrefix(): string[] {
    return [];
  }

  async close(): Promise<void> {
    await this.ipam.persisted().catch(() => {});
  }
}
