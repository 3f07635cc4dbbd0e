/**
 * `skiff server`: the API server over sqlite (default), etcd or memory storage. The storage
 * backend is chosen here and only here (dependency rule: src/apiserver sees the interface).
 */
import { resolve, join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { startApiServer, DEFAULT_CLUSTER_CIDR, DEFAULT_NODE_PORT_RANGE, DEFAULT_SERVICE_CIDR } from '../apiserver/index.js';
import type { Storage } from '../storage/storage.js';
import { createLogger } from '../util/logger.js';
import { startControlPlane } from './control-plane.js';

const HELP = `Usage: skiff server [flags]

Serves the Kubernetes API over HTTPS and writes DIR/kubeconfig (admin) and
DIR/components/{agent,dns,proxy,controllers}.kubeconfig.

Flags:
  --data-dir DIR           state, PKI, tokens and kubeconfigs (default .skiff)
  --storage KIND           sqlite | etcd | memory (default sqlite, DIR/state.db)
  --etcd-endpoints URLS    comma-separated etcd client URLs (with --storage etcd)
  --bind ADDR              listen address (default 127.0.0.1)
  --port PORT              listen port (default 6443; 0 picks a free one)
  --service-cidr CIDR      ClusterIP range (default ${DEFAULT_SERVICE_CIDR})
  --cluster-cidr CIDR      pod range, a /24 per node (default ${DEFAULT_CLUSTER_CIDR})
  --node-port-range A-B    NodePort range (default ${DEFAULT_NODE_PORT_RANGE})
  --no-controllers         serve the API only (no controllers, no scheduler)
  -h, --help               this help
`;

export interface StorageChoice {
  kind: string;
  dataDir: string;
  etcdEndpoints?: string;
}

export async function openStorage(choice: StorageChoice): Promise<Storage> {
  switch (choice.kind) {
    case 'memory': {
      const { MemoryStorage } = await import('../storage/memory/memory-storage.js');
      return new MemoryStorage();
    }
    case 'sqlite': {
      const { SqliteStorage } = await import('../storage/sqlite/sqlite-storage.js');
      // The API server's watch cache already holds every object in memory and answers reads;
      // a second in-memory copy in the storage would double the memory per object.
      return SqliteStorage.open({ path: join(choice.dataDir, 'state.db'), cacheLatest: false });
    }
    case 'etcd': {
      const { EtcdStorage } = await import('../storage/etcd/etcd-storage.js');
      const endpoints = (choice.etcdEndpoints ?? 'http://127.0.0.1:2379').split(',').map((s) => s.trim()).filter(Boolean);
      return EtcdStorage.open({ endpoints });
    }
    default:
      throw new Error(`unknown storage "${choice.kind}" (want sqlite, etcd or memory)`);
  }
}

export async function run(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        'data-dir': { type: 'string', default: '.skiff' },
        storage: { type: 'string', default: 'sqlite' },
        'etcd-endpoints': { type: 'string' },
        bind: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: '6443' },
        'service-cidr': { type: 'string', default: DEFAULT_SERVICE_CIDR },
        'cluster-cidr': { type: 'string', default: DEFAULT_CLUSTER_CIDR },
        'node-port-range': { type: 'string', default: DEFAULT_NODE_PORT_RANGE },
        'no-controllers': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`skiff server: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`skiff server: invalid --port "${values.port}"\n`);
    return 2;
  }
  const dataDir = resolve(values['data-dir']);
  const logger = createLogger('apiserver');
  // A server keeps serving: a stray rejected promise is logged, not fatal.
  process.on('unhandledRejection', (err) => logger.error({ err: err instanceof Error ? err.stack : String(err) }, 'unhandled rejection'));
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const storage = await openStorage({ kind: values.storage, dataDir, etcdEndpoints: values['etcd-endpoints'] });
  let server;
  try {
    server = await startApiServer({
      dataDir,
      storage,
      bind: values.bind,
      port,
      serviceCidr: values['service-cidr'],
      clusterCidr: values['cluster-cidr'],
      nodePortRange: values['node-port-range'],
      logger,
      // etcd keeps every revision until told otherwise; SQLite compacts on its own.
      compactIntervalMs: values.storage === 'etcd' ? 5 * 60_000 : 0,
    });
  } catch (err) {
    await storage.close().catch(() => {});
    process.stderr.write(`skiff server: ${(err as Error).message}\n`);
    return 1;
  }
  process.stdout.write(`skiff server: listening on ${server.url} (storage ${values.storage})\n`);
  process.stdout.write(`skiff server: export KUBECONFIG=${server.kubeconfigPath}\n`);
  let controlPlane: { stop(): Promise<void> } | undefined;
  if (!values['no-controllers']) {
    // Leader election on: several servers over one etcd run one controller manager and one scheduler.
    controlPlane = await startControlPlane({
      kubeconfig: join(dataDir, 'components', 'controllers.kubeconfig'),
      logger: createLogger('controllers'),
      leaderElection: true,
    });
    process.stdout.write('skiff server: controllers and scheduler running (leader-elected)\n');
  }
  return new Promise<number>((done) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      (controlPlane?.stop() ?? Promise.resolve())
        .then(() => server.close())
        .then(() => storage.close())
        .then(() => done(0))
        .catch((err: unknown) => {
          logger.error({ err: String(err) }, 'shutdown failed');
          done(1);
        });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
