/**
 * `skiff dns`: the cluster DNS server as its own process (CoreDNS's job). Builds a RestClient
 * from the kubeconfig, Service / EndpointSlice (/ Pod) informers, and startDnsServer().
 */
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { EndpointSlice, Pod, Service } from '../api/types.js';
import { findResource } from '../api/resources.js';
import { RestClient } from '../client/rest-client.js';
import { InformerFactory } from '../client/informer/index.js';
import { startDnsServer } from '../dns/dns-server.js';
import { parseUpstream, type Upstream } from '../dns/forward/forwarder.js';
import type { PodsMode } from '../dns/handler.js';
import { createLogger } from '../util/logger.js';

const HELP = `Usage: skiff dns --kubeconfig FILE [flags]

Serves the cluster zone from Services and EndpointSlices (Kubernetes DNS spec 1.1.0) and
forwards other names upstream.

Flags:
  --kubeconfig FILE          API server credentials (required)
  --listen ADDR:PORT         UDP and TCP address (default 127.0.0.1:53)
  --zone ZONE                cluster domain (default cluster.local)
  --upstream IP[:PORT],...   forwarders (default: nameservers of /etc/resolv.conf); "none" = no forwarding
  --ttl SECONDS              TTL of cluster answers (default 5, 0..3600)
  --pods MODE                pod records a-b-c-d.<ns>.pod.<zone>: disabled | insecure | verified (default insecure)
  --autopath                 complete pod clients' search path server-side (needs pod informer)
  --metrics-listen ADDR:PORT /metrics, /health, /ready (default 127.0.0.1:9153; "none" = off)
  --dns-service NS/NAME      Service whose IPs the apex NS record names (default kube-system/kube-dns)
  --workers N                N processes (node:cluster), each with its own informers and answer table;
                             UDP: one SO_REUSEPORT socket per worker with the batched transport, one
                             shared socket with dgram; TCP shared (default 1; needs a fixed --listen
                             port; /metrics then shows the worker that answers the scrape)
  --help
`;

export function splitHostPort(text: string, defaultPort: number): { host: string; port: number } {
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  if (v6) return { host: v6[1]!, port: Number(v6[2]) };
  const i = text.lastIndexOf(':');
  if (i > 0 && !text.slice(0, i).includes(':')) return { host: text.slice(0, i), port: Number(text.slice(i + 1)) };
  return { host: text, port: defaultPort };
}

/** Nameservers from resolv.conf, minus our own listen address (a loop by construction). */
export function resolvConfUpstreams(text: string, self: { host: string; port: number }): Upstream[] {
  const out: Upstream[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (!m) continue;
    const u = parseUpstream(m[1]!.includes(':') && !m[1]!.startsWith('[') ? `[${m[1]}]` : m[1]!);
    if (u.address === self.host && u.port === self.port) continue;
    out.push(u);
  }
  return out;
}

/**
 * The forwarders for a `--upstream` flag: "none", a list `IP[:PORT],...`, or (unset) the
 * machine's resolv.conf nameservers minus the server's own address `self`.
 */
