/**
 * startApiServer: everything `skiff server` (and `skiff up`, embedded) needs to serve the API
 * over HTTPS from a data dir and a Storage: PKI, tokens, kubeconfigs, watch cache,
 * allocators rebuilt from storage, bootstrap objects, and the router.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { findResource } from '../api/resources.js';
import type { Storage } from '../storage/storage.js';
import { nthAddress, parseCidr } from '../util/cidr.js';
import { systemClock, type Clock } from '../util/clock.js';
import { realExec, type Exec } from '../util/exec.js';
import { createLogger, type Logger } from '../util/logger.js';
import type { AdmissionPlugin } from './admission/admission.js';
import { NamespaceLifecycle } from './admission/namespace-lifecycle.js';
import { NodeCidrAllocation } from './admission/node-cidr.js';
import { parsePortRange, ServiceAllocation } from './admission/service-allocation.js';
import { allowAll, ensureTokens, type Authorizer, type ComponentName } from './auth.js';
import { bootstrap } from './bootstrap.js';
import type { ServerDeps } from './context.js';
import { writeKubeconfigs } from './kubeconfig.js';
import { ApiMetrics, timedStorage } from './metrics.js';
import { apiModel } from './model.js';
import { ensurePki } from './pki.js';
import { Registry } from './registry.js';
import { Router } from './router.js';
import { WatchCache } from './watch-cache.js';

export interface ApiServerOptions {
  dataDir: string;
  storage: Storage;
  /** Address to listen on (default 127.0.0.1). */
  bind?: string;
  /** Port (default 6443; 0 picks a free one). */
  port?: number;
  serviceCidr?: string;
  clusterCidr?: string;
  nodePortRange?: string;
  exec?: Exec;
  clock?: Clock;
  logger?: Logger;
  authorizer?: Authorizer;
  /** Minor version reported by /version (default: SKIFF_KUBE_MINOR or 32). */
  kubeMinor?: string;
  /** Events each resource's watch cache keeps for resuming watches (default 1024). */
  watchCacheCapacity?: number;
  bookmarkIntervalMs?: number;
  /**
   * Compact storage history older than one interval, every interval (what kube-apiserver does
   * for etcd every 5 minutes). 0 (default) leaves compaction to the backend (SQLite does its own).
   */
  compactIntervalMs?: number;
}

export interface RunningApiServer {
  url: string;
  port: number;
  caPem: string;
  /** Bearer token per provisioned identity (admin, agent, dns, proxy, controllers). */
  tokens: Record<ComponentName, string>;
  kubeconfigPath: string;
  close(): Promise<void>;
}

export const DEFAULT_SERVICE_CIDR = '10.96.0.0/12';
export const DEFAULT_CLUSTER_CIDR = '10.244.0.0/16';
export const DEFAULT_NODE_PORT_RANGE = '30000-32767';

/** Every IPv4 address of this machine: the serving certificate must cover them when binding 0.0.0.0. */
function localIPv4s(): string[] {
  const out: string[] = [];
  for (const addrs of Object.values(networkInterfaces())) for (const a of addrs ?? []) if (a.family === 'IPv4') out.push(a.address);
  return out;
}

