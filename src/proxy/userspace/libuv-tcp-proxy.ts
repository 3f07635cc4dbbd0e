import type { Backend, Balancer } from './balancer.js';
import { createServer } from 'node:net';
import { type LibuvTcp, type ShutdownRequest, type TcpHandle, type WriteRequest, type ConnectRequest } from './libuv-tcp.js';
import type { TcpFrontendOptions } from './tcp-proxy.js';

/**
 * The TCP fast path on raw libuv handles (see libuv-tcp.ts for why). Same behaviour as the
 * `net` path in tcp-proxy.ts: round robin / affinity pick, retry the next endpoint when a
 * connect fails, RST when there is none, half-close in both directions, back-pressure.
 *
 * Reads land in two 16 KiB buffers per connection (one per direction, HAProxy's default
 * bufsize), handed to libuv once (`useUserBuffer`) and recycled through a pool, so no read
 * allocates. That is only safe because of the back-pressure rule: a write that libuv could
 * not finish at once (the peer's socket buffer is full) keeps pointing into the buffer, so the
 * source stops reading until that write completes. At most one write per direction is ever
 * queued, and memory per connection is bounded by those two buffers.
 *
 * Teardown: the first EOF is forwarded with a shutdown (half-close); when both sides have
 * sent EOF and nothing is queued, both handles are closed, which sends the second FIN without
 * a shutdown syscall of its own.
 */

/** SO_KEEPALIVE idle time on both legs (the accepted leg inherits it from the listening socket). */
const KEEPALIVE_IDLE_SECONDS = 7200;

/** Error code of listen() when this Node's net.Server does not expose the handle we take over. */
export const NO_RAW_HANDLE = 'ERR_SKIFF_NO_RAW_HANDLE';

const READ_BUFFER_BYTES = 16 * 1024;
/** Free read buffers; beyond this many, closed connections' buffers go to the GC. */
const POOLED_BUFFERS_MAX = 512;
const freeBuffers: Buffer[] = [];

function takeBuffer(): Buffer {
  return freeBuffers.pop() ?? Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);
}

function giveBack(b: Buffer | undefined): void {
  if (b && freeBuffers.length < POOLED_BUFFERS_MAX) freeBuffers.push(b);
}

/**
 * A write request nobody holds. A write that completes synchronously never hands its request
 * to libuv, so one request serves every connection's synchronous writes; only a write that
 * goes asynchronous keeps its request (and a new spare is made next time).
 */
let spareWrite: WriteRequest | undefined;

class Connection {
  up: TcpHandle | undefined;
  private attempts = 0;
  private clientEnded = false;
  private upEnded = false;
  /** Writes libuv has queued (not finished synchronously), per destination. */
  private queuedToClient = 0;
  private queuedToUp = 0;
  /** Where libuv reads each leg's bytes into (the upstream's from the connect on, the client's once connected). */
  clientBuffer: Buffer | undefined;
  upBuffer: Buffer | undefined;
  /**
   * The last view written from each buffer. Request/response traffic repeats its sizes (and
   * bulk transfers fill the whole buffer), so reusing a view of the same length saves a typed
   * array allocation per forwarded chunk (a perf sample on every write, and scavenges).
   */
  private clientView: Uint8Array | undefined;
  private upView: Uint8Array | undefined;
  closed = false;

  constructor(
    readonly uv: LibuvTcp,
    readonly client: TcpHandle,
    private readonly frontend: LibuvTcpFrontend,
    private readonly maxAttempts: number,
    private readonly clientIP: string | undefined,
  ) {
    client.conn = this;
  }

