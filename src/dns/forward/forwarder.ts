/**
 * Forwards names outside the cluster zone to upstream resolvers: UDP first (with our EDNS
 * size), TCP when the answer comes back truncated, next upstream on timeout / SERVFAIL /
 * REFUSED, `undefined` (→ SERVFAIL) when all fail. Identical questions in flight share one
 * upstream query (so a flood or a loop cannot be amplified), the number in flight is bounded,
 * and answers go through ForwardCache.
 *
 * Loop detection, two ways:
 *  - a query arriving from our own forwarding socket's port is our own query come back
 *    (upstream = ourselves): refused;
 *  - a probe query with a random name (`<random>.skiff-loop-probe.`) is sent through every
 *    upstream at start and every `probeIntervalMs`; if that name ever arrives at our server,
 *    the upstream path leads back to us (e.g. through a second resolver): forwarding is
 *    switched off (SERVFAIL, logged once) until a later probe no longer comes back.
 */
import { createSocket, type Socket } from 'node:dgram';
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../util/logger.js';
import { ForwardCache } from '../cache/forward-cache.js';
import { OUR_EDNS_UDP_SIZE, Rcode, RRClass, RRType } from '../wire/constants.js';
import { decodeMessage } from '../wire/decoder.js';
import { encodeMessage } from '../wire/encoder.js';
import { emptyMessage, type Message, type Question } from '../wire/message.js';

export interface Upstream {
  address: string;
  port: number;
}

export interface ForwarderOptions {
  upstreams: Upstream[];
  /** Per attempt. */
  timeoutMs?: number;
  cache?: ForwardCache;
  maxInFlight?: number;
  probeIntervalMs?: number;
  logger?: Logger;
}

interface Pending {
  resolve(m: Message | undefined): void;
  timer: NodeJS.Timeout;
  nameLower: string;
  upstream: Upstream;
}

export function parseUpstream(text: string): Upstream {
  const t = text.trim();
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  if (v6) return { address: v6[1]!, port: v6[2] ? Number(v6[2]) : 53 };
  const parts = t.split(':');
  if (parts.length === 2) return { address: parts[0]!, port: Number(parts[1]) };
  return { address: t, port: 53 };
}

export class Forwarder {
  readonly cache: ForwardCache;
  private readonly upstreams: Upstream[];
  private readonly timeoutMs: number;
  private readonly maxInFlight: number;
  private readonly logger: Logger | undefined;
  private sockets: { v4?: Socket; v6?: Socket } = {};
  private readonly localPorts = new Set<number>();
  private readonly pending = new Map<number, Pending>();
  private readonly inFlight = new Map<string, Promise<Message | undefined>>();
  private readonly probeNames = new Set<string>();
  private probeTimer: NodeJS.Timeout | undefined;
  private loopReported = false;
  loopDetected = false;
  /** Counters for metrics. */
  stats = { requests: 0, failures: 0, tcpRetries: 0, loopsRefused: 0, overload: 0 };
  private closed = false;

  constructor(private readonly options: ForwarderOptions) {
    this.upstreams = options.upstreams;
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.cache = options.cache ?? new ForwardCache();
    this.maxInFlight = options.maxInFlight ?? 1000;
    this.logger = options.logger;
  }

  async start(): Promise<void> {
    const needV6 = this.upstreams.some((u) => u.address.includes(':'));
    const needV4 = this.upstreams.some((u) => !u.address.includes(':'));
    const open = (type: 'udp4' | 'udp6'): Promise<Socket> =>
      new Promise((resolve, reject) => {
        const s = createSocket(type);
        s.once('error', reject);
        s.bind(0, () => {
          s.off('error', reject);
          // Up to maxInFlight answers can arrive in one burst (the batched UDP server forwards
          // a whole batch at once): the default buffer holds ~200 datagrams and drops the rest.
          try {
            s.setRecvBufferSize(4 * 1024 * 1024);
          } catch {
            // capped by net.core.rmem_max: the default still works, bursts may time out
          }
          s.on('error', (err) => this.logger?.warn({ err }, 'forwarder socket error'));
          s.on('message', (msg, rinfo) => this.onMessage(msg, rinfo.address, rinfo.port));
          this.localPorts.add(s.address().port);
          resolve(s);
        });
      });
    if (needV4) this.sockets.v4 = await open('udp4');
    if (needV6) this.sockets.v6 = await open('udp6');
    const interval = this.options.probeIntervalMs ?? 60_000;
    if (this.upstreams.length > 0) {
      this.probe();
      if (interval > 0) {
        this.probeTimer = setInterval(() => this.probe(), interval);
        this.probeTimer.unref();
      }
    }
  }

