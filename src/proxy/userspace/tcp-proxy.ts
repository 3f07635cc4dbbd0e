import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Backend, Balancer } from './balancer.js';

/**
 * The TCP hot path. Per connection: pick an endpoint, connect (retrying the next endpoint
 * when a connect fails), then shuttle bytes with manual back-pressure: a `write` that returns
 * false pauses the source until the sink drains. Handlers are methods of one object per
 * connection, so nothing is allocated per chunk; Nagle is off on both legs.
 */
class Pipe {
  private upstream: Socket | undefined;
  private attempts = 0;
  private connected = false;

  constructor(
    private readonly client: Socket,
    private readonly balancer: Balancer,
    private readonly maxAttempts: number,
    private readonly clientIP: string | undefined,
  ) {
    client.on('error', this.onError);
    client.on('close', this.onClientClose);
  }

  start(b: Backend): void {
    this.attempts++;
    const up = connect({ host: b.host, port: b.port, noDelay: true, keepAlive: true, allowHalfOpen: true });
    this.upstream = up;
    up.once('connect', this.onConnect);
    up.on('error', (err) => this.onUpstreamError(err, b));
    up.on('close', this.onUpstreamClose);
  }

  private readonly onConnect = (): void => {
    const client = this.client;
    const up = this.upstream!;
    this.connected = true;
    client.on('data', this.onClientData);
    up.on('data', this.onUpstreamData);
    client.on('drain', this.onClientDrain);
    up.on('drain', this.onUpstreamDrain);
    client.on('end', this.onClientEnd);
    up.on('end', this.onUpstreamEnd);
    client.resume();
  };

  private readonly onClientData = (chunk: Buffer): void => {
    if (!this.upstream!.write(chunk)) this.client.pause();
  };
  private readonly onUpstreamData = (chunk: Buffer): void => {
    if (!this.client.write(chunk)) this.upstream!.pause();
  };
  private readonly onClientDrain = (): void => {
    this.upstream!.resume();
  };
  private readonly onUpstreamDrain = (): void => {
    this.client.resume();
  };
  private readonly onClientEnd = (): void => {
    this.upstream!.end();
  };
  private readonly onUpstreamEnd = (): void => {
    this.client.end();
  };
  private readonly onError = (): void => {
    this.client.destroy();
    this.upstream?.destroy();
  };
  private readonly onClientClose = (): void => {
    this.upstream?.destroy();
  };
  private readonly onUpstreamClose = (): void => {
    if (this.connected) this.client.destroy();
  };

  private onUpstreamError(_err: Error, b: Backend): void {
    if (this.connected || this.client.destroyed) {
      this.client.destroy();
      return;
    }
    const next = this.attempts < this.maxAttempts ? this.balancer.after(b, this.clientIP) : undefined;
    if (next) this.start(next);
    else this.client.resetAndDestroy();
  }
}

export interface TcpFrontendOptions {
  host: string;
  port: number;
  balancer: Balancer;
  now: () => number;
  connectAttempts: number;
}

/** One listening socket (a ClusterIP:port, a NodePort on one node IP, an LB or external IP). */
export class TcpFrontend {
  private readonly server: Server;
  private readonly clients = new Set<Socket>();
  balancer: Balancer;

  constructor(private readonly o: TcpFrontendOptions) {
    this.balancer = o.balancer;
    this.server = createServer({ pauseOnConnect: true, noDelay: true, keepAlive: true, allowHalfOpen: true }, (client) => this.onConnection(client));
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host: this.o.host, port: this.o.port, backlog: 4096 }, () => {
        this.server.off('error', reject);
        this.server.on('error', () => {});
        resolve();
      });
    });
  }

  private onConnection(client: Socket): void {
    this.clients.add(client);
    client.once('close', () => this.clients.delete(client));
    // remoteAddress costs a getpeername syscall: only affinity needs it.
    const clientIP = this.balancer.usesClientIP ? client.remoteAddress : undefined;
    const b = this.balancer.pick(clientIP, clientIP ? this.o.now() : 0);
    if (!b) {
      // No endpoints: refuse at once (RST), like the kernel modes' reject.
      client.resetAndDestroy();
      return;
    }
    const attempts = Math.min(this.o.connectAttempts, this.balancer.backends.length);
    new Pipe(client, this.balancer, attempts, clientIP).start(b);
  }

  /** Stops listening and cuts the connections this frontend carried (its Service is gone). */
  close(): Promise<void> {
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    for (const c of this.clients) c.destroy();
    return closed;
  }
}
