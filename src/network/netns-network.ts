/**
 * netns mode (root): the Kubernetes pod network on one node.
 *   node:  bridge `skiff0` = first address of the podCIDR (the pods' gateway), ip_forward on
 *   pod:   netns `skiff-<uid8>`, veth pair (host end `veth<hash>` on the bridge, pod end eth0),
 *          address from the IPAM, lo up, default route via the bridge,
 *          /etc/netns/<netns>/{resolv.conf,hosts}
 * With `nodeNetns` the node itself is that existing namespace: the bridge and veth host ends
 * are created there (`ip -n NODE ...`) and the machine's root namespace is never touched.
 * A new pod costs one `ip -batch` process (see createNetns). Every command goes through the
 * injected Exec, so unit tests check the sequence.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Pod } from '../api/types.js';
import { nthAddress, parseCidr } from '../util/cidr.js';
import type { Exec } from '../util/exec.js';
import { formatResolvConf, podHostsFile, podResolvConf } from './dns-files.js';
import { Ipam } from './ipam.js';
import { mkdir, writeFile } from 'node:fs/promises';
import { BRIDGE_NAME, podNetnsName, podVethName } from './names.js';
import { dialDirect, NetnsDialer } from './netns-dialer.js';
import type { PodNetwork, PodSandbox } from './pod-network.js';
import { ShellExec } from './shell-exec.js';

export interface NetnsNetworkOptions {
  /** Default: a ShellExec of its own (commands forked by one long-lived sh, not by the agent). */
  exec?: Exec;
  /** Agent data dir: the IPAM file and the dialer socket live here. */
  dataDir: string;
  nodeIP: string;
  /** Existing namespace that is the node (tests, simulated nodes); undefined = root namespace. */
  nodeNetns?: string;
  clusterDns: string[];
  clusterDomain: string;
  /** Where `ip netns exec` looks for per-namespace files (default /etc/netns). */
  etcNetnsDir?: string;
  /** The node's resolv.conf (for dnsPolicy Default); default: read /etc/resolv.conf. */
  hostResolvConf?: string;
  /**
   * Short-lived files (ip batches, ShellExec calls). Default: /dev/shm/skiff-<hash of dataDir>
   * when /dev/shm exists: creating and removing files on tmpfs costs ~10 µs, on the disk it
   * was ~1 ms per file under load, on the agent's event loop. Falls back to <dataDir>/scratch.
   */
  scratchDir?: string;
  /** Where `ip netns add` puts the namespaces (default /var/run/netns); tests point it elsewhere. */
  netnsRunDir?: string;
}

export class NetnsNetwork implements PodNetwork {
  readonly mode = 'netns' as const;
  private ipam?: Ipam;
  private gateway = '';
  private prefix = 24;
  private readonly dialer?: NetnsDialer;
  private readonly etcNetns: string;
  private readonly hostResolv: string;
  private readonly netnsRun: string;

  private readonly exec: Exec;
  private readonly ownExec?: ShellExec;
  private readonly scratch: string;

  constructor(private readonly opts: NetnsNetworkOptions) {
    this.scratch = opts.scratchDir ?? defaultScratchDir(opts.dataDir);
    if (opts.exec) this.exec = opts.exec;
    else {
      this.ownExec = new ShellExec(join(this.scratch, 'exec'));
      this.exec = this.ownExec.exec;
    }
    this.etcNetns = opts.etcNetnsDir ?? '/etc/netns';
    this.netnsRun = opts.netnsRunDir ?? '/var/run/netns';
    if (opts.nodeNetns) this.dialer = new NetnsDialer(opts.nodeNetns, join(opts.dataDir, 'dialer.sock'));
    this.hostResolv = opts.hostResolvConf ?? readText('/etc/resolv.conf');
  }

  get nodeIP(): string {
    return this.opts.nodeIP;
  }

  /** `ip` argv that acts in the node's namespace. */
  private nodeIp(...args: string[]): string[] {
    return this.opts.nodeNetns ? ['-n', this.opts.nodeNetns, ...args] : args;
  }

