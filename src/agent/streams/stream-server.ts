/**
 * The agent's stream server (kubelet's :10250 for our purposes). The API server proxies pod
 * `log`, `exec`, `attach` and `portforward` requests here verbatim (same path and query) with
 * `Authorization: Bearer <agent token>`; the server speaks kubectl's protocols itself:
 *   log         plain HTTP, chunked when following
 *   exec/attach WebSocket with v5.channel.k8s.io / v4.channel.k8s.io (the chosen protocol is
 *               echoed), or SPDY/3.1 upgrade (kubectl ≤ 1.29) with one SPDY stream per channel
 *   portforward WebSocket `SPDY/3.1+portforward.k8s.io` carrying SPDY frames (kubectl ≥ 1.30),
 *               or a SPDY/3.1 upgrade; per connection an error and a data stream
 */
import { existsSync, openSync, readSync, closeSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Pod } from '../../api/types.js';
import type { PodNetwork } from '../../network/pod-network.js';
import type { Logger } from '../../util/logger.js';
import type { PodWorker } from '../pod-worker.js';
import { parseLogLine, renderLine, renderLog, type LogQuery } from '../runtime/container-log.js';
import type { ProcessRuntime } from '../runtime/process-runtime.js';
import { SpdySession, type SpdyStream } from './spdy.js';

export interface StreamServerOptions {
  token: string;
  lookup(namespace: string, name: string): { pod: Pod; worker: PodWorker } | undefined;
  runtime: ProcessRuntime;
  network: PodNetwork;
  logger: Logger;
}

const PATH_RE = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(log|exec|attach|portforward)$/;
const WS_CHANNEL_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
const WS_PORTFORWARD = 'SPDY/3.1+portforward.k8s.io';
/**
 * `ws` rejects subprotocols that are not RFC 7230 tokens, and kubectl's port-forward protocol
 * has a '/': the handshake is given this stand-in, and the 101 answer gets the real name back.
 */
const WS_PORTFORWARD_TOKEN = 'skiff.portforward.spdy';

function statusBody(code: number, reason: string, message: string): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
}

interface TermSize {
  width: number;
  height: number;
}

/** The resize channel's `{"Width":W,"Height":H}`. */
function parseSize(body: Buffer): TermSize | undefined {
  try {
    const j = JSON.parse(body.toString()) as { Width?: number; Height?: number };
    if (Number.isInteger(j.Width) && Number.isInteger(j.Height) && j.Width! > 0 && j.Height! > 0) return { width: j.Width!, height: j.Height! };
  } catch {
    /* not JSON */
  }
  return undefined;
}

class HttpError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

interface Target {
  namespace: string;
  name: string;
  pod: Pod;
  worker: PodWorker;
  container: string;
}