export function upstreamsFromFlag(flag: string | undefined, self: { host: string; port: number }): Upstream[] {
  if (flag === 'none') return [];
  if (flag) return flag.split(',').filter(Boolean).map(parseUpstream);
  let text = '';
  try {
    text = readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    // no resolv.conf: nothing to forward to
  }
  return resolvConfUpstreams(text, self);
}

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      kubeconfig: { type: 'string' },
      listen: { type: 'string', default: '127.0.0.1:53' },
      zone: { type: 'string', default: 'cluster.local' },
      upstream: { type: 'string' },
      ttl: { type: 'string', default: '5' },
      pods: { type: 'string', default: 'insecure' },
      autopath: { type: 'boolean', default: false },
      'metrics-listen': { type: 'string', default: '127.0.0.1:9153' },
      'dns-service': { type: 'string', default: 'kube-system/kube-dns' },
      workers: { type: 'string', default: '1' },
      help: { type: 'boolean', default: false },
    },
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (!values.kubeconfig) {
    process.stderr.write(`skiff dns: --kubeconfig is required\n\n${HELP}`);
    return 2;
  }
  const ttl = Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > 3600) {
    process.stderr.write('skiff dns: --ttl must be an integer 0..3600\n');
    return 2;
  }
  const podsMode = values.pods as PodsMode;
  if (!['disabled', 'insecure', 'verified'].includes(podsMode)) {
    process.stderr.write('skiff dns: --pods must be disabled, insecure or verified\n');
    return 2;
  }
  const listen = splitHostPort(values.listen, 53);
  const upstreams = upstreamsFromFlag(values.upstream, listen);
  const workers = Number(values.workers);
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) {
    process.stderr.write('skiff dns: --workers must be 1..64\n');
    return 2;
  }
  if (workers > 1 && cluster.isPrimary) {
    if (listen.port === 0) {
      process.stderr.write('skiff dns: --workers > 1 needs a fixed --listen port\n');
      return 2;
    }
    return runPrimary(workers, listen, args);
  }
  const [dnsNs, dnsName] = values['dns-service'].split('/');
  const logger = createLogger('dns');
  const client = await RestClient.fromKubeconfig(values.kubeconfig);
  const factory = new InformerFactory({ client, logger });
  const services = factory.informerFor<Service>(findResource('', 'services')!);
  const endpointSlices = factory.informerFor<EndpointSlice>(findResource('discovery.k8s.io', 'endpointslices')!);
  const needPods = podsMode === 'verified' || values.autopath;
  const pods = needPods ? factory.informerFor<Pod>(findResource('', 'pods')!) : undefined;
  const metricsListen = values['metrics-listen'] === 'none' ? undefined : splitHostPort(values['metrics-listen'], 9153);
  const server = await startDnsServer({
    informers: { services, endpointSlices, ...(pods ? { pods } : {}) },
    startInformers: false,
    zone: values.zone,
    ttl,
    host: listen.host,
    port: listen.port,
    upstreams,
    podsMode,
    autopath: values.autopath,
    ...(metricsListen ? { metricsListen } : {}),
    dnsService: { namespace: dnsNs ?? 'kube-system', name: dnsName ?? 'kube-dns' },
    // A worker binds its own UDP socket on the shared port (batched transport), so the kernel
    // spreads queries across workers instead of waking them all on one socket.
    udpReusePort: cluster.isWorker,
    logger,
  });
  factory.start();
  process.stdout.write(`skiff dns: listening on ${listen.host}:${server.udpPort} (udp+tcp)${server.metricsPort ? `, metrics on ${metricsListen!.host}:${server.metricsPort}` : ''}\n`);
  void factory.waitForSync().then(() => logger.info('informers synced: serving cluster names'));
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  factory.stop();
  await server.close();
  return 0;
}

/** Forks the workers (each runs this same command), restarts crashed ones, stops them on SIGTERM. */
async function runPrimary(workers: number, listen: { host: string; port: number }, args: string[]): Promise<number> {
  // Workers run this very file (see the bottom): works from bin/skiff, dist/ and tsx alike,
  // even when the parent was started with `node -e`.
  const execArgv: string[] = [];
  for (let i = 0; i < process.execArgv.length; i++) {
    const a = process.execArgv[i]!;
    if (a === '-e' || a === '--eval' || a === '-p' || a === '--print') i++;
    else if (!a.startsWith('--eval=') && !a.startsWith('--print=')) execArgv.push(a);
  }
  cluster.setupPrimary({ exec: fileURLToPath(import.meta.url), execArgv });
  let stopping = false;
  const fork = (): void => {
    const w = cluster.fork({ [WORKER_ARGS_ENV]: JSON.stringify(args) });
    w.on('exit', (code) => {
      if (!stopping) {
        process.stderr.write(`skiff dns: worker ${w.process.pid} exited (${code}); restarting\n`);
        setTimeout(fork, 1000).unref();
      }
    });
  };
  for (let i = 0; i < workers; i++) fork();
  process.stdout.write(`skiff dns: ${workers} workers on ${listen.host}:${listen.port}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  stopping = true;
  const all = Object.values(cluster.workers ?? {});
  await Promise.all(all.map((w) => new Promise<void>((r) => (w && !w.isDead() ? (w.once('exit', () => r()), w.kill('SIGTERM')) : r()))));
  return 0;
}

const WORKER_ARGS_ENV = 'SKIFF_DNS_WORKER_ARGS';
if (cluster.isWorker && process.env[WORKER_ARGS_ENV]) {
  run(JSON.parse(process.env[WORKER_ARGS_ENV]) as string[]).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`skiff dns worker: ${String(err)}\n`);
      process.exit(1);
    },
  );
}
