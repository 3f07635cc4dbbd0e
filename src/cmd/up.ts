/**
 * `skiff up`: a whole single-node cluster in one process tree — API server (SQLite by default),
 * controllers, scheduler, the node agent, the cluster DNS (as Service kube-system/kube-dns) and
 * the service proxy. Each component talks to the API over HTTPS with its own credential, exactly
 * as when it runs alone (`skiff server|agent|dns|proxy`); only the process is shared.
 *
 * Stop (SIGINT/SIGTERM) runs the start-up in reverse: pods stopped gracefully, rules, links and
 * namespaces removed, the data dir unlocked. The data dir keeps the cluster for the next start.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { findResource } from '../api/resources.js';
import type { EndpointSlice, Node, Pod, Service } from '../api/types.js';
import { isAlreadyExists, isConflict } from '../api/status-error.js';
import { InformerFactory } from '../client/informer/informer-factory.js';
import { RestClient } from '../client/rest-client.js';
import type { ApiClient } from '../client/types.js';
import { startApiServer, DEFAULT_CLUSTER_CIDR, DEFAULT_NODE_PORT_RANGE, DEFAULT_SERVICE_CIDR } from '../apiserver/index.js';
import { startDnsServer } from '../dns/dns-server.js';
import { nthAddress, parseCidr } from '../util/cidr.js';
import { realExec } from '../util/exec.js';
import { createLogger } from '../util/logger.js';
import { startAgent } from './agent.js';
import { startControlPlane } from './control-plane.js';
import { upstreamsFromFlag } from './dns.js';
import { startProxy, type ProxyMode } from './proxy.js';
import { openStorage } from './server.js';
import { lockDataDir } from './up-lock.js';
import { ensureNodeAddress } from './up-node-address.js';

/** Default ClusterIP range in host mode: loopback, so the userspace proxy can listen without root. */
const HOST_MODE_SERVICE_CIDR = '127.96.0.0/16';

const HELP = `Usage: skiff up [flags]

Starts a single-node cluster: API server, controllers, scheduler, node agent, cluster DNS
and service proxy. Writes DIR/kubeconfig for kubectl. Ctrl-C stops it and removes every
namespace, link, rule and process it created; the data dir keeps the cluster.

Flags:
  --data-dir DIR           cluster state (default .skiff)
  --storage KIND           sqlite (default) | etcd
  --etcd-endpoints URLS    etcd client URLs (with --storage etcd)
  --network MODE           netns (root: a network namespace per pod) | host (pod IPs on loopback)
  --proxy-mode MODE        nftables | iptables (root) | userspace
  --port PORT              API server port (default 6443; 0 = any free port)
  --node-name NAME         the Node's name (default: the hostname)
  --node-ip IP             the node's address (default: this namespace's first global IPv4;
                           in a bare namespace Skiff adds 198.19.255.254 to lo)
  --service-cidr CIDR      ClusterIP range (default ${DEFAULT_SERVICE_CIDR}, host mode ${HOST_MODE_SERVICE_CIDR};
                           kube-dns = the 10th address)
  --cluster-cidr CIDR      pod range (default ${DEFAULT_CLUSTER_CIDR})
  --node-port-range A-B    NodePort range (default ${DEFAULT_NODE_PORT_RANGE})
  --cluster-domain DOMAIN  DNS zone (default cluster.local)
  --dns-upstream LIST      where other names are forwarded (IP[:PORT],...; "none"; default: /etc/resolv.conf)
  --lb-pool CIDR           addresses for LoadBalancer Services (status.loadBalancer.ingress); none by default
  -h, --help
`;

/** The node bridge of netns pod networking (src/network). */
const POD_BRIDGE = 'skiff0';

interface UpFlags {
  dataDir: string;
  storage: string;
  etcdEndpoints?: string;
  network: 'netns' | 'host';
  proxyMode: ProxyMode;
  port: number;
  nodeName: string;
  nodeIP?: string;
  serviceCidr: string;
  clusterCidr: string;
  nodePortRange: string;
  clusterDomain: string;
  dnsUpstream?: string;
  lbPool?: string;
}

