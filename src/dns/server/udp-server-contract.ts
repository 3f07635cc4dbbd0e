/**
 * What every UDP transport of the DNS server takes and offers (dgram-udp-server.ts,
 * batched-udp-server.ts); udp-server.ts picks one.
 */
import type { Logger } from '../../util/logger.js';
import type { DnsHandler } from '../handler.js';
import type { DnsMetrics } from '../metrics/dns-metrics.js';

/** Larger than any legal EDNS query we accept; bigger datagrams are dropped unread. */
export const MAX_UDP_QUERY_BYTES = 4096;

export interface UdpServerOptions {
  host: string;
  port: number;
  handler: DnsHandler;
  metrics?: DnsMetrics;
  logger?: Logger;
  /** Bytes; bigger kernel buffers absorb bursts (dnsperf) instead of dropping. */
  receiveBufferSize?: number;
  /**
   * Batched transport only: SO_REUSEPORT, so each node:cluster worker binds its own socket
   * on the same port and the kernel spreads datagrams across them. (dgram in a worker
   * shares the primary's socket instead.)
   */
  reusePort?: boolean;
}

export interface UdpServer {
  readonly transport: 'batched' | 'dgram';
  /** Binds; resolves with the port. */
  listen(): Promise<number>;
  /** Batched transport: [recvmmsg batches, datagrams, answers the kernel refused]; dgram: undefined. */
  batchStats(): [number, number, number] | undefined;
  close(): Promise<void>;
}
