/** Small servers and clients for the proxy tests: all bounded by timeouts. */
import { createServer, request, type Server } from 'node:http';
import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';

export interface Started {
  port: number;
  close(): Promise<void>;
}

/** HTTP server answering its own name. */
export async function nameServer(name: string, host: string, port = 0): Promise<Started & { hits: () => number }> {
  let hits = 0;
  const server: Server = createServer((_req, res) => {
    hits++;
    res.end(name);
  });
  server.keepAliveTimeout = 100;
  await new Promise<void>((r) => server.listen(port, host, () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    hits: () => hits,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** UDP server answering `name` to every datagram. */
export async function udpNameServer(name: string, host: string, port = 0): Promise<Started> {
  const s = createSocket('udp4');
  s.on('message', (_m, r) => s.send(name, r.port, r.address));
  await new Promise<void>((r) => s.bind(port, host, () => r()));
  return { port: s.address().port, close: () => new Promise((r) => s.close(() => r())) };
}

/** GET / over a fresh connection; resolves the body or `ERR:<code>`. */
export function httpGet(host: string, port: number, timeoutMs = 2000, localAddress?: string): Promise<string> {
  return new Promise((resolve) => {
    const req = request({ host, port, path: '/', agent: false, timeout: timeoutMs, localAddress }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve(`ERR:${e.code ?? e.message}`));
    req.end();
  });
}

/** How long a TCP connect takes to fail or succeed. */
export function connectOutcome(host: string, port: number, timeoutMs = 2000): Promise<{ ok: boolean; code?: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const timer = setTimeout(() => { s.destroy(); resolve({ ok: false, code: 'TIMEOUT', ms: Date.now() - t0 }); }, timeoutMs);
    s.on('connect', () => {
      // A proxy may accept and then reset: wait briefly for that.
      s.once('data', () => {});
      s.on('close', () => { clearTimeout(timer); resolve({ ok: false, code: 'RESET_AFTER_ACCEPT', ms: Date.now() - t0 }); });
      s.write('GET / HTTP/1.0\r\n\r\n');
    });
    s.on('error', (e: NodeJS.ErrnoException) => { clearTimeout(timer); resolve({ ok: false, code: e.code, ms: Date.now() - t0 }); });
    s.on('data', () => { clearTimeout(timer); s.destroy(); resolve({ ok: true, ms: Date.now() - t0 }); });
  });
}

/** A UDP client socket that keeps its source port (like a DNS stub); `ask` returns the reply or undefined on timeout. */
export async function udpClient(bindHost?: string): Promise<{ ask(host: string, port: number, timeoutMs?: number): Promise<string | undefined>; close(): void }> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, bindHost, () => r()));
  return {
    ask(host, port, timeoutMs = 500) {
      return new Promise((resolve) => {
        const onMsg = (m: Buffer) => { clearTimeout(t); s.off('message', onMsg); resolve(m.toString()); };
        const t = setTimeout(() => { s.off('message', onMsg); resolve(undefined); }, timeoutMs);
        s.on('message', onMsg);
        s.send('q', port, host);
      });
    },
    close: () => s.close(),
  };
}

export async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 5000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function tally(xs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}
