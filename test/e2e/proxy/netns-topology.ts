/**
 * A throwaway "node" for kernel-mode proxy tests, all inside namespaces this test creates:
 *
 *   client netns  eth0 198.19.128.2 ──veth── 198.19.128.1 (node address)  ┐
 *                                                                          node netns (ip_forward,
 *   pod netns pN  eth0 198.18.0.1N  ──veth── bridge skiff0 198.18.0.1/24   ┘  route 198.19.0.0/17 → client veth)
 *
 * Pods run netns-tools.mjs `serve` (HTTP :8080, UDP :5353). Names are prefixed `skt-px-`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { realExec } from '../../../src/util/exec.js';

const TOOLS = fileURLToPath(new URL('./netns-tools.mjs', import.meta.url));

async function sh(...args: string[]): Promise<string> {
  return (await realExec(args[0]!, args.slice(1))).stdout;
}

export class Topology {
  readonly node: string;
  readonly client: string;
  readonly pods: string[] = [];
  private readonly servers = new Map<string, ChildProcess>();
  private readonly namespaces: string[] = [];

  constructor(readonly tag: string) {
    this.node = `skt-px-${tag}-node`;
    this.client = `skt-px-${tag}-cl`;
  }

  podIP(i: number): string {
    return `198.18.0.${11 + i}`;
  }

  async create(podCount: number): Promise<void> {
    const n = this.node;
    await this.addNs(n);
    const inNode = (...a: string[]) => sh('ip', 'netns', 'exec', n, ...a);
    await inNode('ip', 'link', 'set', 'lo', 'up');
    await inNode('sysctl', '-qw', 'net.ipv4.ip_forward=1');
    await inNode('ip', 'link', 'add', 'skiff0', 'type', 'bridge');
    await inNode('ip', 'addr', 'add', '198.18.0.1/24', 'dev', 'skiff0');
    await inNode('ip', 'link', 'set', 'skiff0', 'up');
    // client
    await this.addNs(this.client);
    await sh('ip', 'link', 'add', `px${this.tag}c`, 'netns', n, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', this.client);
    await inNode('ip', 'addr', 'add', '198.19.128.1/24', 'dev', `px${this.tag}c`);
    await inNode('ip', 'link', 'set', `px${this.tag}c`, 'up');
    // A route for the service range (this kernel has no dummy device): only Services without
    // endpoints use it, so their packets reach the forward hook and get rejected there.
    await inNode('ip', 'route', 'add', '198.19.0.0/17', 'dev', `px${this.tag}c`);
    const inCl = (...a: string[]) => sh('ip', 'netns', 'exec', this.client, ...a);
    await inCl('ip', 'link', 'set', 'lo', 'up');
    await inCl('ip', 'addr', 'add', '198.19.128.2/24', 'dev', 'eth0');
    await inCl('ip', 'link', 'set', 'eth0', 'up');
    await inCl('ip', 'route', 'add', '198.19.0.0/17', 'via', '198.19.128.1');
    for (let i = 0; i < podCount; i++) await this.addPod(i);
  }

  private async addNs(name: string): Promise<void> {
    await realExec('ip', ['netns', 'del', name], { check: false });
    await sh('ip', 'netns', 'add', name);
    this.namespaces.push(name);
  }

  async addPod(i: number): Promise<void> {
    const p = `skt-px-${this.tag}-p${i}`;
    await this.addNs(p);
    const host = `px${this.tag}p${i}`;
    await sh('ip', 'link', 'add', host, 'netns', this.node, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', p);
    await sh('ip', 'netns', 'exec', this.node, 'ip', 'link', 'set', host, 'master', 'skiff0', 'up');
    // Hairpin (a pod reaching itself through its Service) needs the bridge to send a frame
    // back out of the port it came in on, as kubelet's hairpin-veth mode does.
    await sh('ip', 'netns', 'exec', this.node, 'ip', 'link', 'set', host, 'type', 'bridge_slave', 'hairpin', 'on');
    const inPod = (...a: string[]) => sh('ip', 'netns', 'exec', p, ...a);
    await inPod('ip', 'link', 'set', 'lo', 'up');
    await inPod('ip', 'addr', 'add', `${this.podIP(i)}/24`, 'dev', 'eth0');
    await inPod('ip', 'link', 'set', 'eth0', 'up');
    await inPod('ip', 'route', 'add', 'default', 'via', '198.18.0.1');
    this.pods[i] = p;
  }

  /** Starts (or restarts) the servers of pod i answering `name`. */
  async serve(i: number, name: string): Promise<void> {
    const old = this.servers.get(this.pods[i]!);
    if (old && old.exitCode === null && old.signalCode === null) {
      const gone = new Promise<void>((r) => old.once('exit', () => r()));
      old.kill('SIGKILL');
      await gone; // its ports are free only once it is gone
    }
    const child = spawn('ip', ['netns', 'exec', this.pods[i]!, process.execPath, TOOLS, 'serve', name], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.servers.set(this.pods[i]!, child);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`pod ${i} server did not start`)), 10_000);
      child.stdout!.once('data', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** Sequential HTTP GETs from `netns` (default: the client). */
  async http(host: string, port: number, count: number, opts: { path?: string; netns?: string; pauseMs?: number } = {}): Promise<string[]> {
    const r = await realExec('ip', ['netns', 'exec', opts.netns ?? this.client, process.execPath, TOOLS, 'http', host, String(port), opts.path ?? '/', String(count), String(opts.pauseMs ?? 0)], { timeoutMs: 60_000 });
    return JSON.parse(r.stdout) as string[];
  }

  /** A UDP client that queries every 50 ms; `lines` accumulates its output. */
  udpLoop(host: string, port: number, netns?: string): { lines: string[]; stop(): void } {
    const child = spawn('ip', ['netns', 'exec', netns ?? this.client, process.execPath, TOOLS, 'udp-loop', host, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: string[] = [];
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const parts = buf.split('\n');
      buf = parts.pop()!;
      lines.push(...parts);
    });
    return { lines, stop: () => child.kill('SIGKILL') };
  }

  async inNs(ns: string, ...args: string[]): Promise<string> {
    return sh('ip', 'netns', 'exec', ns, ...args);
  }

  async destroy(): Promise<void> {
    for (const c of this.servers.values()) c.kill('SIGKILL');
    for (const ns of this.namespaces.reverse()) await realExec('ip', ['netns', 'del', ns], { check: false });
  }
}
