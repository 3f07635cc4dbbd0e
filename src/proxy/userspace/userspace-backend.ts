import type { Clock } from '../../util/clock.js';
import { systemClock } from '../../util/clock.js';
import type { Exec } from '../../util/exec.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import type { BackendSyncResult, ProxyBackend, ProxySnapshot, ServicePortChange, ServicePortState } from '../types.js';
import { Balancer } from './balancer.js';
import { LibuvTcpFrontend, NO_RAW_HANDLE } from './libuv-tcp-proxy.js';
import { loadLibuvTcp, type LibuvTcp } from './libuv-tcp.js';
import { TcpFrontend, type TcpFrontendOptions } from './tcp-proxy.js';
import { UdpFrontend } from './udp-proxy.js';

export const DUMMY_INTERFACE = 'skiff-svc';

export interface UserspaceBackendOptions {
  /**
   * How virtual IPs become bindable:
   * - `loopback` (host network mode, no root): ClusterIPs are 127.x addresses, which Linux
   *   accepts on `lo` without configuration;
   * - `dummy` (netns mode, root): every ClusterIP / LB / external IP is added as a /32 to the
   *   dummy interface `skiff-svc` in the proxy's own network namespace (run the proxy inside
   *   the node netns) and removed when its Service goes.
   */
  addressMode: 'loopback' | 'dummy';
  nodeIPs: readonly string[];
  exec?: Exec;
  clock?: Clock;
  udpIdleTimeoutMs?: number;
  /** Endpoints tried per connection before it is reset (default 3). */
  connectAttempts?: number;
  logger?: Logger;
  /**
   * TCP data path: `libuv` (default) runs on Node's raw libuv handles (libuv-tcp-proxy.ts,
   * about half the CPU per connection), `net` on public net.Sockets (tcp-proxy.ts). When the
   * raw bindings are missing from this Node, `libuv` falls back to `net` (logged).
   */
  tcpEngine?: 'libuv' | 'net';
  /** Where the raw bindings come from (tests replace it to exercise the fallback). */
  loadLibuv?: () => LibuvTcp | undefined;
}

interface PortBalancers {
  cluster: Balancer;
  external: Balancer;
}

type Frontend = TcpFrontend | LibuvTcpFrontend | UdpFrontend;

interface Wanted {
  portId: string;
  external: boolean;
  protocol: 'TCP' | 'UDP';
  host: string;
  port: number;
}

/** The userspace mode: a TCP/UDP proxy listening on every virtual address of every Service. */
export class UserspaceBackend implements ProxyBackend {
  readonly mode = 'userspace' as const;
  readonly usesConntrack = false;
  private readonly balancers = new Map<string, PortBalancers>();
  private readonly frontends = new Map<string, Frontend>();
  private readonly addresses = new Set<string>();
  private readonly clock: Clock;
  private readonly log: Logger;
  private cancelSweep: (() => void) | undefined;
  /** The device holding virtual IPs in `dummy` mode: skiff-svc, or `lo` when the kernel has no dummy driver. */
  private svcDevice: string | undefined;
  /** Set once the raw path turned out unusable: later listeners go straight to net. */
  private noLibuv = false;

  constructor(private readonly o: UserspaceBackendOptions) {
    this.clock = o.clock ?? systemClock;
    this.log = o.logger ?? silentLogger;
    this.scheduleSweep();
  }

  private scheduleSweep(): void {
    this.cancelSweep = this.clock.setTimeout(() => {
      const now = this.clock.now();
      for (const b of this.balancers.values()) {
        b.cluster.sweep(now);
        b.external.sweep(now);
      }
      for (const f of this.frontends.values()) if (f instanceof UdpFrontend) f.sweep(now);
      this.scheduleSweep();
    }, 1000);
  }

  async sync(snapshot: ProxySnapshot, changes: readonly ServicePortChange[], full: boolean): Promise<BackendSyncResult> {
    const touched = full ? [...snapshot.ports.values()] : changes.flatMap((c) => (c.new ? [c.new] : []));
    for (const s of touched) this.balancersFor(s.id).cluster.set(s.clusterEndpoints, s.affinityTimeoutSeconds);
    for (const s of touched) this.balancersFor(s.id).external.set(s.externalEndpoints, s.affinityTimeoutSeconds);
    for (const c of changes) if (!c.new) this.balancers.delete(c.id);
    if (full) for (const id of this.balancers.keys()) if (!snapshot.ports.has(id)) this.balancers.delete(id);

    const wanted = new Map<string, Wanted>();
    for (const s of snapshot.ports.values()) for (const w of this.frontendsOf(s)) wanted.set(`${w.protocol} ${w.host}:${w.port}`, w);
    for (const [key, f] of this.frontends) {
      if (wanted.has(key)) continue;
      this.frontends.delete(key);
      await f.close();
    }
    const failures: string[] = [];
    for (const [key, w] of wanted) {
      const b = this.balancersFor(w.portId);
      const balancer = w.external ? b.external : b.cluster;
      const have = this.frontends.get(key);
      if (have) {
        have.balancer = balancer;
        continue;
      }
      try {
        await this.ensureAddress(w.host);
        const opts = { host: w.host, port: w.port, balancer, now: () => this.clock.now() };
        const f = w.protocol === 'TCP'
          ? await this.listenTcp({ ...opts, connectAttempts: this.o.connectAttempts ?? 3 })
          : new UdpFrontend({ ...opts, idleTimeoutMs: this.o.udpIdleTimeoutMs ?? 30_000 });
        if (f instanceof UdpFrontend) await f.listen();
        this.frontends.set(key, f);
      } catch (err) {
        failures.push(`${key}: ${(err as Error).message}`);
      }
    }
    await this.releaseAddresses(wanted);
    if (failures.length) {
      this.log.warn({ failures }, 'userspace proxy could not listen on some addresses');
      throw new Error(`cannot listen on ${failures.join('; ')}`);
    }
    return { rules: this.frontends.size };
  }