  start(b: Backend): void {
    this.attempts++;
    const up = this.uv.newSocket();
    up.conn = this;
    this.up = up;
    up.setNoDelay(true);
    const req = this.uv.newConnectRequest();
    req.oncomplete = onConnected;
    req.backend = b;
    req.address = b.host;
    req.port = b.port;
    const err = up.connect(req, b.host, b.port);
    if (err) {
      this.connectFailed(up, b);
      return;
    }
    // After connect(), which creates the socket: asked for before, libuv would apply its own
    // idle time of 60 s when it opens the socket instead of ours.
    up.setKeepAlive(true, KEEPALIVE_IDLE_SECONDS);
    // Reading starts with the connect: libuv then registers the socket once for POLLIN|POLLOUT
    // and only narrows it to POLLIN when connected. Started later, it would drop the socket's
    // interest to nothing at connect completion and re-add it (EEXIST, then MOD): one syscall
    // more per connection. libuv handles a pending connect before any read, so no read can
    // come before onConnected.
    this.upBuffer ??= takeBuffer();
    up.onread = onUpstreamRead;
    up.useUserBuffer(this.upBuffer);
    if (up.readStart()) this.connectFailed(up, b);
  }

  connected(up: TcpHandle): void {
    if (this.closed || up !== this.up) {
      up.close();
      return;
    }
    this.client.onread = onClientRead;
    this.clientBuffer = takeBuffer();
    this.client.useUserBuffer(this.clientBuffer);
    if (this.client.readStart()) this.destroy();
  }

  connectFailed(up: TcpHandle, b: Backend): void {
    up.close();
    if (this.closed || up !== this.up) return;
    this.up = undefined;
    const next = this.attempts < this.maxAttempts ? this.frontend.balancer.after(b, this.clientIP) : undefined;
    if (next) this.start(next);
    else this.reset();
  }

  /** Sends the `n` bytes just read from `from` to the other leg. */
  forward(from: TcpHandle, n: number): void {
    const toUp = from === this.client;
    const to = toUp ? this.up! : this.client;
    let data = toUp ? this.clientView : this.upView;
    if (data?.length !== n) {
      const source = toUp ? this.clientBuffer! : this.upBuffer!;
      data = new Uint8Array(source.buffer, source.byteOffset, n);
      if (toUp) this.clientView = data;
      else this.upView = data;
    }
    let req = spareWrite;
    spareWrite = undefined;
    if (!req) {
      req = this.uv.newWriteRequest();
      req.oncomplete = onWritten;
    }
    req.handle = to;
    req.conn = this;
    req.buffer = data;
    const err = to.writeBuffer(req, data);
    if (err) {
      // Not reused: whether libuv got as far as taking the request is not ours to know.
      this.destroy();
      return;
    }
    if (this.uv.state[this.uv.lastWriteWasAsync]) {
      // libuv keeps `req` and still points into the read buffer: stop reading until it is done.
      if (toUp) this.queuedToUp++;
      else this.queuedToClient++;
      from.readStop();
    } else {
      req.buffer = undefined;
      req.conn = undefined;
      spareWrite = req;
    }
  }

  written(req: WriteRequest, status: number): void {
    req.buffer = undefined;
    if (this.closed) return;
    if (status < 0) {
      this.destroy();
      return;
    }
    const toUp = req.handle === this.up;
    if (toUp) this.queuedToUp--;
    else this.queuedToClient--;
    const source = toUp ? this.client : this.up!;
    const sourceEnded = toUp ? this.clientEnded : this.upEnded;
    if ((toUp ? this.queuedToUp : this.queuedToClient) === 0 && !sourceEnded && source.readStart()) this.destroy();
    this.closeIfDone();
  }

  ended(from: TcpHandle): void {
    if (from === this.client) this.clientEnded = true;
    else this.upEnded = true;
    if (this.clientEnded && this.upEnded) {
      this.closeIfDone();
      return;
    }
    // Half-close: pass the FIN on once everything before it is written (libuv orders it).
    const to = from === this.client ? this.up! : this.client;
    const req = this.uv.newShutdownRequest();
    req.handle = to;
    req.oncomplete = onShutdown;
    req.conn = this;
    if (to.shutdown(req)) this.destroy();
  }

  shutdownDone(status: number): void {
    if (status < 0 && !this.closed) this.destroy();
  }

  private closeIfDone(): void {
    if (this.closed || !this.clientEnded || !this.upEnded || this.queuedToClient || this.queuedToUp) return;
    // Both FINs seen, nothing queued: close() sends our last FIN (no unread data, so no RST).
    this.destroy();
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.close();
    this.up?.close();
    this.up = undefined;
    // Closed handles neither read nor write any more (queued writes are cancelled).
    this.releaseBuffers();
    this.frontend.forget(this);
  }