  close(): void {
    this.closed = true;
    if (this.probeTimer) clearInterval(this.probeTimer);
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.resolve(undefined);
    }
    this.pending.clear();
    this.sockets.v4?.close();
    this.sockets.v6?.close();
    this.sockets = {};
  }

  /**
   * Called by the handler for every query it would forward. True = this query is part of a
   * forwarding loop: answer REFUSED and do not forward it.
   */
  isLoop(nameLower: string, sourcePort: number, sourceAddress: string): boolean {
    if (this.probeNames.has(nameLower)) {
      this.loopDetected = true;
      this.report(`forwarding loop detected: our probe ${nameLower} came back from ${sourceAddress}:${sourcePort}`);
      this.stats.loopsRefused++;
      return true;
    }
    if (this.localPorts.has(sourcePort) && isLocalAddress(sourceAddress)) {
      this.loopDetected = true;
      this.report(`forwarding loop detected: a query from our own forwarding socket ${sourceAddress}:${sourcePort}`);
      this.stats.loopsRefused++;
      return true;
    }
    return false;
  }

  private report(msg: string): void {
    if (this.loopReported) return;
    this.loopReported = true;
    this.logger?.error(msg + '; forwarding disabled until a probe no longer returns');
  }

  /** Sends a probe through each upstream; if none comes back (handled in isLoop), clears the loop state. */
  probe(): void {
    if (this.closed) return;
    const name = `${randomBytes(8).toString('hex')}.skiff-loop-probe`;
    this.probeNames.add(name);
    const wasLoop = this.loopDetected;
    this.loopDetected = false;
    const sends = this.upstreams.map((u) => this.queryUdp(u, { name, type: RRType.HINFO, class: RRClass.IN }, false));
    void Promise.all(sends).then(() => {
      // Keep recent probe names around long enough to recognise late arrivals.
      setTimeout(() => this.probeNames.delete(name), this.timeoutMs * 4).unref();
      if (wasLoop && !this.loopDetected) {
        this.loopReported = false;
        this.logger?.info('forwarding loop no longer detected; forwarding re-enabled');
      }
    });
  }

  /** Upstream's answer (decoded) or undefined when every upstream failed. */
  async resolve(q: Question, dnssecOk: boolean): Promise<Message | undefined> {
    const key = ForwardCache.key(q.name, q.type, dnssecOk);
    const cached = this.cache.get(key);
    if (cached) return cached;
    const existing = this.inFlight.get(key);
    if (existing) return existing;
    if (this.loopDetected) {
      this.stats.loopsRefused++;
      return undefined;
    }
    if (this.inFlight.size >= this.maxInFlight) {
      this.stats.overload++;
      return undefined;
    }
    this.stats.requests++;
    const p = this.resolveUncached(q, dnssecOk).then((m) => {
      this.inFlight.delete(key);
      if (m) this.cache.put(key, m);
      else this.stats.failures++;
      return m;
    });
    this.inFlight.set(key, p);
    return p;
  }

  private async resolveUncached(q: Question, dnssecOk: boolean): Promise<Message | undefined> {
    for (const u of this.upstreams) {
      if (this.closed) return undefined;
      let m = await this.queryUdp(u, q, dnssecOk);
      if (m?.tc) {
        this.stats.tcpRetries++;
        m = await this.queryTcp(u, q, dnssecOk);
      }
      if (!m) continue;
      if (m.rcode === Rcode.SERVFAIL || m.rcode === Rcode.REFUSED) continue;
      return m;
    }
    return undefined;
  }

  private buildQuery(id: number, q: Question, dnssecOk: boolean): Buffer {
    return encodeMessage(
      emptyMessage({
        id,
        rd: true,
        questions: [q],
        edns: { udpSize: OUR_EDNS_UDP_SIZE, extendedRcode: 0, version: 0, dnssecOk, options: [] },
      }),
    );
  }

  private newId(): number {
    for (;;) {
      const id = randomBytes(2).readUInt16BE(0);
      if (!this.pending.has(id)) return id;
    }
  }

  private queryUdp(u: Upstream, q: Question, dnssecOk: boolean): Promise<Message | undefined> {
    const socket = u.address.includes(':') ? this.sockets.v6 : this.sockets.v4;
    if (!socket || this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const id = this.newId();
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(undefined);
      }, this.timeoutMs);
      this.pending.set(id, { resolve, timer, nameLower: q.name.toLowerCase(), upstream: u });
      socket.send(this.buildQuery(id, q, dnssecOk), u.port, u.address, (err) => {
        if (!err) return;
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(undefined);
      });
    });
  }

  private onMessage(msg: Buffer, address: string, port: number): void {
    if (msg.length < 12) return;
    const id = msg.readUInt16BE(0);
    const p = this.pending.get(id);
    if (!p || p.upstream.port !== port || !sameAddress(p.upstream.address, address)) return;
    let m: Message;
    try {
      m = decodeMessage(msg, { allowTrailing: true });
    } catch {
      return; // garbage: keep waiting for the real answer until the timeout
    }
    if (!m.qr || m.questions.length !== 1 || m.questions[0]!.name.toLowerCase() !== p.nameLower) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.resolve(m);
  }

  private queryTcp(u: Upstream, q: Question, dnssecOk: boolean): Promise<Message | undefined> {
    return new Promise((resolve) => {
      const id = this.newId();
      const query = this.buildQuery(id, q, dnssecOk);
      const sock = connect({ host: u.address, port: u.port });
      let done = false;
      let buf = Buffer.alloc(0);
      const finish = (m: Message | undefined): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        sock.destroy();
        resolve(m);
      };
      const timer = setTimeout(() => finish(undefined), this.timeoutMs);
      sock.on('error', () => finish(undefined));
      sock.on('close', () => finish(undefined));
      sock.on('connect', () => {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(query.length);
        sock.write(Buffer.concat([len, query]));
      });
      sock.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        if (buf.length < 2) return;
        const n = buf.readUInt16BE(0);
        if (buf.length < 2 + n) return;
        try {
          const m = decodeMessage(buf.subarray(2, 2 + n), { allowTrailing: true });
          finish(m.id === id && m.qr ? m : undefined);
        } catch {
          finish(undefined);
        }
      });
    });
  }
}

function isLocalAddress(a: string): boolean {
  return a.startsWith('127.') || a === '::1' || a.startsWith('::ffff:127.');
}

function sameAddress(a: string, b: string): boolean {
  return a === b || `::ffff:${a}` === b || a === `::ffff:${b}`;
}
