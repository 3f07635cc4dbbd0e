/**
 * `skiff proxy`: the service proxy. Picks the backend (userspace | nftables | iptables) and
 * wires it to the mode-agnostic core (src/proxy/proxy-core.ts). `startProxy` is exported so
 * `skiff up` can embed the proxy with its own informers, client and exec.
 */
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createServer, type Server } from 'node:http';
import { parseArgs } from 'node:util';
import { findResource } from '../api/resources.js';
import type { EndpointSlice, Node, Service } from '../api/types.js';
import { InformerFactory } from '../client/informer/informer-factory.js';
import { RestClient } from '../client/rest-client.js';
import type { ApiClient, Informer } from '../client/types.js';
import { KUBE_PROXY_CONNTRACK, applyConntrackTuning, restoreConntrackTuning, type AppliedSysctl, type ConntrackTuning } from '../proxy/conntrack-tuning.js';
import { IptablesBackend } from '../proxy/iptables/iptables-backend.js';
import { LoadBalancerAllocator } from '../proxy/lb-allocator.js';
import { execInNetns } from '../proxy/netns-exec.js';
import { NftablesBackend } from '../proxy/nftables/nftables-backend.js';
import { NftSession } from '../proxy/nftables/nft-session.js';
import { ProxyCore } from '../proxy/proxy-core.js';
import type { ProxyBackend } from '../proxy/types.js';
import { UserspaceBackend } from '../proxy/userspace/userspace-backend.js';
import { NetnsUserspaceBackend, serveDataplane } from '../proxy/userspace/netns-dataplane.js';
import { systemClock, type Clock } from '../util/clock.js';
import { realExec, type Exec } from '../util/exec.js';
import { createLogger, silentLogger, type Logger } from '../util/logger.js';

export type ProxyMode = 'userspace' | 'nftables' | 'iptables' | 'ipvs';

export const IPVS_UNAVAILABLE =
  'IPVS is not available in this kernel (ipvsadm: "Protocol not available"); use --mode nftables (or iptables)';

export interface StartProxyOptions {
  mode: ProxyMode;
  nodeName: string;
  /** Needed for --lb-pool (status writes) and to read the Node's addresses when nodeIPs is empty. */
  client?: ApiClient;
  /** Injected informers (skiff up, tests); otherwise created from `client`. */
  services?: Informer<Service>;
  slices?: Informer<EndpointSlice>;
  exec?: Exec;
  clock?: Clock;
  /** Program rules in this network namespace (nftables/iptables via `ip netns exec`). */
  netns?: string;
  /** Addresses NodePorts listen on / match; default: the Node's InternalIP addresses. */
  nodeIPs?: string[];
  /** Allocate LoadBalancer addresses from this pool (run ONE allocator per cluster). */
  lbPool?: string;
  clusterCIDR?: string;
  minSyncIntervalMs?: number;
  syncPeriodMs?: number;
  fullSyncPeriodMs?: number;
  /** ADDR:PORT for /metrics and /healthz. */
  metricsListen?: string;
  /** Where healthCheckNodePort servers listen (default 0.0.0.0; undefined node IPs → all). */
  healthCheckBindAddress?: string;
  /**
   * userspace mode: where ClusterIPs live. `loopback` (default without --netns): they are 127/8
   * addresses already. `dummy`: they are added to a link of this namespace (root; what
   * `skiff up --network netns --proxy-mode userspace` needs for pods to reach them).
   */
  userspaceAddressMode?: 'loopback' | 'dummy';
  /** Remove every rule when stopping. */
  cleanupOnStop?: boolean;
  /** Kernel modes: conntrack sysctls to set at start (the CLI passes kube-proxy's defaults; unset: none touched). */
  conntrack?: ConntrackTuning;
  logger?: Logger;
}

export interface RunningProxy {
  core: ProxyCore;
  backend: ProxyBackend;
  /** The metrics server's port (when metricsListen was given). */
  metricsPort?: number;
  stop(): Promise<void>;
}

function netnsPath(name: string): string {
  return name.includes('/') ? name : `/run/netns/${name}`;
}

function sameNetns(name: string): boolean {
  try {
    return statSync('/proc/self/ns/net').ino === statSync(`/run/netns/${name}`).ino;
  } catch {
    return false;
  }
}