export class StreamServer {
  private readonly server: http.Server;
  private readonly wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (protocols: Set<string>) => {
      for (const p of [...WS_CHANNEL_PROTOCOLS, WS_PORTFORWARD_TOKEN]) if (protocols.has(p)) return p;
      return false;
    },
  });
  private readonly sockets = new Set<Duplex>();

  constructor(private readonly opts: StreamServerOptions) {
    this.wss.on('headers', (headers: string[]) => {
      const i = headers.indexOf(`Sec-WebSocket-Protocol: ${WS_PORTFORWARD_TOKEN}`);
      if (i >= 0) headers[i] = `Sec-WebSocket-Protocol: ${WS_PORTFORWARD}`;
    });
    this.server = http.createServer((req, res) => void this.onRequest(req, res));
    this.server.on('upgrade', (req, socket: Duplex, head) => this.onUpgrade(req, socket, head));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        const a = this.server.address();
        resolve(typeof a === 'object' && a ? a.port : port);
      });
    });
  }

  async close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private authorized(req: http.IncomingMessage): boolean {
    return req.headers.authorization === `Bearer ${this.opts.token}`;
  }

  private resolve(url: URL, needRunning: boolean): Target {
    const m = PATH_RE.exec(url.pathname);
    if (!m) throw new HttpError(404, 'NotFound', `no handler for ${url.pathname}`);
    const namespace = decodeURIComponent(m[1]!);
    const name = decodeURIComponent(m[2]!);
    const found = this.opts.lookup(namespace, name);
    if (!found) throw new HttpError(404, 'NotFound', `pods "${name}" not found`);
    const all = [...(found.pod.spec?.containers ?? []), ...(found.pod.spec?.initContainers ?? [])].map((c) => c.name);
    let container = url.searchParams.get('container') ?? '';
    if (!container) {
      const regular = (found.pod.spec?.containers ?? []).map((c) => c.name);
      const def = found.pod.metadata.annotations?.['kubectl.kubernetes.io/default-container'];
      if (def && all.includes(def)) container = def;
      else if (regular.length === 1 || m[3] === 'portforward') container = regular[0] ?? '';
      else throw new HttpError(400, 'BadRequest', `a container name must be specified for pod ${name}, choose one of: [${regular.join(' ')}]`);
    }
    if (!all.includes(container)) throw new HttpError(400, 'BadRequest', `container ${container} is not valid for pod ${name}`);
    if (needRunning && !found.worker.containerInfo(container)?.running) {
      throw new HttpError(400, 'BadRequest', `container ${container} is not running in pod ${name}`);
    }
    return { namespace, name, pod: found.pod, worker: found.worker, container };
  }

  // -------------------------------------------------------------------------------------------
  // logs

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    res.on('error', () => {});
    try {
      if (!this.authorized(req)) throw new HttpError(401, 'Unauthorized', 'Unauthorized');
      const url = new URL(req.url ?? '/', 'http://agent');
      if (url.pathname === '/healthz') {
        res.end('ok');
        return;
      }
      const m = PATH_RE.exec(url.pathname);
      if (!m || m[3] !== 'log' || req.method !== 'GET') throw new HttpError(m ? 400 : 404, m ? 'BadRequest' : 'NotFound', m ? 'upgrade request required' : `no handler for ${url.pathname}`);
      await this.serveLog(url, req, res);
    } catch (err) {
      const e = err instanceof HttpError ? err : new HttpError(500, 'InternalError', (err as Error).message);
      if (!res.headersSent) {
        res.writeHead(e.code, { 'Content-Type': 'application/json' });
        res.end(statusBody(e.code, e.reason, e.message));
      } else res.destroy();
    }
  }

  private async serveLog(url: URL, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const t = this.resolve(url, false);
    const q = url.searchParams;
    const uid = t.pod.metadata.uid!;
    const instances = this.opts.runtime.logInstances(uid, t.container);
    const previous = q.get('previous') === 'true';
    let instance: number | undefined;
    if (previous) {
      instance = instances.length >= 2 ? instances[instances.length - 2] : undefined;
      if (instance === undefined) throw new HttpError(400, 'BadRequest', `previous terminated container "${t.container}" in pod "${t.name}" not found`);
    } else {
      instance = instances[instances.length - 1];
      if (instance === undefined) throw new HttpError(400, 'BadRequest', `container "${t.container}" in pod "${t.name}" is waiting to start: ContainerCreating`);
    }
    const path = this.opts.runtime.logPath(uid, t.container, instance);
    const query: LogQuery = { timestamps: q.get('timestamps') === 'true' };
    if (q.has('tailLines')) query.tailLines = Number(q.get('tailLines'));
    if (q.has('limitBytes')) query.limitBytes = Number(q.get('limitBytes'));
    if (q.has('sinceSeconds')) query.sinceTimeMs = Date.now() - Number(q.get('sinceSeconds')) * 1000;
    if (q.has('sinceTime')) query.sinceTimeMs = Date.parse(q.get('sinceTime')!);
    const follow = q.get('follow') === 'true' && !previous;
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
    const content = existsSync(path) ? readFileSync(path, 'utf8') : '';
    let sent = 0;
    const limit = query.limitBytes;
    const emit = (text: string): boolean => {
      if (limit !== undefined) {
        const b = Buffer.from(text);
        const room = limit - sent;
        if (room <= 0) return false;
        res.write(b.subarray(0, room));
        sent += Math.min(room, b.length);
        return sent < limit;
      }
      res.write(text);
      return true;
    };
    const first = renderLog(content, { ...query, limitBytes: undefined });
    if (!emit(first) || !follow) {
      res.end();
      return;
    }
    res.flushHeaders();
    // Follow: tail the file until the container instance ends or the client leaves.
    let offset = Buffer.byteLength(content);
    let partial = '';
    let closed = false;
    res.on('close', () => (closed = true));
    req.on('close', () => {
      if (res.writableEnded) closed = true;
    });
    while (!closed) {
      let size = 0;
      try {
        size = statSync(path).size;
      } catch {
        break;
      }
      if (size > offset) {
        const fd = openSync(path, 'r');
        const buf = Buffer.alloc(size - offset);
        readSync(fd, buf, 0, buf.length, offset);
        closeSync(fd);
        offset = size;
        const text = partial + buf.toString('utf8');
        const lines = text.split('\n');
        partial = lines.pop() ?? '';
        let out = '';
        for (const l of lines) {
          const p = parseLogLine(l);
          if (p) out += renderLine(p, query.timestamps);
        }
        if (out && !emit(out)) break;
        continue;
      }
      const running = t.worker.containerInfo(t.container)?.running && this.opts.runtime.record(uid, t.container)?.instance === instance;
      if (!running) {
        // One last look for lines written just before the exit.
        await new Promise((r) => setTimeout(r, 150));
        if (statSync(path).size > offset) continue;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    res.end();
  }

  // -------------------------------------------------------------------------------------------
  // upgrades

  private onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => {});
    const fail = (code: number, reason: string, message: string): void => {
      const body = statusBody(code, reason, message);
      socket.end(`HTTP/1.1 ${code} ${http.STATUS_CODES[code]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    };
    let target: Target;
    let kind: string;
    const url = new URL(req.url ?? '/', 'http://agent');
    try {
      if (!this.authorized(req)) throw new HttpError(401, 'Unauthorized', 'Unauthorized');
      const m = PATH_RE.exec(url.pathname);
      kind = m?.[3] ?? '';
      if (!m || kind === 'log') throw new HttpError(400, 'BadRequest', 'unsupported upgrade path');
      target = this.resolve(url, true);
    } catch (err) {
      const e = err instanceof HttpError ? err : new HttpError(500, 'InternalError', (err as Error).message);
      fail(e.code, e.reason, e.message);
      return;
    }
    const upgrade = String(req.headers.upgrade ?? '').toLowerCase();
    if (upgrade === 'websocket') {
      const offered = String(req.headers['sec-websocket-protocol'] ?? '')
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean);
      const usable = offered.map((p) => (p === WS_PORTFORWARD ? WS_PORTFORWARD_TOKEN : p)).filter((p) => /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(p));
      if (usable.length) req.headers['sec-websocket-protocol'] = usable.join(', ');
      else delete req.headers['sec-websocket-protocol'];
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        ws.on('error', () => {});
        if (kind === 'portforward') {
          if (ws.protocol !== WS_PORTFORWARD_TOKEN) {
            ws.close(1002, 'portforward needs SPDY/3.1+portforward.k8s.io');
            return;
          }
          const session = new SpdySession((b) => ws.send(b, { binary: true }));
          ws.on('message', (d: Buffer) => session.receive(d));
          ws.on('close', () => session.close());
          session.on('close', () => ws.close());
          this.servePortForward(session, target);
        } else {
          if (!WS_CHANNEL_PROTOCOLS.includes(ws.protocol)) {
            ws.close(1002, 'unsupported subprotocol');
            return;
          }
          this.serveExecWs(ws, url, target, kind === 'attach');
        }
      });
      return;
    }
    if (upgrade.startsWith('spdy/3.1')) {
      const wanted = String(req.headers['x-stream-protocol-version'] ?? '')
        .split(',')
        .map((s) => s.trim());
      const proto = kind === 'portforward' ? 'portforward.k8s.io' : (['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'].find((p) => wanted.includes(p)) ?? '');
      if (!proto || (kind === 'portforward' && !wanted.includes(proto))) {
        fail(403, 'Forbidden', `unable to upgrade: unable to negotiate protocol: client supports ${wanted.join(',')}`);
        return;
      }
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${proto}\r\n\r\n`);
      const session = new SpdySession((b) => {
        if (!socket.destroyed) socket.write(b);
      });
      if (head.length) session.receive(head);
      socket.on('data', (d: Buffer) => session.receive(d));
      socket.on('close', () => session.close());
      session.on('close', () => socket.destroy());
      if (kind === 'portforward') this.servePortForward(session, target);
      else this.serveExecSpdy(session, url, target, kind === 'attach', proto);
      return;
    }
    fail(400, 'BadRequest', 'Upgrade request required');
  }

  // -------------------------------------------------------------------------------------------
  // exec / attach

  private startProcess(url: URL, t: Target, attach: boolean, tty: boolean, size?: TermSize): import('node:child_process').ChildProcess | undefined {
    if (attach) return undefined;
    const command = url.searchParams.getAll('command');
    if (!command.length) throw new Error('you must specify at least 1 command');
    const info = t.worker.containerInfo(t.container)!;
    return this.opts.runtime.spawnIn(t.pod.metadata.uid!, t.container, command, { env: info.env, cwd: info.workingDir, tty, size });
  }

  private exitStatus(code: number | null, signal: NodeJS.Signals | null, command: string[]): Record<string, unknown> {
    const c = code ?? (signal ? 128 + (signal === 'SIGKILL' ? 9 : 15) : 1);
    if (c === 0) return { metadata: {}, status: 'Success' };
    return {
      metadata: {},
      status: 'Failure',
      message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${c}`,
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: String(c) }] },
    };
  }

  /** attach: stream the container's output (its stdin is not connected: containers run with /dev/null). */
  private followOutput(t: Target, write: (d: Buffer) => void, done: () => void): () => void {
    const uid = t.pod.metadata.uid!;
    const rec = this.opts.runtime.record(uid, t.container);
    if (!rec) {
      done();
      return () => {};
    }
    let offset = existsSync(rec.logPath) ? statSync(rec.logPath).size : 0;
    let partial = '';
    const timer = setInterval(() => {
      let size = offset;
      try {
        size = statSync(rec.logPath).size;
      } catch {
        /* not yet */
      }
      if (size > offset) {
        const fd = openSync(rec.logPath, 'r');
        const buf = Buffer.alloc(size - offset);
        readSync(fd, buf, 0, buf.length, offset);
        closeSync(fd);
        offset = size;
        const lines = (partial + buf.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        let out = '';
        for (const l of lines) {
          const p = parseLogLine(l);
          if (p) out += renderLine(p, false);
        }
        if (out) write(Buffer.from(out));
      } else if (!this.opts.runtime.isRunning(uid, t.container)) {
        clearInterval(timer);
        done();
      }
    }, 100);
    return () => clearInterval(timer);
  }

  private serveExecWs(ws: WebSocket, url: URL, t: Target, attach: boolean): void {
    const q = url.searchParams;
    const tty = q.get('tty') === 'true';
    const wantStdin = q.get('stdin') === 'true';
    const send = (channel: number, data: Buffer | string): void => {
      if (ws.readyState !== ws.OPEN) return;
      const b = typeof data === 'string' ? Buffer.from(data) : data;
      ws.send(Buffer.concat([Buffer.from([channel]), b]), { binary: true });
    };
    const finish = (status: Record<string, unknown>): void => {
      send(3, JSON.stringify(status));
      ws.close(1000);
    };
    if (attach) {
      const stop = this.followOutput(t, (d) => send(1, d), () => finish({ metadata: {}, status: 'Success' }));
      ws.on('close', stop);
      return;
    }
    const command = q.getAll('command');
    let proc: ReturnType<StreamServer['startProcess']> | undefined;
    const early: Buffer[] = [];
    let stdinEnded = false;
    let sizeTimer: NodeJS.Timeout | undefined;
    const launch = (size?: TermSize): void => {
      if (proc || ws.readyState !== ws.OPEN) return;
      clearTimeout(sizeTimer);
      try {
        proc = this.startProcess(url, t, false, tty, size);
      } catch (err) {
        finish({ metadata: {}, status: 'Failure', message: (err as Error).message, reason: 'InternalError', code: 500 });
        return;
      }
      const p = proc!;
      p.stdout!.on('data', (d: Buffer) => send(1, d));
      p.stderr!.on('data', (d: Buffer) => send(tty ? 1 : 2, d));
      p.stdin!.on('error', () => {});
      for (const b of early) p.stdin!.write(b);
      if ((!wantStdin || stdinEnded) && !tty) p.stdin!.end();
      p.on('error', (e) => finish({ metadata: {}, status: 'Failure', message: e.message, reason: 'InternalError', code: 500 }));
      p.on('close', (code, signal) => finish(this.exitStatus(code, signal, command)));
    };
    ws.on('message', (msg: Buffer) => {
      if (!msg.length) return;
      const ch = msg[0]!;
      const body = msg.subarray(1);
      if (ch === 0 && wantStdin && body.length) {
        if (proc) proc.stdin!.write(body);
        else early.push(Buffer.from(body));
      } else if (ch === 255 && body[0] === 0 && !tty) {
        // (With a terminal, the end of the client's stdin is not passed on: `script` would
        // turn it into input bytes. The session ends when the client disconnects.)
        stdinEnded = true;
        proc?.stdin!.end();
      } else if (ch === 4 && !proc) launch(parseSize(body));
      // Later resizes are accepted and ignored: the terminal keeps its first size.
    });
    ws.on('close', () => {
      clearTimeout(sizeTimer);
      if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    });
    // With a terminal, kubectl sends its size first: wait briefly for it so the pty starts right.
    if (tty) sizeTimer = setTimeout(() => launch(), 300);
    else launch();
  }

  private serveExecSpdy(session: SpdySession, url: URL, t: Target, attach: boolean, proto: string): void {
    const q = url.searchParams;
    const tty = q.get('tty') === 'true';
    const command = q.getAll('command');
    const expected = new Set(['error']);
    if (q.get('stdin') === 'true') expected.add('stdin');
    if (q.get('stdout') === 'true') expected.add('stdout');
    if (q.get('stderr') === 'true' && !tty) expected.add('stderr');
    if (tty && proto !== 'channel.k8s.io') expected.add('resize');
    const streams = new Map<string, SpdyStream>();
    // stdin may arrive before the process exists (we wait for the terminal size first).
    let proc: ReturnType<StreamServer['startProcess']> | undefined;
    const early: Buffer[] = [];
    let stdinEnded = false;
    let size: TermSize | undefined;
    let started = false;
    const timer = setTimeout(() => session.close(), 30_000);
    const send = (type: string, d: Buffer): void => {
      const st = streams.get(type);
      if (st) session.send(st.id, d);
    };
    const finish = (status: Record<string, unknown>): void => {
      const err = streams.get('error');
      // v4 sends a Status; older protocols only an error text on failure.
      if (err) {
        if (proto === 'v4.channel.k8s.io') session.send(err.id, Buffer.from(JSON.stringify(status)), true);
        else session.send(err.id, Buffer.from(status.status === 'Success' ? '' : String(status.message ?? '')), true);
      }
      for (const st of streams.values()) session.send(st.id, Buffer.alloc(0), true);
      setTimeout(() => session.close(), 100);
    };
    const launch = (): void => {
      if (proc) return;
      try {
        proc = this.startProcess(url, t, false, tty, size)!;
      } catch (err) {
        finish({ metadata: {}, status: 'Failure', message: (err as Error).message, reason: 'InternalError' });
        return;
      }
      const p = proc;
      p.stdout!.on('data', (d: Buffer) => send('stdout', d));
      p.stderr!.on('data', (d: Buffer) => send(tty ? 'stdout' : 'stderr', d));
      p.stdin!.on('error', () => {});
      for (const b of early) p.stdin!.write(b);
      if ((!streams.has('stdin') || stdinEnded) && !tty) p.stdin!.end();
      p.on('close', (code, signal) => finish(this.exitStatus(code, signal, command)));
    };
    session.on('close', () => {
      clearTimeout(timer);
      if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    });
    session.on('stream', (s: SpdyStream) => {
      const type = s.headers.streamtype ?? '';
      streams.set(type, s);
      if (type === 'stdin') {
        s.on('data', (d) => (proc ? proc.stdin!.write(d) : early.push(d)));
        s.on('end', () => {
          if (tty) return; // see serveExecWs
          stdinEnded = true;
          proc?.stdin!.end();
        });
      }
      if (type === 'resize') {
        let buf = '';
        s.on('data', (d) => {
          if (proc) return; // later resizes are ignored: the terminal keeps its first size
          buf += d.toString();
          const i = buf.indexOf('}');
          if (i < 0) return;
          size = parseSize(Buffer.from(buf.slice(0, i + 1)));
          launch();
        });
      }
      if (started || ![...expected].every((e) => streams.has(e))) return;
      started = true;
      clearTimeout(timer);
      if (attach) {
        this.followOutput(t, (d) => send('stdout', d), () => finish({ metadata: {}, status: 'Success' }));
        return;
      }
      if (tty) setTimeout(launch, 300);
      else launch();
    });
  }

  // -------------------------------------------------------------------------------------------
  // port-forward

  private servePortForward(session: SpdySession, t: Target): void {
    const podIP = t.worker.podIP;
    const pairs = new Map<string, { error?: SpdyStream; data?: SpdyStream }>();
    session.on('stream', (s: SpdyStream) => {
      const type = s.headers.streamtype;
      const rid = s.headers.requestid ?? String(s.id);
      const pair = pairs.get(rid) ?? {};
      pairs.set(rid, pair);
      if (type === 'error') pair.error = s;
      else if (type === 'data') pair.data = s;
      else {
        session.reset(s.id);
        return;
      }
      if (!pair.data || !pair.error) return;
      pairs.delete(rid);
      const { data, error } = pair as { data: SpdyStream; error: SpdyStream };
      const port = Number(s.headers.port ?? data.headers.port);
      const pending: Buffer[] = [];
      let remoteEnded = false;
      let conn: Duplex | undefined;
      data.on('data', (d) => (conn ? conn.write(d) : pending.push(d)));
      data.on('end', () => (conn ? conn.end() : (remoteEnded = true)));
      data.on('reset', () => conn?.destroy());
      error.on('reset', () => conn?.destroy());
      const fail = (msg: string): void => {
        session.send(error.id, Buffer.from(`error forwarding port ${port} to pod ${t.pod.metadata.uid}, uid : ${msg}`), true);
        session.send(data.id, Buffer.alloc(0), true);
      };
      if (!podIP || !Number.isInteger(port) || port <= 0 || port > 65535) {
        fail(`invalid port or no pod IP`);
        return;
      }
      this.opts.network.dial(podIP, port, 5000).then(
        (c) => {
          conn = c;
          c.on('error', () => {});
          for (const b of pending) c.write(b);
          if (remoteEnded) c.end();
          c.on('data', (d: Buffer) => session.send(data.id, d));
          c.on('end', () => session.send(data.id, Buffer.alloc(0), true));
          c.on('close', () => {
            session.send(data.id, Buffer.alloc(0), true);
            session.send(error.id, Buffer.alloc(0), true);
          });
        },
        (err: Error) => fail(`failed to connect to ${podIP}:${port}: ${err.message}`),
      );
    });
  }
}