  async init(podCIDR: string | undefined): Promise<void> {
    if (!podCIDR) throw new Error('netns network needs the node podCIDR (the API server assigns it on Node create)');
    const cidr = parseCidr(podCIDR);
    this.gateway = nthAddress(cidr, 1);
    this.prefix = cidr.prefix;
    this.ipam = new Ipam({ cidr: podCIDR, file: join(this.opts.dataDir, 'ipam.json'), reserved: [this.gateway] });
    const { exec } = this;
    const show = await exec('ip', this.nodeIp('-o', 'addr', 'show', 'dev', BRIDGE_NAME), { check: false });
    if (show.code !== 0) await exec('ip', this.nodeIp('link', 'add', BRIDGE_NAME, 'type', 'bridge'));
    if (!show.stdout.includes(` ${this.gateway}/`)) {
      await exec('ip', this.nodeIp('addr', 'add', `${this.gateway}/${this.prefix}`, 'dev', BRIDGE_NAME));
    }
    await exec('ip', this.nodeIp('link', 'set', BRIDGE_NAME, 'up'));
    if (this.opts.nodeNetns) {
      await exec('ip', ['-n', this.opts.nodeNetns, 'link', 'set', 'lo', 'up']);
      await exec('ip', ['netns', 'exec', this.opts.nodeNetns, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
    } else {
      await exec('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
    }
    if (this.dialer) await this.dialer.start();
  }

  private requireIpam(): Ipam {
    if (!this.ipam) throw new Error('pod network not initialised (init not called)');
    return this.ipam;
  }

  async setupPod(pod: Pod): Promise<PodSandbox> {
    const uid = pod.metadata.uid!;
    if (pod.spec?.hostNetwork) {
      return { podUID: uid, podIP: this.opts.nodeIP, netns: this.opts.nodeNetns, ownNetwork: false };
    }
    const ipam = this.requireIpam();
    const { exec } = this;
    const netns = podNetnsName(uid);
    const ip = ipam.allocate(uid);
    // After an agent restart the namespace may already be complete: keep it (pods keep running).
    // The file test saves an `ip` run for every new pod (the common case).
    const existing = existsSync(join(this.netnsRun, netns)) ? await exec('ip', ['-n', netns, '-o', 'addr', 'show', 'dev', 'eth0'], { check: false }) : undefined;
    if (!(existing?.code === 0 && existing.stdout.includes(` ${ip}/`))) {
      if (existing) await this.removeNetns(uid);
      await this.createNetns(uid, netns, ip);
    }
    await Promise.all([this.writeDnsFiles(netns, pod, ip), ipam.persisted()]);
    return { podUID: uid, podIP: ip, netns, ownNetwork: true };
  }

  /**
   * One `ip -batch` run makes the namespace, the veth pair and the pod side, so the agent
   * forks once per pod (a fork of the agent costs ~1.5 ms per 50 MiB of its RSS and blocks its
   * event loop; `ip` forks its own helpers for the other namespaces for ~0.2 ms each).
   * `netns add` must run in the machine's mount namespace (it bind-mounts the new namespace
   * under /run/netns, which an `ip -n X` process could not publish), so the node side goes
   * through `netns exec NODE` when the node is a namespace; the pod side always goes through
   * `netns exec POD`. Both read their commands from a file: stdin is the outer batch. A failed
   * line stops the batch (exit 1) and everything made so far is removed.
   */
  private async createNetns(uid: string, netns: string, ip: string): Promise<void> {
    const veth = podVethName(uid);
    const dir = this.scratch;
    mkdirSync(dir, { recursive: true });
    const nodeSide = `link add ${veth} type veth peer name eth0 netns ${netns}\nlink set ${veth} master ${BRIDGE_NAME} up\n`;
    const podFile = join(dir, `${netns}.pod`);
    writeFileSync(podFile, `link set lo up\naddr add ${ip}/${this.prefix} dev eth0\nlink set eth0 up\nroute add default via ${this.gateway}\n`);
    let input = `netns add ${netns}\n`;
    const nodeFile = join(dir, `${netns}.node`);
    if (this.opts.nodeNetns) {
      writeFileSync(nodeFile, nodeSide);
      input += `netns exec ${this.opts.nodeNetns} ip -b ${nodeFile}\n`;
    } else {
      input += nodeSide;
    }
    input += `netns exec ${netns} ip -b ${podFile}\n`;
    try {
      await this.exec('ip', ['-b', '-'], { input });
    } catch (err) {
      await this.removeNetns(uid);
      throw err;
    } finally {
      rmSync(podFile, { force: true });
      rmSync(nodeFile, { force: true });
    }
  }

  /** Asynchronous (thread pool, not the agent's loop): /etc is on the disk. */
  private async writeDnsFiles(netns: string, pod: Pod, ip: string): Promise<void> {
    const dir = join(this.etcNetns, netns);
    await mkdir(dir, { recursive: true });
    const resolv = podResolvConf(pod, { clusterDns: this.opts.clusterDns, clusterDomain: this.opts.clusterDomain, hostResolvConf: this.hostResolv });
    await Promise.all([writeFile(join(dir, 'resolv.conf'), formatResolvConf(resolv)), writeFile(join(dir, 'hosts'), podHostsFile(pod, [ip], this.opts.clusterDomain))]);
  }

  private async removeNetns(uid: string): Promise<void> {
    const { exec } = this;
    const netns = podNetnsName(uid);
    // Deleting the namespace destroys eth0 and with it the host end of the pair; the explicit
    // delete covers a half-made pair whose peer never reached the namespace.
    await exec('ip', ['netns', 'del', netns], { check: false });
    await exec('ip', this.nodeIp('link', 'del', podVethName(uid)), { check: false });
    rmSync(join(this.etcNetns, netns), { recursive: true, force: true });
  }

  async teardownPod(podUID: string): Promise<void> {
    await this.removeNetns(podUID);
    this.ipam?.release(podUID);
  }

  async garbageCollect(liveUIDs: Set<string>): Promise<string[]> {
    const stale = (this.ipam?.owners() ?? []).filter((u) => !liveUIDs.has(u));
    for (const uid of stale) await this.teardownPod(uid);
    return stale;
  }

  dial(host: string, port: number, timeoutMs: number): Promise<Duplex> {
    return this.dialer ? this.dialer.dial(host, port, timeoutMs) : dialDirect(host, port, timeoutMs);
  }

  enterPrefix(sandbox: PodSandbox): string[] {
    return sandbox.netns ? ['ip', 'netns', 'exec', sandbox.netns] : [];
  }

  async close(): Promise<void> {
    await this.ipam?.persisted().catch(() => {});
    this.dialer?.close();
    this.ownExec?.close();
    rmSync(this.scratch, { recursive: true, force: true });
  }

  /** Removes the bridge (node shutdown with no pods left). */
  async removeBridge(): Promise<void> {
    await this.exec('ip', this.nodeIp('link', 'del', BRIDGE_NAME), { check: false });
  }
}

function defaultScratchDir(dataDir: string): string {
  try {
    if (statSync('/dev/shm').isDirectory()) return join('/dev/shm', `skiff-${createHash('sha1').update(dataDir).digest('hex').slice(0, 10)}`);
  } catch {
    /* no tmpfs here */
  }
  return join(dataDir, 'scratch');
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
