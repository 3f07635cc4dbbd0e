/**
 * The dgram UDP transport (the fallback when the batched addon is not built): one Node socket;
 * each packet goes through the handler and the response (if any) back to the sender.
 * Synchronous answers are sent from inside the 'message' callback (no promise, no
 * microtask); only forwarded queries go async.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { QueryContext } from '../handler.js';
import { MAX_UDP_QUERY_BYTES, type UdpServer, type UdpServerOptions } from './udp-server-contract.js';

export class DgramUdpServer implements UdpServer {
  readonly transport = 'dgram';
  private socket: Socket | undefined;

  batchStats(): undefined {
    return undefined;
  }

  constructor(private readonly o: UdpServerOptions) {}

  async listen(): Promise<number> {
    // Replies go to the IP the query came from: no name resolution needed. The default
    // (dns.lookup) defers every send by a tick; this answers synchronously.
    const lookup = (address: string, _family: unknown, cb: (err: Error | null, address: string, family: number) => void): void =>
      cb(null, address, isIPv6(address) ? 6 : 4);
    const socket = createSocket({ type: isIPv6(this.o.host) ? 'udp6' : 'udp4', lookup: lookup as never });
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(this.o.port, this.o.host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    try {
      socket.setRecvBufferSize(this.o.receiveBufferSize ?? 4 * 1024 * 1024);
      socket.setSendBufferSize(4 * 1024 * 1024);
    } catch {
      // capped by net.core.rmem_max: the kernel default still works
    }
    socket.on('error', (err) => this.o.logger?.warn({ err }, 'udp socket error'));
    const handler = this.o.handler;
    const metrics = this.o.metrics;
    // One context object, rewritten per packet: the handler reads it only during handle().
    const ctx: QueryContext = { transport: 'udp', address: '', port: 0 };
    // No send callback: a callback costs a tick per packet; send errors (e.g. EAGAIN when the
    // kernel buffer is full) mean a lost answer the client retries, like a lost query.
    socket.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
      if (msg.length > MAX_UDP_QUERY_BYTES) {
        if (metrics) metrics.dropped++;
        return;
      }
      const t0 = metrics?.sample() ? performance.now() : 0;
      if (metrics) metrics.byTransport.udp++;
      ctx.address = rinfo.address;
      ctx.port = rinfo.port;
      const out = handler.handle(msg, ctx);
      if (out === null) return;
      if (!(out instanceof Promise)) {
        socket.send(out, rinfo.port, rinfo.address);
        if (t0 !== 0) metrics!.observeLatency((performance.now() - t0) / 1000);
        return;
      }
      void out.then((r) => {
        if (r && this.socket) socket.send(r, rinfo.port, rinfo.address);
        if (t0 !== 0) metrics!.observeLatency((performance.now() - t0) / 1000);
      });
    });
    return socket.address().port;
  }

  async close(): Promise<void> {
    const s = this.socket;
    this.socket = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
