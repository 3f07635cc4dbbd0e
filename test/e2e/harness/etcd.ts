/**
 * Starts real etcd servers for tests: one member or a loopback cluster, on random free ports
 * of 127.0.0.1 with temp data dirs. Everything started is stopped and removed through the
 * `after` hook the caller passes (usually the node:test context).
 *
 *   const skip = etcdSkipReason();            // string when /usr/bin/etcd is missing
 *   const etcd = await startEtcd(t);          // etcd.endpoints: ['http://127.0.0.1:PORT']
 *   const cluster = await startEtcdCluster(t, 3); cluster.members[1].kill();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ETCD_BINARY = process.env.SKIFF_ETCD_BINARY ?? '/usr/bin/etcd';

export interface AfterHook {
  after(fn: () => unknown): void;
}

/** A message explaining why etcd tests cannot run here, or undefined when they can. */
export function etcdSkipReason(): string | undefined {
  return existsSync(ETCD_BINARY)
    ? undefined
    : `${ETCD_BINARY} not found: install the Debian package etcd-server (scripts/setup.sh does when root)`;
}

export interface EtcdMember {
  name: string;
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  /** SIGKILL the member (no clean shutdown). */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL after 5 s. */
  stop(): Promise<void>;
  /** Last lines etcd wrote, for failure messages. */
  log(): string;
  /** True once the process has exited. */
  exited(): boolean;
}

export interface EtcdCluster {
  members: EtcdMember[];
  /** Client URLs of all members. */
  endpoints: string[];
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (bind port 0, read it, release it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function startEtcd(hook: AfterHook): Promise<EtcdCluster> {
  return startEtcdCluster(hook, 1);
}

export async function startEtcdCluster(hook: AfterHook, size: number, timeoutMs = 20_000): Promise<EtcdCluster> {
  // A port picked free can be taken by someone else before etcd binds it: retry on early exit.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(hook, size, timeoutMs);
    } catch (err) {
      if (!(err instanceof EarlyExit) || attempt >= 3) throw err;
    }
  }
}

class EarlyExit extends Error {}

async function startOnce(hook: AfterHook, size: number, timeoutMs: number): Promise<EtcdCluster> {
  const token = `skt-etcd-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const specs: { name: string; clientUrl: string; peerUrl: string; dataDir: string }[] = [];
  for (let i = 0; i < size; i++) {
    specs.push({
      name: `m${i}`,
      clientUrl: `http://127.0.0.1:${await freePort()}`,
      peerUrl: `http://127.0.0.1:${await freePort()}`,
      dataDir: mkdtempSync(join(tmpdir(), `${token}-m${i}-`)),
    });
  }
  const initialCluster = specs.map((s) => `${s.name}=${s.peerUrl}`).join(',');
  const members = specs.map((spec) => launch(spec, initialCluster, token));
  const cluster: EtcdCluster = {
    members,
    endpoints: members.map((m) => m.clientUrl),
    async stop() {
      await Promise.all(members.map((m) => m.stop()));
      for (const m of members) rmSync(m.dataDir, { recursive: true, force: true });
    },
  };
  hook.after(() => cluster.stop());
  const deadline = Date.now() + timeoutMs;
  for (const m of members) {
    while (!(await healthy(m.clientUrl))) {
      if (m.exited()) {
        await cluster.stop();
        throw new EarlyExit(`etcd member ${m.name} exited before it was healthy:\n${m.log()}`);
      }
      if (Date.now() > deadline) throw new Error(`etcd member ${m.name} not healthy after ${timeoutMs} ms:\n${m.log()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return cluster;
}

function launch(spec: { name: string; clientUrl: string; peerUrl: string; dataDir: string }, initialCluster: string, token: string): EtcdMember {
  const args = [
    `--name=${spec.name}`,
    `--data-dir=${spec.dataDir}`,
    `--listen-client-urls=${spec.clientUrl}`,
    `--advertise-client-urls=${spec.clientUrl}`,
    `--listen-peer-urls=${spec.peerUrl}`,
    `--initial-advertise-peer-urls=${spec.peerUrl}`,
    `--initial-cluster=${initialCluster}`,
    `--initial-cluster-state=new`,
    `--initial-cluster-token=${token}`,
    '--logger=zap',
    '--log-level=warn',
    // Loopback: short raft ticks make elections after a killed member quick.
    '--heartbeat-interval=50',
    '--election-timeout=500',
  ];
  const proc: ChildProcess = spawn(ETCD_BINARY, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let tail: string[] = [];
  proc.stderr!.on('data', (chunk: Buffer) => {
    tail.push(chunk.toString());
    if (tail.length > 40) tail = tail.slice(-20);
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  let gone = false;
  proc.once('exit', () => (gone = true));
  const signal = async (sig: NodeJS.Signals, graceMs: number): Promise<void> => {
    if (gone) return;
    proc.kill(sig);
    const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  return {
    ...spec,
    kill: () => signal('SIGKILL', 0),
    stop: () => signal('SIGTERM', 5000),
    log: () => tail.join(''),
    exited: () => gone,
  };
}

async function healthy(clientUrl: string): Promise<boolean> {
  try {
    const res = await fetch(`${clientUrl}/health`, { signal: AbortSignal.timeout(1000) });
    const body = (await res.json()) as { health?: string };
    return body.health === 'true';
  } catch {
    return false;
  }
}