export async function startApiServer(options: ApiServerOptions): Promise<RunningApiServer> {
  const logger = options.logger ?? createLogger('apiserver');
  const clock = options.clock ?? systemClock;
  const exec = options.exec ?? realExec;
  const bind = options.bind ?? '127.0.0.1';
  const serviceCidr = parseCidr(options.serviceCidr ?? DEFAULT_SERVICE_CIDR);
  const clusterCidr = parseCidr(options.clusterCidr ?? DEFAULT_CLUSTER_CIDR);
  const nodePorts = parsePortRange(options.nodePortRange ?? DEFAULT_NODE_PORT_RANGE);
  const minor = options.kubeMinor ?? process.env.SKIFF_KUBE_MINOR ?? '32';
  const advertise = bind === '0.0.0.0' || bind === '::' ? '127.0.0.1' : bind;

  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const firstServiceIp = nthAddress(serviceCidr, 1);
  const pki = await ensurePki({
    dir: join(options.dataDir, 'pki'),
    exec,
    ips: ['127.0.0.1', advertise, firstServiceIp, ...(bind === '0.0.0.0' ? localIPv4s() : [])],
    dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', hostname()],
  });
  const tokenFile = await ensureTokens(join(options.dataDir, 'tokens.csv'));

  const metrics = new ApiMetrics();
  const storage = timedStorage(options.storage, metrics);
  const services = new ServiceAllocation({ storage, serviceCidr, nodePorts });
  const nodeCidrs = new NodeCidrAllocation(storage, clusterCidr);
  const admission: AdmissionPlugin[] = [new NamespaceLifecycle(), services, nodeCidrs];
  const cache = new WatchCache({ storage, logger, capacity: options.watchCacheCapacity });
  const registry = new Registry({ storage, clock, model: apiModel, admission, cached: (i, name, ns) => cache.getCached(i, name, ns) });
  await cache.start();
  await services.repair(await registry.listAll(findResource('', 'services')!));
  await nodeCidrs.repair(await registry.listAll(findResource('', 'nodes')!));

  const deps: ServerDeps = {
    registry,
    cache,
    storage,
    clock,
    logger,
    metrics,
    // Like kube-apiserver's --min-request-timeout: a random 30-60 minutes spreads re-watches.
    watchTimeoutMs: () => (1800 + Math.floor(Math.random() * 1800)) * 1000,
    bookmarkIntervalMs: options.bookmarkIntervalMs ?? 30_000,
  };
  let ready = false;
  let port = 0;
  const router = new Router({
    deps,
    tokens: tokenFile.tokens,
    authorize: options.authorizer ?? allowAll,
    version: () => ({
      major: '1',
      minor,
      gitVersion: `v1.${minor}.0-skiff`,
      gitCommit: 'skiff',
      gitTreeState: 'clean',
      buildDate: '2026-01-01T00:00:00Z',
      goVersion: `node${process.versions.node}`,
      compiler: 'tsc',
      platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
    }),
    serverAddress: () => `${advertise}:${port}`,
    ready: () => ready,
  });

  const server: Server = createServer({ cert: pki.certPem, key: pki.keyPem, requestTimeout: 0, keepAliveTimeout: 65_000 });
  server.on('request', router.handle);
  server.on('upgrade', router.handleUpgrade);
  server.on('clientError', (_err, socket) => socket.destroy());
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 6443, bind, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => logger.error({ err: err.message }, 'server error'));
  port = (server.address() as AddressInfo).port;
  const url = `https://${advertise.includes(':') ? `[${advertise}]` : advertise}:${port}`;

  try {
    await bootstrap({ registry, serviceIp: services.firstIp(), endpointIp: advertise, port });
    await writeKubeconfigs(options.dataDir, url, pki.caPem, tokenFile.byComponent);
  } catch (err) {
    server.close();
    cache.close();
    throw err;
  }
  ready = true;
  let stopCompactor = (): void => {};
  if (options.compactIntervalMs && options.compactIntervalMs > 0) {
    let previous = 0;
    const tick = (): void => {
      storage
        .currentRevision()
        .then(async (current) => {
          if (previous > 0) await storage.compact(previous);
          previous = current;
        })
        .catch((err: unknown) => logger.warn({ err: String(err) }, 'compaction failed'))
        .finally(() => {
          stopCompactor = clock.setTimeout(tick, options.compactIntervalMs!);
        });
    };
    stopCompactor = clock.setTimeout(tick, options.compactIntervalMs);
  }

  return {
    url,
    port,
    caPem: pki.caPem,
    tokens: tokenFile.byComponent,
    kubeconfigPath: join(options.dataDir, 'kubeconfig'),
    close: async () => {
      ready = false;
      stopCompactor();
      cache.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
