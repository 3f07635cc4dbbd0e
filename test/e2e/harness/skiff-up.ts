/**
 * A whole `skiff up` cluster inside a network namespace of the test's own (the way the README
 * says tests isolate it): `ip netns exec NS bin/skiff up ...`, with kubectl run in the same
 * namespace. Test CIDRs are in 198.18.0.0/15; DNS forwarding is off so nothing leaves.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { runCommand } from './run-command.js';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { REPO_ROOT, TEST_CLUSTER_CIDR, TEST_SERVICE_CIDR } from './skiff-server.js';
import { pollUntil } from './poll.js';

export interface UpCluster {
  netns: string;
  dataDir: string;
  kubeconfig: string;
  nodeIP: string;
  /** Everything `skiff up` printed so far. */
  output(): string;
  /** kubectl inside the cluster's namespace. */
  kubectl(args: readonly string[], o?: { input?: string; timeoutMs?: number }): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Any command inside the cluster's namespace. */
  inNetns(argv: readonly string[], o?: { timeoutMs?: number }): Promise<{ code: number; stdout: string; stderr: string }>;
  /** SIGINT and wait for exit; resolves to the exit code. */
  stop(): Promise<number | null>;
}

const run = runCommand;

export function rootSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, nftables)';
  if (spawnSync('ip', ['-V']).status !== 0) return 'needs iproute2';
  return undefined;
}

export interface StartUpOptions {
  name: string;
  extraArgs?: string[];
  readyTimeoutMs?: number;
  /**
   * Run `skiff up` as this uid/gid (e.g. 65534, nobody) to check the no-root path. The
   * namespace lets unprivileged processes bind ports from 0 (a per-namespace sysctl), as a
   * user would allow with CAP_NET_BIND_SERVICE, so the seeds' port 80 works.
   */
  asUser?: number;
  /** Runs once the namespace exists, before `skiff up` starts in it (e.g. to start etcd there). */
  beforeStart?: (netns: string) => Promise<void>;
  /** Start on the namespace and data dir of an earlier (stopped) cluster, which keeps cleaning them up. */
  reuse?: Pick<UpCluster, 'netns' | 'dataDir'>;
}

export async function startUpCluster(t: Pick<TestContext, 'after'>, o: StartUpOptions): Promise<UpCluster> {
  const netns = o.reuse?.netns ?? `skt-up-${o.name}-${process.pid % 10000}`;
  if (!o.reuse) {
    spawnSync('ip', ['netns', 'del', netns]);
    const add = spawnSync('ip', ['netns', 'add', netns], { encoding: 'utf8' });
    if (add.status !== 0) throw new Error(`ip netns add ${netns}: ${add.stderr}`);
  }
  const dataDir = o.reuse?.dataDir ?? mkdtempSync(join(tmpdir(), `skt-up-${o.name}-`));
  const asUser: string[] = [];
  if (o.asUser !== undefined) {
    chownSync(dataDir, o.asUser, o.asUser);
    spawnSync('ip', ['netns', 'exec', netns, 'ip', 'link', 'set', 'lo', 'up']);
    spawnSync('ip', ['netns', 'exec', netns, 'sysctl', '-qw', 'net.ipv4.ip_unprivileged_port_start=0']);
    asUser.push('setpriv', `--reuid=${o.asUser}`, `--regid=${o.asUser}`, '--clear-groups');
  }
  const cacheDir = join(dataDir, 'kubectl-cache');
  // Registered before anything can fail, so a failed start still removes the namespace.
  const started: { stop?: () => Promise<number | null> } = {};
  t.after(async () => {
    await started.stop?.();
    if (o.reuse) return;
    spawnSync('ip', ['netns', 'del', netns]);
    rmSync(dataDir, { recursive: true, force: true });
  });
  await o.beforeStart?.(netns);
  let out = '';
  const child: ChildProcess = spawn(
    'ip',
    [
      'netns', 'exec', netns, ...asUser, join(REPO_ROOT, 'bin/skiff'), 'up',
      '--data-dir', dataDir, '--port', '0',
      // Without root, ClusterIPs must be loopback addresses: `skiff up` picks 127.96.0.0/16 itself.
      ...(o.asUser === undefined ? ['--service-cidr', TEST_SERVICE_CIDR, '--cluster-cidr', TEST_CLUSTER_CIDR] : []),
      '--node-name', `node-${o.name}`, '--dns-upstream', 'none',
      ...(o.extraArgs ?? []),
    ],
    { env: { ...process.env, SKIFF_LOG_LEVEL: process.env.SKIFF_LOG_LEVEL ?? 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let stopped: Promise<number | null> | undefined;
  const stop = (started.stop = () => {
    if (!stopped) {
      child.kill('SIGINT');
      stopped = Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), 40_000))]).then((code) => {
        if (code === null && child.exitCode === null) child.kill('SIGKILL');
        return code;
      });
    }
    return stopped;
  });
  await pollUntil(() => /ready in/.test(out) || child.exitCode !== null, { timeoutMs: o.readyTimeoutMs ?? 30_000, what: 'skiff up to be ready' });
  if (!/ready in/.test(out)) throw new Error(`skiff up exited ${child.exitCode} before ready:\n${out}`);
  const kubeconfig = join(dataDir, 'kubeconfig');
  const nodeIP = readFileSync(join(dataDir, 'node-ip'), 'utf8').trim();
  const env = { ...process.env, KUBECONFIG: kubeconfig, HOME: cacheDir };
  return {
    netns,
    dataDir,
    kubeconfig,
    nodeIP,
    output: () => out,
    kubectl: (args, ko = {}) => run(['ip', 'netns', 'exec', netns, 'kubectl', `--cache-dir=${cacheDir}`, ...args], { env, ...ko }),
    inNetns: (argv, ko = {}) => run(['ip', 'netns', 'exec', netns, ...argv], { env, ...ko }),
    stop,
  };
}
