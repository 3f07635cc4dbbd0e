/**
 * startDnsServer: the whole DNS server from injected informers, so `skiff dns` (own process,
 * own client) and `skiff up` (shared InformerFactory) wire it the same way.
 */
import type { EndpointSlice, Pod, Service } from '../api/types.js';
import type { Informer } from '../client/types.js';
import type { Logger } from '../util/logger.js';
import { silentLogger } from '../util/logger.js';
import { RecordStore } from './answers/record-store.js';
import { ForwardCache } from './cache/forward-cache.js';
import { Forwarder, type Upstream } from './forward/forwarder.js';
import { DnsHandler, type PodsMode } from './handler.js';
import { KubernetesSource } from './kubernetes/kubernetes-source.js';
import { soaData, soaTtl } from './kubernetes/records.js';
import { DnsMetrics } from './metrics/dns-metrics.js';
import { MetricsHttpServer } from './server/http-server.js';
import { TcpServer } from './server/tcp-server.js';
import { createUdpServer, type UdpServer } from './server/udp-server.js';
import { udpTransportFromEnv, type UdpTransportChoice } from './server/udp-transport.js';
import { RRClass, RRType } from './wire/constants.js';

export interface DnsInformers {
  services: Informer<Service>;
  endpointSlices: Informer<EndpointSlice>;
  /** Required for `podsMode: 'verified'` and autopath. */
  pods?: Informer<Pod>;
}

export interface StartDnsServerOptions {
  informers: DnsInformers;
  /** Call start() on the informers (false when the caller shares and starts them). Default true. */
  startInformers?: boolean;
  zone?: string;
  ttl?: number;
  /** Address for UDP and TCP. Default 127.0.0.1. */
  host?: string;
  /** UDP and TCP port (same number); 0 = pick one. Default 53. */
  port?: number;
  upstreams?: Upstream[];
  forwardTimeoutMs?: number;
  loopProbeIntervalMs?: number;
  podsMode?: PodsMode;
  autopath?: boolean;
  /** `/metrics`, `/health`, `/ready`; omitted = no HTTP server. */
  metricsListen?: { host: string; port: number };
  dnsService?: { namespace: string; name: string };
  forwardCache?: { capacity?: number; maxTtlSec?: number; maxNegativeTtlSec?: number };
  tcpIdleTimeoutMs?: number;
  tcpMaxConnections?: number;
  /** Default: `SKIFF_DNS_UDP` from the environment, else 'auto' (batched when the addon is built). */
  udpTransport?: UdpTransportChoice;
  /** SO_REUSEPORT on the batched UDP socket: set in node:cluster workers, one socket each. */
  udpReusePort?: boolean;
  logger?: Logger;
}

export interface RunningDnsServer {
  udpPort: number;
  /** The UDP transport in use: 'batched' (addon, recvmmsg/sendmmsg) or 'dgram'. */
  udpTransport: 'batched' | 'dgram';
  /** Batched transport: [recvmmsg batches, datagrams, answers the kernel refused]; dgram: undefined. */
  udpBatchStats(): [number, number, number] | undefined;
  tcpPort: number;
  metricsPort: number | undefined;
  handler: DnsHandler;
  store: RecordStore;
  source: KubernetesSource;
  metrics: DnsMetrics;
  forwarder: Forwarder | undefined;
  ready(): boolean;
  close(): Promise<void>;
}