export function createBackend(o: StartProxyOptions & { nodeIPs: string[] }): ProxyBackend {
  const exec = execInNetns(o.exec ?? realExec, o.netns);
  const logger = o.logger ?? silentLogger;
  switch (o.mode) {
    case 'nftables': {
      // A persistent `nft -i` only with the real exec (tests inject a fake one and read its calls).
      const session = o.exec ? undefined : new NftSession([...(o.netns ? ['nsenter', `--net=${netnsPath(o.netns)}`] : []), 'nft', '-i']);
      return new NftablesBackend({ exec, nodeIPs: o.nodeIPs, clusterCIDR: o.clusterCIDR, session, logger });
    }
    case 'iptables':
      return new IptablesBackend({ exec, clusterCIDR: o.clusterCIDR, logger });
    case 'userspace': {
      if (o.netns && !sameNetns(o.netns)) {
        // Sockets must be opened inside the netns: a dataplane child runs there (see netns-dataplane.ts).
        const self = [process.execPath, ...process.execArgv, process.argv[1]!];
        return new NetnsUserspaceBackend(['ip', 'netns', 'exec', o.netns, ...self, 'proxy', '--userspace-dataplane', ...o.nodeIPs.flatMap((ip) => ['--node-ip', ip])]);
      }
      return new UserspaceBackend({ addressMode: o.userspaceAddressMode ?? (o.netns ? 'dummy' : 'loopback'), nodeIPs: o.nodeIPs, exec: o.exec ?? realExec, clock: o.clock, logger });
    }
    case 'ipvs':
      throw new Error(IPVS_UNAVAILABLE);
    default:
      throw new Error(`unknown proxy mode "${String(o.mode)}" (userspace | nftables | iptables)`);
  }
}

async function nodeAddresses(client: ApiClient | undefined, nodeName: string, log: Logger): Promise<string[]> {
  if (!client) return [];
  try {
    const node = await client.get<Node>(findResource('', 'nodes')!, nodeName);
    return (node.status?.addresses ?? []).filter((a) => a.type === 'InternalIP' || a.type === 'ExternalIP').map((a) => a.address);
  } catch (err) {
    log.warn({ err, nodeName }, 'cannot read the Node; NodePorts need --node-ip');
    return [];
  }
}

export async function startProxy(o: StartProxyOptions): Promise<RunningProxy> {
  const log = o.logger ?? createLogger('proxy');
  const clock = o.clock ?? systemClock;
  const nodeIPs = o.nodeIPs?.length ? o.nodeIPs : await nodeAddresses(o.client, o.nodeName, log);
  const backend = createBackend({ ...o, nodeIPs, logger: log });
  const exec = execInNetns(o.exec ?? realExec, o.netns);
  const tunedSysctls: AppliedSysctl[] =
    o.conntrack && backend.usesConntrack ? await applyConntrackTuning({ exec, tuning: o.conntrack, cores: availableParallelism(), logger: log }) : [];
  const core = new ProxyCore({
    backend,
    nodeName: o.nodeName,
    clock,
    exec,
    logger: log,
    minSyncIntervalMs: o.minSyncIntervalMs,
    syncPeriodMs: o.syncPeriodMs,
    fullSyncPeriodMs: o.fullSyncPeriodMs,
    healthCheckBindAddress: o.healthCheckBindAddress ?? '0.0.0.0',
  });
  let factory: InformerFactory | undefined;
  let services = o.services;
  let slices = o.slices;
  if (!services || !slices) {
    if (!o.client) throw new Error('startProxy needs informers or a client');
    factory = new InformerFactory({ client: o.client, logger: log });
    services ??= factory.informerFor<Service>(findResource('', 'services')!);
    slices ??= factory.informerFor<EndpointSlice>(findResource('discovery.k8s.io', 'endpointslices')!);
  }
  core.attach(services, slices);
  if (o.lbPool) {
    if (!o.client) throw new Error('--lb-pool needs an API client to write Service status');
    new LoadBalancerAllocator({ client: o.client, pool: o.lbPool, logger: log }, services);
  }
  core.start();
  factory?.start();

  let metricsServer: Server | undefined;
  let metricsPort: number | undefined;
  if (o.metricsListen) {
    const i = o.metricsListen.lastIndexOf(':');
    const host = o.metricsListen.slice(0, i) || '127.0.0.1';
    const port = Number(o.metricsListen.slice(i + 1));
    const srv = createServer((req, res) => {
      if (req.url === '/metrics') {
        core.metrics.registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'Content-Type': core.metrics.registry.contentType });
            res.end(text);
          },
          () => {
            res.writeHead(500);
            res.end();
          },
        );
      } else if (req.url === '/healthz') {
        const ok = core.syncCount > 0;
        res.writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain' });
        res.end(ok ? 'ok' : 'not synced');
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    metricsServer = srv;
    await new Promise<void>((r) => srv.listen(port, host, () => r()));
    metricsPort = (srv.address() as { port: number }).port;
  }
  log.info({ mode: o.mode, nodeName: o.nodeName, nodeIPs, netns: o.netns }, 'proxy running');

  return {
    core,
    backend,
    metricsPort,
    async stop() {
      factory?.stop();
      await core.stop();
      if (metricsServer) await new Promise<void>((r) => metricsServer!.close(() => r()));
      if (o.cleanupOnStop) {
        await backend.cleanup();
        await restoreConntrackTuning({ exec, applied: tunedSysctls, logger: log });
      } else await backend.stop();
    },
  };
}