  reset(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.reset();
    this.releaseBuffers();
    this.frontend.forget(this);
  }

  private releaseBuffers(): void {
    giveBack(this.clientBuffer);
    giveBack(this.upBuffer);
    this.clientBuffer = this.upBuffer = undefined;
    this.clientView = this.upView = undefined;
  }
}

// Callbacks shared by every connection: libuv calls them with the handle or request as
// `this`, so nothing is allocated per connection or per chunk to find the connection again.
// With a user buffer, libuv passes no ArrayBuffer: the bytes are in the connection's buffer.
function onClientRead(this: TcpHandle): void {
  onRead(this);
}
function onUpstreamRead(this: TcpHandle): void {
  onRead(this);
}
function onRead(handle: TcpHandle): void {
  const conn = handle.conn as Connection;
  if (conn.closed) return;
  const uv = conn.uv;
  const n = uv.state[uv.readBytesOrError]!;
  if (n > 0) conn.forward(handle, n);
  else if (n === uv.UV_EOF) conn.ended(handle);
  else if (n < 0) conn.destroy();
}
function onConnected(status: number, handle: TcpHandle, req: ConnectRequest): void {
  const conn = handle.conn as Connection;
  if (status < 0) conn.connectFailed(handle, req.backend as Backend);
  else conn.connected(handle);
}
function onWritten(this: WriteRequest, status: number): void {
  (this.conn as Connection).written(this, status);
}
function onShutdown(this: ShutdownRequest, status: number): void {
  (this.conn as Connection).shutdownDone(status);
}

/**
 * One listening socket whose accepted connections run on raw handles; drop-in for TcpFrontend.
 * The socket itself is opened by a net.Server (error reporting, and node:cluster workers get
 * the primary's shared socket that way); only its handle's `onconnection` is taken over, so
 * no net.Socket is ever built for an accepted connection.
 */
export class LibuvTcpFrontend {
  private readonly server = createServer();
  private readonly connections = new Set<Connection>();
  private closing: Promise<void> | undefined;
  balancer: Balancer;

  constructor(
    private readonly uv: LibuvTcp,
    private readonly o: TcpFrontendOptions,
  ) {
    this.balancer = o.balancer;
  }

  listen(): Promise<void> {
    const server = this.server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.o.host, port: this.o.port, backlog: 4096 }, () => {
        server.off('error', reject);
        server.on('error', () => {});
        const handle = (server as unknown as { _handle?: TcpHandle | null })._handle;
        if (!handle || typeof handle.setNoDelay !== 'function' || !('onconnection' in handle)) {
          server.close();
          reject(Object.assign(new Error('net.Server has no raw listening handle'), { code: NO_RAW_HANDLE }));
          return;
        }
        // Set on the listening socket, inherited by every accepted one (no setsockopt per connection).
        handle.setNoDelay(true);
        handle.setKeepAlive(true, KEEPALIVE_IDLE_SECONDS);
        handle.onconnection = (status, client) => this.onConnection(status, client);
        resolve();
      });
    });
  }

  private onConnection(status: number, client: TcpHandle | undefined): void {
    if (status < 0 || !client) return;
    const balancer = this.balancer;
    // getpeername is a syscall: only affinity needs the client's address.
    let clientIP: string | undefined;
    if (balancer.usesClientIP) {
      const peer: { address?: string } = {};
      client.getpeername(peer);
      clientIP = peer.address;
    }
    const b = balancer.pick(clientIP, clientIP ? this.o.now() : 0);
    if (!b) {
      // No endpoints: refuse at once (RST), like the kernel modes' reject.
      client.reset();
      return;
    }
    const attempts = Math.min(this.o.connectAttempts, balancer.backends.length);
    const conn = new Connection(this.uv, client, this, attempts, clientIP);
    this.connections.add(conn);
    conn.start(b);
  }

  forget(conn: Connection): void {
    this.connections.delete(conn);
  }

  /** Stops listening and cuts the connections this frontend carried (its Service is gone). */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of this.connections) c.destroy();
    return this.closing;
  }
}