  private async listenTcp(o: TcpFrontendOptions): Promise<TcpFrontend | LibuvTcpFrontend> {
    const uv = this.o.tcpEngine === 'net' || this.noLibuv ? undefined : (this.o.loadLibuv ?? loadLibuvTcp)();
    if (uv) {
      const f = new LibuvTcpFrontend(uv, o);
      try {
        await f.listen();
        return f;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== NO_RAW_HANDLE) throw err;
      }
    }
    if (this.o.tcpEngine !== 'net' && !this.noLibuv) this.log.warn('raw libuv TCP bindings not usable in this Node: the userspace proxy uses net sockets');
    this.noLibuv = this.o.tcpEngine !== 'net';
    const f = new TcpFrontend(o);
    await f.listen();
    return f;
  }

  private balancersFor(id: string): PortBalancers {
    let b = this.balancers.get(id);
    if (!b) this.balancers.set(id, (b = { cluster: new Balancer(), external: new Balancer() }));
    return b;
  }

  private frontendsOf(s: ServicePortState): Wanted[] {
    if (s.protocol === 'SCTP') return [];
    const out: Wanted[] = [];
    const base = { portId: s.id, protocol: s.protocol };
    for (const ip of s.clusterIPs) out.push({ ...base, external: false, host: ip, port: s.port });
    for (const ip of [...s.externalIPs, ...s.loadBalancerIPs]) out.push({ ...base, external: true, host: ip, port: s.port });
    if (s.nodePort) for (const ip of this.o.nodeIPs) out.push({ ...base, external: true, host: ip, port: s.nodePort });
    return out;
  }

  private isNodeIP(ip: string): boolean {
    return this.o.nodeIPs.includes(ip);
  }

  private async ensureAddress(ip: string): Promise<void> {
    if (this.o.addressMode !== 'dummy' || this.isNodeIP(ip) || this.addresses.has(ip)) return;
    const exec = this.o.exec!;
    if (!this.svcDevice) {
      const add = await exec('ip', ['link', 'add', DUMMY_INTERFACE, 'type', 'dummy'], { check: false });
      if (add.code !== 0 && /Unknown device type|not supported/i.test(add.stderr)) {
        this.log.warn('no dummy device driver in this kernel: service addresses go on lo');
        this.svcDevice = 'lo';
      } else {
        await exec('ip', ['link', 'set', DUMMY_INTERFACE, 'up']);
        this.svcDevice = DUMMY_INTERFACE;
      }
    }
    await exec('ip', ['addr', 'replace', `${ip}/32`, 'dev', this.svcDevice]);
    this.addresses.add(ip);
  }

  private async releaseAddresses(wanted: Map<string, Wanted>): Promise<void> {
    if (this.o.addressMode !== 'dummy') return;
    const still = new Set([...wanted.values()].map((w) => w.host));
    for (const ip of this.addresses) {
      if (still.has(ip)) continue;
      this.addresses.delete(ip);
      await this.o.exec!('ip', ['addr', 'del', `${ip}/32`, 'dev', this.svcDevice ?? DUMMY_INTERFACE], { check: false });
    }
  }

  async cleanup(): Promise<void> {
    await this.stop();
    if (this.o.addressMode === 'dummy') {
      for (const ip of this.addresses) await this.o.exec!('ip', ['addr', 'del', `${ip}/32`, 'dev', this.svcDevice ?? DUMMY_INTERFACE], { check: false });
      if (this.svcDevice === DUMMY_INTERFACE) await this.o.exec!('ip', ['link', 'del', DUMMY_INTERFACE], { check: false });
    }
    this.addresses.clear();
  }

  async stop(): Promise<void> {
    this.cancelSweep?.();
    for (const f of this.frontends.values()) await f.close();
    this.frontends.clear();
  }

  /** Which TCP data path the listeners use (`net` also when the raw bindings are missing). */
  tcpEnginesInUse(): Set<'libuv' | 'net'> {
    const engines = new Set<'libuv' | 'net'>();
    for (const f of this.frontends.values()) {
      if (f instanceof LibuvTcpFrontend) engines.add('libuv');
      else if (f instanceof TcpFrontend) engines.add('net');
    }
    return engines;
  }

  /** For tests: UDP sessions across all frontends. */
  udpSessions(): number {
    let n = 0;
    for (const f of this.frontends.values()) if (f instanceof UdpFrontend) n += f.sessionCount;
    return n;
  }
}