const HELP = `Usage: skiff proxy --kubeconfig FILE --node-name NAME --mode userspace|nftables|iptables [flags]

Makes every Service's ClusterIP (and NodePort, LoadBalancer and external IPs) load-balance onto
its ready endpoints, following Services and EndpointSlices through a watch.

Flags:
  --kubeconfig FILE        API server credentials (e.g. DATA/components/proxy.kubeconfig)
  --node-name NAME         this node (Local traffic policies, Node addresses)
  --mode MODE              userspace (no root) | nftables (root) | iptables (root); ipvs: not available here
  --netns NAME             program rules inside network namespace NAME (the node netns holding skiff0);
                           userspace mode starts a dataplane child inside it that binds ClusterIPs on
                           dummy "skiff-svc" (lo when the kernel has no dummy driver)
  --node-ip IP             node address for NodePorts (repeatable; default: the Node's InternalIP)
  --cluster-cidr CIDR      pod range: masquerade off-cluster clients of ClusterIPs and pod→pod service traffic
  --lb-pool CIDR           allocate LoadBalancer addresses from CIDR (run on ONE proxy only)
  --metrics-listen A:P     serve /metrics and /healthz (default 127.0.0.1:10249; "off" disables)
  --healthz-bind-address A where healthCheckNodePort servers listen (default 0.0.0.0)
  --sync-period DUR        sync at least this often (default 30s; e.g. 500ms, 30s, 5m)
  --min-sync-period DUR    rate limit between syncs (default 100ms)
  --full-sync-period DUR   rebuild all rules at least this often (default 1h)
  --cleanup                without --kubeconfig: remove all rules of --mode and exit;
                           with it: run, and remove all rules on exit
  Kernel modes set conntrack sysctls at start, as kube-proxy does (0 leaves one alone):
  --conntrack-max-per-core N  nf_conntrack_max = max(--conntrack-min, N x cores), only raised
                           (default 32768; global: not writable inside a --netns, logged)
  --conntrack-min N        (default 131072)
  --conntrack-tcp-timeout-established DUR  (default 24h; the kernel's is 5 days)
  --conntrack-tcp-timeout-close-wait DUR   (default 1h; the kernel's is 60s)
  -h, --help               this help
`;

