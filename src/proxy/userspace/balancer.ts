import type { EndpointInfo } from '../types.js';

export interface Backend {
  host: string;
  port: number;
}

interface Sticky {
  backend: Backend;
  lastUsedMs: number;
}

/**
 * Endpoint choice for one service port and one traffic class (cluster or external):
 * round robin, or ClientIP affinity that expires `affinityMs` after the client's last
 * connection. `set` replaces the endpoint list in place so listeners keep their reference.
 */
export class Balancer {
  backends: Backend[] = [];
  private next = 0;
  private affinityMs = 0;
  private readonly sticky = new Map<string, Sticky>();

  set(endpoints: readonly EndpointInfo[], affinitySeconds: number): void {
    const keep = new Map(this.backends.map((b) => [`${b.host}:${b.port}`, b]));
    this.backends = endpoints.map((e) => keep.get(`${e.ip}:${e.port}`) ?? { host: e.ip, port: e.port });
    this.affinityMs = affinitySeconds * 1000;
    if (!this.affinityMs) this.sticky.clear();
    else {
      const live = new Set(this.backends);
      for (const [ip, s] of this.sticky) if (!live.has(s.backend)) this.sticky.delete(ip);
    }
  }

  /** Whether pick needs the client's address (reading it costs a getpeername per connection). */
  get usesClientIP(): boolean {
    return this.affinityMs > 0;
  }

  has(b: Backend): boolean {
    return this.backends.includes(b);
  }

  /** undefined when there is no endpoint. */
  pick(clientIP: string | undefined, nowMs: number): Backend | undefined {
    const list = this.backends;
    const n = list.length;
    if (n === 0) return undefined;
    if (this.affinityMs && clientIP) {
      const s = this.sticky.get(clientIP);
      if (s && nowMs - s.lastUsedMs < this.affinityMs) {
        s.lastUsedMs = nowMs;
        return s.backend;
      }
      const b = list[this.next++ % n]!;
      this.sticky.set(clientIP, { backend: b, lastUsedMs: nowMs });
      return b;
    }
    if (this.next >= n) this.next = 0;
    return list[this.next++]!;
  }

  /** The endpoint after `b` (connect retry); forgets the client's affinity to `b`. */
  after(b: Backend, clientIP: string | undefined): Backend | undefined {
    const list = this.backends;
    if (clientIP) this.sticky.delete(clientIP);
    if (list.length === 0) return undefined;
    const i = list.indexOf(b);
    return list[(i + 1) % list.length];
  }

  /** Drops expired affinity entries (called from a slow timer, never per connection). */
  sweep(nowMs: number): void {
    for (const [ip, s] of this.sticky) if (nowMs - s.lastUsedMs >= this.affinityMs) this.sticky.delete(ip);
  }
}
