/**
 * TCP transport (RFC 7766): 2-byte length-prefixed messages, pipelined (several queries per
 * connection, answered as they complete, possibly out of order), idle timeout, a bound on
 * concurrent connections (new ones beyond it are closed at once) and on queued answers per
 * connection.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../../util/logger.js';
import type { DnsHandler, QueryContext } from '../handler.js';
import type { DnsMetrics } from '../metrics/dns-metrics.js';

export interface TcpServerOptions {
  host: string;
  port: number;
  handler: DnsHandler;
  metrics?: DnsMetrics;
  logger?: Logger;
  idleTimeoutMs?: number;
  maxConnections?: number;
  /** Unanswered queries allowed per connection before we stop reading from it. */
  maxPendingPerConnection?: number;
}

export class TcpServer {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly o: TcpServerOptions) {}

  get connectionCount(): number {
    return this.sockets.size;
  }

  async listen(): Promise<number> {
    const maxConnections = this.o.maxConnections ?? 1000;
    const idle = this.o.idleTimeoutMs ?? 10_000;
    const maxPending = this.o.maxPendingPerConnection ?? 64;
    const server = createServer((sock) => {
      if (this.sockets.size >= maxConnections) {
        sock.destroy();
        return;
      }
      this.sockets.add(sock);
      sock.setNoDelay(true);
      sock.setTimeout(idle, () => sock.destroy());
      sock.on('close', () => this.sockets.delete(sock));
      sock.on('error', () => sock.destroy());
      const ctx: QueryContext = { transport: 'tcp', address: sock.remoteAddress ?? '', port: sock.remotePort ?? 0 };
      let buffered: Buffer = Buffer.alloc(0);
      let pending = 0;
      const send = (out: Buffer | null): void => {
        if (!out || sock.destroyed) return;
        const frame = Buffer.allocUnsafe(out.length + 2);
        frame.writeUInt16BE(out.length, 0);
        out.copy(frame, 2);
        sock.write(frame);
      };
      sock.on('data', (chunk: Buffer) => {
        buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
        while (buffered.length >= 2) {
          const n = buffered.readUInt16BE(0);
          if (buffered.length < 2 + n) break;
          const msg = buffered.subarray(2, 2 + n);
          buffered = buffered.subarray(2 + n);
          if (this.o.metrics) this.o.metrics.byTransport.tcp++;
          const out = this.o.handler.handle(Buffer.from(msg), ctx);
          if (out === null) {
            // A packet we would drop over UDP: over TCP the stream is not trustworthy anymore.
            if (n < 12) sock.destroy();
            continue;
          }
          if (!(out instanceof Promise)) {
            send(out);
            continue;
          }
          pending++;
          if (pending >= maxPending) sock.pause();
          void out.then((r) => {
            pending--;
            if (pending < maxPending && sock.isPaused()) sock.resume();
            send(r);
          });
        }
      });
    });
    server.maxConnections = maxConnections + 16;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port, this.o.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address();
    return typeof addr === 'object' && addr ? addr.port : 0;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    const srv = this.server;
    this.server = undefined;
    if (srv) await new Promise<void>((resolve) => srv.close(() => resolve()));
  }
}
