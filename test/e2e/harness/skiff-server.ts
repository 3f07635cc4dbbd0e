/**
 * Starts a Skiff API server for a test and stops it in t.after.
 * - `startSkiffServer`: the real `skiff server` process (from source through tsx, or the
 *   built bin/skiff when SKIFF_BIN=dist), on port 0 with a temporary data dir.
 * - `startInProcessServer`: startApiServer in this process over MemoryStorage (fastest).
 * Both wait for /readyz and return the admin kubeconfig and token.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import { pollUntil } from './poll.js';
import { tempDir } from './tmp.js';

export const REPO_ROOT = resolve(import.meta.dirname, '../../..');

/** Test networks (team rule): services 198.19.0.0/17, pods 198.18.0.0/16. */
export const TEST_SERVICE_CIDR = '198.19.0.0/17';
export const TEST_CLUSTER_CIDR = '198.18.0.0/16';

export interface TestServer {
  url: string;
  dataDir: string;
  kubeconfig: string;
  caPem: string;
  token: string;
  /** Component kubeconfigs (agent, dns, proxy, controllers). */
  componentKubeconfig(name: 'agent' | 'dns' | 'proxy' | 'controllers'): string;
  stop(): Promise<void>;
  process?: ChildProcess;
}

export interface StartServerOptions {
  dataDir?: string;
  storage?: 'memory' | 'sqlite' | 'etcd';
  etcdEndpoints?: string;
  extraArgs?: string[];
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** A raw HTTPS GET with the server's CA (and a token, if given). */
export function httpsGet(url: string, caPem: string, token?: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolvePromise, reject) => {
    const req = request(url, { ca: caPem, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function adminToken(dataDir: string): string {
  const lines = readFileSync(join(dataDir, 'tokens.csv'), 'utf8').split('\n');
  const admin = lines.find((l) => l.split(',')[2] === 'skiff-admin');
  if (!admin) throw new Error('no admin token');
  return admin.split(',')[0]!;
}

export async function startSkiffServer(t: Pick<TestContext, 'after'>, o: StartServerOptions = {}): Promise<TestServer> {
  const dataDir = o.dataDir ?? tempDir(t, 'skt-as-');
  const args = [
    'server',
    '--data-dir', dataDir,
    '--storage', o.storage ?? 'sqlite',
    '--port', '0',
    '--service-cidr', TEST_SERVICE_CIDR,
    '--cluster-cidr', TEST_CLUSTER_CIDR,
    '--no-controllers',
    ...(o.etcdEndpoints ? ['--etcd-endpoints', o.etcdEndpoints] : []),
    ...(o.extraArgs ?? []),
  ];
  const useDist = process.env.SKIFF_BIN === 'dist';
  const cmd = useDist
    ? [join(REPO_ROOT, 'bin/skiff'), ...args]
    : ['--import', 'tsx', '-e', `import('./src/cmd/main.ts').then(m => m.main(${JSON.stringify(args)})).then(c => { process.exitCode = c; })`];
  const child = spawn(process.execPath, cmd, { cwd: REPO_ROOT, env: { ...process.env, SKIFF_LOG_LEVEL: 'warn', ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
  };
  t.after(stop);
  const url = await pollUntil(
    () => {
      if (child.exitCode !== null) throw new Error(`skiff server exited ${child.exitCode}: ${output}`);
      return /listening on (https:\/\/\S+)/.exec(output)?.[1];
    },
    { timeoutMs: o.timeoutMs ?? 30_000, what: `skiff server to listen (output: ${output})` },
  );
  const caPem = readFileSync(join(dataDir, 'pki', 'ca.crt'), 'utf8');
  await pollUntil(async () => (await httpsGet(`${url}/readyz`, caPem)).status === 200, { what: 'readyz' });
  return {
    url,
    dataDir,
    kubeconfig: join(dataDir, 'kubeconfig'),
    caPem,
    token: adminToken(dataDir),
    componentKubeconfig: (name) => join(dataDir, 'components', `${name}.kubeconfig`),
    stop,
    process: child,
  };
}

export interface InProcessOptions {
  dataDir?: string;
  nodePortRange?: string;
  watchCacheCapacity?: number;
  bookmarkIntervalMs?: number;
  kubeMinor?: string;
  /** The authorization seam (default: allow all). */
  authorizer?: import('../../../src/apiserver/index.js').Authorizer;
}

export async function startInProcessServer(t: Pick<TestContext, 'after'>, o: InProcessOptions = {}): Promise<TestServer> {
  const { startApiServer } = await import('../../../src/apiserver/index.js');
  const { MemoryStorage } = await import('../../../src/storage/memory/memory-storage.js');
  const { silentLogger } = await import('../../../src/util/logger.js');
  const dataDir = o.dataDir ?? tempDir(t, 'skt-as-');
  const storage = new MemoryStorage();
  const server = await startApiServer({
    dataDir,
    storage,
    port: 0,
    serviceCidr: TEST_SERVICE_CIDR,
    clusterCidr: TEST_CLUSTER_CIDR,
    nodePortRange: o.nodePortRange,
    logger: silentLogger,
    watchCacheCapacity: o.watchCacheCapacity,
    bookmarkIntervalMs: o.bookmarkIntervalMs,
    kubeMinor: o.kubeMinor,
    authorizer: o.authorizer,
  });
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await server.close();
    await storage.close();
  };
  t.after(stop);
  return {
    url: server.url,
    dataDir,
    kubeconfig: server.kubeconfigPath,
    caPem: server.caPem,
    token: server.tokens.admin,
    componentKubeconfig: (name) => join(dataDir, 'components', `${name}.kubeconfig`),
    stop,
  };
}