function parseFlags(args: string[]): UpFlags | 'help' {
  const { values } = parseArgs({
    args,
    options: {
      'data-dir': { type: 'string', default: '.skiff' },
      storage: { type: 'string', default: 'sqlite' },
      'etcd-endpoints': { type: 'string' },
      network: { type: 'string' },
      'proxy-mode': { type: 'string' },
      port: { type: 'string', default: '6443' },
      'node-name': { type: 'string' },
      'node-ip': { type: 'string' },
      'service-cidr': { type: 'string' },
      'cluster-cidr': { type: 'string', default: DEFAULT_CLUSTER_CIDR },
      'node-port-range': { type: 'string', default: DEFAULT_NODE_PORT_RANGE },
      'cluster-domain': { type: 'string', default: 'cluster.local' },
      'dns-upstream': { type: 'string' },
      'lb-pool': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const root = process.getuid?.() === 0;
  const network = (values.network ?? (root ? 'netns' : 'host')) as UpFlags['network'];
  if (network !== 'netns' && network !== 'host') throw new Error(`--network must be netns or host, not "${network}"`);
  if (network === 'netns' && !root) throw new Error('--network netns needs root (network namespaces, veth, bridge); use --network host');
  const proxyMode = (values['proxy-mode'] ?? (root ? 'nftables' : 'userspace')) as ProxyMode;
  if (!['nftables', 'iptables', 'userspace', 'ipvs'].includes(proxyMode)) throw new Error(`unknown --proxy-mode "${proxyMode}" (nftables | iptables | userspace)`);
  if (proxyMode !== 'userspace' && !root) throw new Error(`--proxy-mode ${proxyMode} programs kernel rules and needs root; use --proxy-mode userspace`);
  if (!['sqlite', 'etcd'].includes(values.storage)) throw new Error(`--storage must be sqlite or etcd, not "${values.storage}"`);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535, not "${values.port}"`);
  // host mode: ClusterIPs must be addresses this namespace already owns without root: 127/8.
  const serviceCidr = values['service-cidr'] ?? (network === 'host' ? HOST_MODE_SERVICE_CIDR : DEFAULT_SERVICE_CIDR);
  parseCidr(serviceCidr);
  parseCidr(values['cluster-cidr']);
  return {
    dataDir: resolve(values['data-dir']),
    storage: values.storage,
    etcdEndpoints: values['etcd-endpoints'],
    network,
    proxyMode,
    port,
    nodeName: (values['node-name'] ?? hostname()).toLowerCase(),
    nodeIP: values['node-ip'],
    serviceCidr,
    clusterCidr: values['cluster-cidr'],
    nodePortRange: values['node-port-range'],
    clusterDomain: values['cluster-domain'],
    dnsUpstream: values['dns-upstream'],
    lbPool: values['lb-pool'],
  };
}

function explainModes(f: UpFlags): string {
  const root = process.getuid?.() === 0;
  const why = root ? 'running as root' : 'not running as root (run as root for netns + nftables)';
  const net = f.network === 'netns' ? 'netns (a network namespace, veth and IP per pod)' : 'host (pod IPs on loopback; containers bind $POD_IP)';
  return `skiff: ${why}: pod network ${net}, proxy ${f.proxyMode}`;
}

/** kube-system/kube-dns: the cluster DNS as a Service at the 10th address of the range, served by this node. */
async function publishDnsService(client: ApiClient, o: { clusterIP: string; nodeIP: string; nodeName: string; port: number }): Promise<void> {
  const services = findResource('', 'services')!;
  const slices = findResource('discovery.k8s.io', 'endpointslices')!;
  const labels = { 'k8s-app': 'kube-dns', 'kubernetes.io/name': 'SkiffDNS', 'kubernetes.io/cluster-service': 'true' };
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kube-dns', namespace: 'kube-system', labels },
    spec: {
      clusterIP: o.clusterIP,
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: o.port },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: o.port },
      ],
    },
  } as Service;
  // Kept from an earlier start on this data dir: the allocator would refuse its IP a second time.
  const existing = await client.get<Service>(services, 'kube-dns', 'kube-system').catch(() => undefined);
  if (!existing) {
    try {
      await client.create(services, service, { namespace: 'kube-system' });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  } else if (existing.spec?.clusterIP !== o.clusterIP) {
    throw new Error(`Service kube-system/kube-dns has ClusterIP ${existing.spec?.clusterIP}, not ${o.clusterIP}: was --service-cidr changed for this data dir?`);
  }
  const slice = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: 'kube-dns-skiff',
      namespace: 'kube-system',
      labels: { 'kubernetes.io/service-name': 'kube-dns', 'endpointslice.kubernetes.io/managed-by': 'skiff-up' },
    },
    addressType: 'IPv4',
    endpoints: [{ addresses: [o.nodeIP], conditions: { ready: true, serving: true, terminating: false }, nodeName: o.nodeName }],
    ports: [
      { name: 'dns', port: o.port, protocol: 'UDP' },
      { name: 'dns-tcp', port: o.port, protocol: 'TCP' },
    ],
  } as EndpointSlice;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const current = await client.get<EndpointSlice>(slices, 'kube-dns-skiff', 'kube-system').catch(() => undefined);
      if (!current) await client.create(slices, slice, { namespace: 'kube-system' });
      else await client.update(slices, { ...slice, metadata: { ...slice.metadata, resourceVersion: current.metadata.resourceVersion } });
      return;
    } catch (err) {
      if (!isConflict(err) && !isAlreadyExists(err)) throw err;
    }
  }
}

async function waitNodeReady(client: ApiClient, nodeName: string, timeoutMs: number): Promise<void> {
  const nodes = findResource('', 'nodes')!;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const node = await client.get<Node>(nodes, nodeName).catch(() => undefined);
    if (node?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`node ${nodeName} did not become Ready within ${timeoutMs / 1000}s`);
}

export async function run(args: string[]): Promise<number> {
  let flags: UpFlags | 'help';
  try {
    flags = parseFlags(args);
  } catch (err) {
    process.stderr.write(`skiff up: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (flags === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  const f = flags;
  const log = createLogger('up');
  mkdirSync(f.dataDir, { recursive: true });
  let unlock: () => void;
  try {
    unlock = lockDataDir(f.dataDir);
  } catch (err) {
    process.stderr.write(`skiff up: ${(err as Error).message}\n`);
    return 1;
  }
  process.stdout.write(`${explainModes(f)}\n`);

  // Everything started is pushed here; stop runs it in reverse.
  const undo: Array<{ what: string; fn: () => Promise<void> | void }> = [{ what: 'lock', fn: unlock }];
  let stopping: Promise<void> | undefined;
  const stopAll = () =>
    (stopping ??= (async () => {
      for (const step of undo.reverse()) {
        try {
          await step.fn();
        } catch (err) {
          log.warn({ err, step: step.what }, 'stop step failed');
        }
      }
    })());
  const signalled = new Promise<string>((res) => {
    process.once('SIGINT', () => res('SIGINT'));
    process.once('SIGTERM', () => res('SIGTERM'));
  });

  try {
    const root = process.getuid?.() === 0;
    const nodeAddress = await ensureNodeAddress({ exec: realExec, requested: f.nodeIP, canConfigure: root && f.network === 'netns' });
    undo.push({ what: 'node address', fn: () => nodeAddress.release() });
    const nodeIP = nodeAddress.ip;

    const storage = await openStorage({ kind: f.storage, dataDir: f.dataDir, etcdEndpoints: f.etcdEndpoints });
    undo.push({ what: 'storage', fn: () => storage.close() });
    const api = await startApiServer({
      dataDir: f.dataDir,
      storage,
      bind: '127.0.0.1',
      port: f.port,
      serviceCidr: f.serviceCidr,
      clusterCidr: f.clusterCidr,
      nodePortRange: f.nodePortRange,
      logger: createLogger('apiserver'),
      // etcd keeps every revision until told otherwise; SQLite compacts on its own.
      compactIntervalMs: f.storage === 'etcd' ? 5 * 60_000 : 0,
    });
    undo.push({ what: 'apiserver', fn: () => api.close() });
    const kubeconfig = join(f.dataDir, 'kubeconfig');
    const component = (name: string) => join(f.dataDir, 'components', `${name}.kubeconfig`);

    const dnsIP = nthAddress(parseCidr(f.serviceCidr), 10);
    const admin = await RestClient.fromKubeconfig(kubeconfig, { userAgent: 'skiff-up' });
    undo.push({ what: 'admin client', fn: () => admin.close() });

    const dnsPort = root ? 53 : 1053;
    if (f.network === 'netns') {
      // The agent's pod network puts a bridge here; if it was not here before, take it away at stop.
      const bridgeBefore = await realExec('ip', ['link', 'show', POD_BRIDGE], { check: false });
      if (bridgeBefore.code !== 0) undo.push({ what: 'pod bridge', fn: async () => void (await realExec('ip', ['link', 'del', POD_BRIDGE], { check: false })) });
    }
    // Started side by side; each registers its stop the moment it is up, so a failure of one
    // still stops the others.
    const track = async <T extends { stop(): Promise<void> }>(what: string, starting: Promise<T>): Promise<T> => {
      const component = await starting;
      undo.push({ what, fn: () => component.stop() });
      return component;
    };
    const results = await Promise.allSettled([
      track('controllers', startControlPlane({ kubeconfig: component('controllers'), logger: createLogger('controllers') })),
      track('dns', (async () => {
        const client = await RestClient.fromKubeconfig(component('dns'), { userAgent: 'skiff-dns' });
        const informers = new InformerFactory({ client, logger: log });
        const upstreams = upstreamsFromFlag(f.dnsUpstream, { host: nodeIP, port: dnsPort });
        const server = await startDnsServer({
          informers: {
            services: informers.informerFor<Service>(findResource('', 'services')!),
            endpointSlices: informers.informerFor<EndpointSlice>(findResource('discovery.k8s.io', 'endpointslices')!),
            pods: informers.informerFor<Pod>(findResource('', 'pods')!),
          },
          // Pods' source addresses reach the DNS unchanged only with their own IPs (netns mode):
          // then ndots:5 search-path walks are answered in one round trip.
          autopath: f.network === 'netns',
          startInformers: false,
          zone: f.clusterDomain,
          host: nodeIP,
          port: dnsPort,
          upstreams,
          podsMode: 'insecure',
          dnsService: { namespace: 'kube-system', name: 'kube-dns' },
          logger: createLogger('dns'),
        });
        informers.start();
        const dnsStop = {
          async stop() {
            await server.close();
            informers.stop();
            client.close();
          },
        };
        try {
          await publishDnsService(admin, { clusterIP: dnsIP, nodeIP, nodeName: f.nodeName, port: server.udpPort });
        } catch (err) {
          await dnsStop.stop();
          throw err;
        }
        return dnsStop;
      })()),
      track('agent', startAgent({
        kubeconfig: component('agent'),
        nodeName: f.nodeName,
        network: f.network,
        nodeIP,
        dataDir: join(f.dataDir, 'agent'),
        clusterDns: [dnsIP],
        clusterDomain: f.clusterDomain,
        logger: createLogger('agent'),
      })),
    ]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;

    if (f.network === 'netns') {
      // Like a Kubernetes node, this one reaches ClusterIPs itself (curl <ClusterIP> on the
      // node): the proxy's output hook rewrites them, the route only has to exist. In a bare
      // namespace there is no default route, so give the service range one via the bridge.
      const added = await realExec('ip', ['route', 'add', f.serviceCidr, 'dev', POD_BRIDGE], { check: false });
      if (added.code === 0) undo.push({ what: 'service route', fn: async () => void (await realExec('ip', ['route', 'del', f.serviceCidr, 'dev', POD_BRIDGE], { check: false })) });
    }
    const proxyClient = await RestClient.fromKubeconfig(component('proxy'), { userAgent: 'skiff-proxy' });
    const proxy = await startProxy({
      mode: f.proxyMode,
      nodeName: f.nodeName,
      client: proxyClient,
      nodeIPs: [nodeIP],
      clusterCIDR: f.clusterCidr,
      lbPool: f.lbPool,
      userspaceAddressMode: f.network === 'netns' ? 'dummy' : 'loopback',
      cleanupOnStop: true,
      logger: createLogger('proxy'),
    });
    // Stopped before the agent, so traffic stops being steered to pods that are going away.
    undo.push({
      what: 'proxy',
      fn: async () => {
        await proxy.stop();
        proxyClient.close();
      },
    });

    await waitNodeReady(admin, f.nodeName, 30_000);
    writeFileSync(join(f.dataDir, 'node-ip'), `${nodeIP}\n`);
    process.stdout.write(
      `skiff: API server ${api.url}, node ${f.nodeName} (${nodeIP}), cluster DNS ${dnsIP}\n` +
        `export KUBECONFIG=${kubeconfig}\n` +
        `skiff: ready in ${process.uptime().toFixed(2)}s (kubectl get nodes shows ${f.nodeName} Ready); Ctrl-C stops\n`,
    );
  } catch (err) {
    process.stderr.write(`skiff up: ${(err as Error).message}\n`);
    await stopAll();
    return 1;
  }
  const sig = await signalled;
  process.stdout.write(`skiff: ${sig}: stopping pods and removing what was set up...\n`);
  await stopAll();
  process.stdout.write('skiff: stopped\n');
  // Anything still holding the loop (a lingering socket) must not keep a stopped cluster alive.
  setTimeout(() => process.exit(0), 2000).unref();
  return 0;
}
