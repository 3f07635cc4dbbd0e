import { createSocket, type Socket } from 'node:dgram';
import type { Backend, Balancer } from './balancer.js';

interface Session {
  upstream: Socket;
  backend: Backend;
  lastActiveMs: number;
  /** Datagrams that arrived before the upstream socket finished connecting. */
  queued: Buffer[] | undefined;
}

export interface UdpFrontendOptions {
  host: string;
  port: number;
  balancer: Balancer;
  now: () => number;
  idleTimeoutMs: number;
}

/**
 * UDP: one session per client address, each with its own connected upstream socket so
 * replies find their way back. Sessions die after `idleTimeoutMs` without traffic, and at
 * once when their endpoint leaves the Service (the userspace equivalent of flushing stale
 * conntrack entries). Without endpoints datagrams are dropped.
 */
export class UdpFrontend {
  private readonly socket: Socket;
  private readonly sessions = new Map<string, Session>();
  balancer: Balancer;

  constructor(private readonly o: UdpFrontendOptions) {
    this.balancer = o.balancer;
    this.socket = createSocket({ type: 'udp4', reuseAddr: false });
    this.socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo.address, rinfo.port));
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.bind(this.o.port, this.o.host, () => {
        this.socket.off('error', reject);
        this.socket.on('error', () => {});
        resolve();
      });
    });
  }

  private onMessage(msg: Buffer, address: string, port: number): void {
    const key = `${address}:${port}`;
    const now = this.o.now();
    let s = this.sessions.get(key);
    if (s && !this.balancer.has(s.backend)) {
      this.closeSession(key, s);
      s = undefined;
    }
    if (!s) {
      const backend = this.balancer.pick(address, now);
      if (!backend) return;
      const upstream = createSocket('udp4');
      upstream.on('message', (reply) => {
        const live = this.sessions.get(key);
        if (live) live.lastActiveMs = this.o.now();
        this.socket.send(reply, port, address);
      });
      upstream.on('error', () => this.closeSession(key, this.sessions.get(key)));
      upstream.connect(backend.port, backend.host);
      const session: Session = { upstream, backend, lastActiveMs: now, queued: [msg] };
      this.sessions.set(key, session);
      upstream.once('connect', () => {
        const q = session.queued;
        session.queued = undefined;
        if (this.sessions.get(key) === session && q) for (const m of q) upstream.send(m);
      });
      return;
    }
    s.lastActiveMs = now;
    if (s.queued) s.queued.push(msg);
    else s.upstream.send(msg);
  }

  private closeSession(key: string, s: Session | undefined): void {
    if (!s) return;
    if (this.sessions.get(key) === s) this.sessions.delete(key);
    try {
      s.upstream.close();
    } catch {
      /* already closed */
    }
  }

  /** Expires idle sessions and those whose endpoint is gone. */
  sweep(nowMs: number): void {
    for (const [k, s] of this.sessions) {
      if (nowMs - s.lastActiveMs >= this.o.idleTimeoutMs || !this.balancer.has(s.backend)) this.closeSession(k, s);
    }
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  close(): Promise<void> {
    for (const [k, s] of this.sessions) this.closeSession(k, s);
    return new Promise((r) => this.socket.close(() => r()));
  }
}
