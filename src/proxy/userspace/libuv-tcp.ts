/**
 * Node's internal libuv TCP bindings (`process.binding('tcp_wrap')` / `('stream_wrap')`), typed
 * for the userspace proxy's fast path (libuv-tcp-proxy.ts).
 *
 * Why an internal, unstable API: a `net.Socket` is a full Duplex stream; building two per
 * proxied connection, registering their listeners and running every chunk through the
 * Readable/Writable machinery cost the proxy about 3x HAProxy's CPU per new connection
 * (bench/proxy/README.md). The raw handles skip all of it: bytes arrive in `onread`, leave
 * through `writeBuffer`, and a connection is two handles and one small object.
 *
 * These bindings are not a public contract: they have changed shape between Node majors and
 * may disappear. `loadLibuvTcp()` checks everything the fast path uses and returns undefined
 * when something is missing, so the caller falls back to the public `net` path (tcp-proxy.ts).
 */

/** The subset of the TCPWrap handle the proxy uses. Methods return 0 or a negative errno. */
export interface TcpHandle {
  onread: ((this: TcpHandle, arrayBuffer: ArrayBuffer | undefined) => void) | null;
  onconnection: ((status: number, client: TcpHandle | undefined) => void) | null;
  readonly writeQueueSize: number;
  connect(req: ConnectRequest, address: string, port: number): number;
  readStart(): number;
  readStop(): number;
  /** Reads go into `buffer` (offset 0) from now on; onread then gets no ArrayBuffer. */
  useUserBuffer(buffer: Uint8Array): void;
  writeBuffer(req: WriteRequest, data: Uint8Array): number;
  shutdown(req: ShutdownRequest): number;
  setNoDelay(enable: boolean): number;
  setKeepAlive(enable: boolean, initialDelaySeconds: number): number;
  getpeername(out: { address?: string; port?: number; family?: string }): number;
  /** Closes with RST (uv_tcp_close_reset); the handle is closed afterwards. */
  reset(onClose?: () => void): number;
  close(onClose?: () => void): void;
  /** Ours: the connection this handle belongs to (set once, read in the shared callbacks). */
  conn?: unknown;
}

export interface ConnectRequest {
  oncomplete: (status: number, handle: TcpHandle, req: ConnectRequest) => void;
  address: string;
  port: number;
  /** Ours: the endpoint being tried (a retry needs to know which one failed). */
  backend?: unknown;
}

export interface WriteRequest {
  oncomplete: (this: WriteRequest, status: number) => void;
  handle: TcpHandle;
  /** Keeps the written bytes alive while libuv still points at them. */
  buffer: Uint8Array | undefined;
  conn?: unknown;
}

export interface ShutdownRequest {
  oncomplete: (this: ShutdownRequest, status: number) => void;
  handle: TcpHandle;
  conn?: unknown;
}

export interface LibuvTcp {
  newSocket(): TcpHandle;
  newConnectRequest(): ConnectRequest;
  newWriteRequest(): WriteRequest;
  newShutdownRequest(): ShutdownRequest;
  /** Shared with C++: after a read, [readBytesOrError] is nread and [arrayBufferOffset] the data's offset. */
  readonly state: Int32Array;
  readonly readBytesOrError: number;
  readonly arrayBufferOffset: number;
  /** After writeBuffer: non-zero when libuv queued (part of) the write instead of finishing it. */
  readonly lastWriteWasAsync: number;
  readonly UV_EOF: number;
}

type Ctor<T> = new (...args: unknown[]) => T;

interface TcpWrapBinding {
  TCP: Ctor<TcpHandle>;
  TCPConnectWrap: Ctor<ConnectRequest>;
  constants: { SOCKET: number; SERVER: number };
}

interface StreamWrapBinding {
  WriteWrap: Ctor<WriteRequest>;
  ShutdownWrap: Ctor<ShutdownRequest>;
  streamBaseState: Int32Array;
  kReadBytesOrError: number;
  kArrayBufferOffset: number;
  kLastWriteWasAsync: number;
}

const METHODS = ['connect', 'readStart', 'readStop', 'useUserBuffer', 'writeBuffer', 'shutdown', 'setNoDelay', 'setKeepAlive', 'getpeername', 'reset', 'close'];

let cached: LibuvTcp | null | undefined;

/** The bindings, or undefined when this Node does not have them in the expected shape. */
export function loadLibuvTcp(): LibuvTcp | undefined {
  if (cached !== undefined) return cached ?? undefined;
  cached = null;
  try {
    const binding = (process as unknown as { binding(name: string): unknown }).binding;
    const tcp = binding('tcp_wrap') as TcpWrapBinding;
    const stream = binding('stream_wrap') as StreamWrapBinding;
    const uv = binding('uv') as Record<string, unknown>;
    const UV_EOF = uv.UV_EOF;
    const numbers = [tcp.constants.SOCKET, tcp.constants.SERVER, stream.kReadBytesOrError, stream.kArrayBufferOffset, stream.kLastWriteWasAsync, UV_EOF];
    if (numbers.some((n) => typeof n !== 'number')) return undefined;
    if (!(stream.streamBaseState instanceof Int32Array)) return undefined;
    for (const C of [tcp.TCP, tcp.TCPConnectWrap, stream.WriteWrap, stream.ShutdownWrap]) if (typeof C !== 'function') return undefined;
    const proto = tcp.TCP.prototype as unknown as Record<string, unknown>;
    if (METHODS.some((m) => typeof proto[m] !== 'function')) return undefined;
    const { SOCKET } = tcp.constants;
    cached = {
      newSocket: () => new tcp.TCP(SOCKET),
      newConnectRequest: () => new tcp.TCPConnectWrap(),
      newWriteRequest: () => new stream.WriteWrap(),
      newShutdownRequest: () => new stream.ShutdownWrap(),
      state: stream.streamBaseState,
      readBytesOrError: stream.kReadBytesOrError,
      arrayBufferOffset: stream.kArrayBufferOffset,
      lastWriteWasAsync: stream.kLastWriteWasAsync,
      UV_EOF: UV_EOF as number,
    };
    return cached;
  } catch {
    return undefined;
  }
}
