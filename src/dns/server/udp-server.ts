/**
 * UDP transport for the DNS server: the batched addon (recvmmsg/sendmmsg, one JS call per
 * batch) when it is built, else Node's dgram. Both give the handler the same packets and
 * contexts and send the same answers; only the syscall pattern differs.
 */
import { BatchedUdpServer } from './batched-udp-server.js';
import { DgramUdpServer } from './dgram-udp-server.js';
import { loadUdpBatchAddon } from './udp-batch-addon.js';
import type { UdpServer, UdpServerOptions } from './udp-server-contract.js';
import type { UdpTransportChoice } from './udp-transport.js';

export { MAX_UDP_QUERY_BYTES, type UdpServer, type UdpServerOptions } from './udp-server-contract.js';

/** 'batched' throws when the addon is not built; 'auto' takes it when it loads. */
export function createUdpServer(options: UdpServerOptions, choice: UdpTransportChoice = 'auto'): UdpServer {
  if (choice === 'dgram') return new DgramUdpServer(options);
  const addon = loadUdpBatchAddon();
  if (addon) return new BatchedUdpServer(options, addon);
  if (choice === 'batched') throw new Error('the batched UDP addon is not built (build/native/udp-batch.node: run npm run build with a C compiler)');
  return new DgramUdpServer(options);
}