/** The --conntrack-* flags (counts, durations rounded down to seconds; 0 = leave alone). */
export function conntrackTuningFromFlags(v: Record<string, unknown>): ConntrackTuning {
  const count = (name: string): number => {
    const n = Number(v[name]);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} wants a whole number >= 0, got "${String(v[name])}"`);
    return n;
  };
  const seconds = (name: string): number => Math.floor(parseDuration(String(v[name])) / 1000);
  return {
    maxPerCore: count('conntrack-max-per-core'),
    min: count('conntrack-min'),
    tcpTimeoutEstablishedSeconds: seconds('conntrack-tcp-timeout-established'),
    tcpTimeoutCloseWaitSeconds: seconds('conntrack-tcp-timeout-close-wait'),
  };
}

export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s.trim());
  if (!m) throw new Error(`invalid duration "${s}"`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return n * (unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000);
}

export async function run(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        kubeconfig: { type: 'string' },
        'node-name': { type: 'string' },
        mode: { type: 'string', default: 'userspace' },
        netns: { type: 'string' },
        'node-ip': { type: 'string', multiple: true },
        'cluster-cidr': { type: 'string' },
        'lb-pool': { type: 'string' },
        'metrics-listen': { type: 'string', default: '127.0.0.1:10249' },
        'healthz-bind-address': { type: 'string' },
        'sync-period': { type: 'string' },
        'min-sync-period': { type: 'string' },
        'full-sync-period': { type: 'string' },
        cleanup: { type: 'boolean' },
        'conntrack-max-per-core': { type: 'string', default: String(KUBE_PROXY_CONNTRACK.maxPerCore) },
        'conntrack-min': { type: 'string', default: String(KUBE_PROXY_CONNTRACK.min) },
        'conntrack-tcp-timeout-established': { type: 'string', default: `${KUBE_PROXY_CONNTRACK.tcpTimeoutEstablishedSeconds}s` },
        'conntrack-tcp-timeout-close-wait': { type: 'string', default: `${KUBE_PROXY_CONNTRACK.tcpTimeoutCloseWaitSeconds}s` },
        'userspace-dataplane': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    process.stderr.write(`skiff proxy: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const mode = values.mode as ProxyMode;
  if (mode === 'ipvs') {
    process.stderr.write(`skiff proxy: ${IPVS_UNAVAILABLE}\n`);
    return 1;
  }
  if (!['userspace', 'nftables', 'iptables'].includes(mode)) {
    process.stderr.write(`skiff proxy: unknown --mode "${mode}" (userspace | nftables | iptables)\n`);
    return 2;
  }
  const log = createLogger('proxy');
  if (values['userspace-dataplane']) {
    // Internal: the child of a userspace proxy with --netns, already inside that netns.
    const backend = new UserspaceBackend({ addressMode: 'dummy', nodeIPs: values['node-ip'] ?? [], exec: realExec, logger: log });
    process.on('SIGTERM', () => void backend.stop().then(() => process.exit(0)));
    await serveDataplane(backend, process.stdin, process.stdout);
    return 0;
  }
  if (values.cleanup && !values.kubeconfig) {
    const backend = createBackend({ mode, nodeName: values['node-name'] ?? '', netns: values.netns, nodeIPs: [], logger: log });
    await backend.cleanup();
    process.stdout.write(`skiff proxy: removed ${mode} rules${values.netns ? ` in netns ${values.netns}` : ''}\n`);
    return 0;
  }
  if (!values.kubeconfig || !values['node-name']) {
    process.stderr.write(`skiff proxy: --kubeconfig and --node-name are required\n\n${HELP}`);
    return 2;
  }
  let conntrack: ConntrackTuning;
  try {
    conntrack = conntrackTuningFromFlags(values);
  } catch (err) {
    process.stderr.write(`skiff proxy: ${(err as Error).message}\n`);
    return 2;
  }
  const client = await RestClient.fromKubeconfig(values.kubeconfig);
  let proxy: RunningProxy;
  try {
    proxy = await startProxy({
      mode,
      nodeName: values['node-name'],
      client,
      netns: values.netns,
      nodeIPs: values['node-ip'],
      clusterCIDR: values['cluster-cidr'],
      lbPool: values['lb-pool'],
      metricsListen: values['metrics-listen'] === 'off' ? undefined : values['metrics-listen'],
      healthCheckBindAddress: values['healthz-bind-address'],
      syncPeriodMs: values['sync-period'] ? parseDuration(values['sync-period']) : undefined,
      minSyncIntervalMs: values['min-sync-period'] ? parseDuration(values['min-sync-period']) : undefined,
      fullSyncPeriodMs: values['full-sync-period'] ? parseDuration(values['full-sync-period']) : undefined,
      cleanupOnStop: values.cleanup,
      conntrack,
      logger: log,
    });
  } catch (err) {
    process.stderr.write(`skiff proxy: ${(err as Error).message}\n`);
    client.close();
    return 1;
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await proxy.stop();
  client.close();
  return 0;
}