export async function startDnsServer(options: StartDnsServerOptions): Promise<RunningDnsServer> {
  const zone = (options.zone ?? 'cluster.local').toLowerCase().replace(/\.$/, '');
  const ttl = options.ttl ?? 5;
  const logger = options.logger ?? silentLogger;
  const serial = Math.floor(Date.now() / 1000);
  const store = new RecordStore({ soa: { name: zone, type: RRType.SOA, class: RRClass.IN, ttl: soaTtl(ttl), data: soaData(zone, ttl, serial) } });
  const podsMode = options.podsMode ?? 'disabled';
  const needPods = podsMode === 'verified' || options.autopath === true;
  if (needPods && !options.informers.pods) throw new Error('podsMode "verified" and autopath need a pods informer');
  const source = new KubernetesSource({
    zone,
    ttl,
    store,
    services: options.informers.services,
    endpointSlices: options.informers.endpointSlices,
    ...(needPods && options.informers.pods ? { pods: options.informers.pods } : {}),
    ...(options.dnsService ? { dnsService: options.dnsService } : {}),
    serial,
  });
  source.start();
  let forwarder: Forwarder | undefined;
  const cache = new ForwardCache(options.forwardCache);
  if (options.upstreams && options.upstreams.length > 0) {
    forwarder = new Forwarder({
      upstreams: options.upstreams,
      cache,
      logger,
      ...(options.forwardTimeoutMs !== undefined ? { timeoutMs: options.forwardTimeoutMs } : {}),
      ...(options.loopProbeIntervalMs !== undefined ? { probeIntervalMs: options.loopProbeIntervalMs } : {}),
    });
  }
  let udp: UdpServer | undefined;
  const metrics = new DnsMetrics({ cache: () => cache, forward: () => forwarder?.stats, udpBatch: () => udp?.batchStats() });
  const handler = new DnsHandler({
    zone,
    store,
    ttl,
    isSynced: () => source.hasSynced(),
    pods: source,
    podsMode,
    ...(forwarder ? { forwarder } : {}),
    autopath: options.autopath === true,
    metrics,
    logger,
  });
  const host = options.host ?? '127.0.0.1';
  const udpChoice = options.udpTransport ?? udpTransportFromEnv(process.env);
  let tcp: TcpServer | undefined;
  let udpPort = 0;
  let tcpPort = 0;
  // With port 0 the UDP port is picked first and TCP takes the same number (retry on clash:
  // on a machine with tens of thousands of TCP connections a clash is common).
  for (let attempt = 0; ; attempt++) {
    udp = createUdpServer(
      { host, port: options.port ?? 53, handler, metrics, logger, ...(options.udpReusePort ? { reusePort: true } : {}) },
      udpChoice,
    );
    udpPort = await udp.listen();
    tcp = new TcpServer({
      host,
      port: udpPort,
      handler,
      metrics,
      logger,
      ...(options.tcpIdleTimeoutMs !== undefined ? { idleTimeoutMs: options.tcpIdleTimeoutMs } : {}),
      ...(options.tcpMaxConnections !== undefined ? { maxConnections: options.tcpMaxConnections } : {}),
    });
    try {
      tcpPort = await tcp.listen();
      break;
    } catch (err) {
      await udp.close();
      if (options.port || attempt >= 30) throw err;
    }
  }
  let http: MetricsHttpServer | undefined;
  let metricsPort: number | undefined;
  if (options.metricsListen) {
    http = new MetricsHttpServer({ host: options.metricsListen.host, port: options.metricsListen.port, metrics, isReady: () => source.hasSynced() });
    metricsPort = await http.listen();
  }
  if (forwarder) await forwarder.start();
  if (options.startInformers !== false) {
    options.informers.services.start();
    options.informers.endpointSlices.start();
    if (needPods) options.informers.pods!.start();
  }
  logger.info({ host, udpPort, udpTransport: udp.transport, tcpPort, metricsPort, zone, upstreams: options.upstreams, podsMode, autopath: options.autopath === true }, 'dns server listening');
  return {
    udpPort,
    udpTransport: udp.transport,
    udpBatchStats: () => udp?.batchStats(),
    tcpPort,
    metricsPort,
    handler,
    store,
    source,
    metrics,
    forwarder,
    ready: () => source.hasSynced(),
    async close() {
      forwarder?.close();
      await Promise.all([udp?.close(), tcp?.close(), http?.close()]);
      if (options.startInformers !== false) {
        options.informers.services.stop();
        options.informers.endpointSlices.stop();
        if (needPods) options.informers.pods!.stop();
      }
    },
  };
}
