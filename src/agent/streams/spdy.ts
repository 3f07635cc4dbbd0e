/**
 * A minimal SPDY/3.1 server session, enough for kubectl's port-forward (and exec over SPDY):
 * frames SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY, HEADERS, WINDOW_UPDATE and
 * DATA; header blocks compressed with one zlib context per direction primed with the SPDY/3
 * dictionary (a protocol constant, built below from its definition in the SPDY/3 draft §2.6.10.1).
 * The session reads from and writes to any byte transport (a TCP socket after an HTTP Upgrade,
 * or the bytes carried in WebSocket binary messages, which is what kubectl 1.30+ sends).
 * Flow control: SPDY/3.1 windows are honoured loosely — we send WINDOW_UPDATE for everything
 * we consume and do not throttle our own sends (kubectl's peer announces large windows).
 */
import { EventEmitter } from 'node:events';
import zlib from 'node:zlib';

const WORDS = [
  'options', 'head', 'post', 'put', 'delete', 'trace', 'accept', 'accept-charset', 'accept-encoding', 'accept-language',
  'accept-ranges', 'age', 'allow', 'authorization', 'cache-control', 'connection', 'content-base', 'content-encoding',
  'content-language', 'content-length', 'content-location', 'content-md5', 'content-range', 'content-type', 'date', 'etag',
  'expect', 'expires', 'from', 'host', 'if-match', 'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since',
  'last-modified', 'location', 'max-forwards', 'pragma', 'proxy-authenticate', 'proxy-authorization', 'range', 'referer',
  'retry-after', 'server', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'user-agent', 'vary', 'via', 'warning',
  'www-authenticate', 'method', 'get', 'status', '200 OK', 'version', 'HTTP/1.1', 'url', 'public', 'set-cookie', 'keep-alive',
  'origin',
];
const TAIL =
  '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505' +
  '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized' +
  '403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable' +
  'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT' +
  'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,' +
  'text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';

function buildDictionary(): Buffer {
  const parts: Buffer[] = [];
  for (const w of WORDS) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(w.length);
    parts.push(len, Buffer.from(w, 'latin1'));
  }
  parts.push(Buffer.from(TAIL, 'latin1'));
  return Buffer.concat(parts);
}

export const SPDY3_DICTIONARY = buildDictionary();

export const FrameType = {
  SYN_STREAM: 1,
  SYN_REPLY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  HEADERS: 8,
  WINDOW_UPDATE: 9,
} as const;

export const FLAG_FIN = 0x01;
export const RST_PROTOCOL_ERROR = 1;
export const RST_CANCEL = 5;
export const RST_INTERNAL_ERROR = 6;

export type Headers = Record<string, string>;

/**
 * Header-block compression contexts. Decoding keeps one zlib inflate stream per session (the
 * peer's blocks continue one zlib stream, primed with the dictionary); Node only offers that
 * context asynchronously, so frames are processed in order through a promise chain. Encoding
 * writes zlib *stored* blocks (valid deflate, no compression): the peer's inflater accepts them
 * as the continuation of our stream, and our header blocks are a few bytes anyway.
 */
class HeaderCodec {
  private readonly inflater = zlib.createInflate({ dictionary: SPDY3_DICTIONARY });
  private error?: Error;
  private sentZlibHeader = false;

  constructor() {
    this.inflater.on('error', (e) => (this.error = e));
  }

  inflate(block: Buffer): Promise<Buffer> {
    if (this.error) return Promise.reject(this.error);
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      const onData = (d: Buffer): void => {
        chunks.push(d);
      };
      const onError = (e: Error): void => {
        this.inflater.off('data', onData);
        reject(e);
      };
      this.inflater.on('data', onData);
      this.inflater.once('error', onError);
      this.inflater.write(block);
      this.inflater.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        this.inflater.off('data', onData);
        this.inflater.off('error', onError);
        if (this.error) reject(this.error);
        else resolve(Buffer.concat(chunks));
      });
    });
  }

  async decode(block: Buffer): Promise<Headers> {
    const raw = await this.inflate(block);
    const out: Headers = {};
    let off = 0;
    const n = raw.readUInt32BE(off);
    off += 4;
    for (let i = 0; i < n; i++) {
      const nl = raw.readUInt32BE(off);
      off += 4;
      const name = raw.subarray(off, off + nl).toString('latin1').toLowerCase();
      off += nl;
      const vl = raw.readUInt32BE(off);
      off += 4;
      // Several values are separated by NUL; kubectl never sends more than one.
      out[name] = raw.subarray(off, off + vl).toString('latin1').split('\0')[0]!;
      off += vl;
    }
    return out;
  }

  encode(headers: Headers): Buffer {
    const entries = Object.entries(headers);
    const parts: Buffer[] = [u32(entries.length)];
    for (const [k, v] of entries) {
      const kb = Buffer.from(k.toLowerCase(), 'latin1');
      const vb = Buffer.from(v, 'latin1');
      parts.push(u32(kb.length), kb, u32(vb.length), vb);
    }
    const raw = Buffer.concat(parts);
    const out: Buffer[] = [];
    if (!this.sentZlibHeader) {
      // CMF 0x78 (deflate, 32K window), FLG 0x01: no preset dictionary, check bits valid.
      out.push(Buffer.from([0x78, 0x01]));
      this.sentZlibHeader = true;
    }
    for (let off = 0; off < raw.length || off === 0; off += 0xffff) {
      const piece = raw.subarray(off, off + 0xffff);
      const h = Buffer.alloc(5);
      h[0] = 0x00; // BFINAL=0, BTYPE=00 (stored), padded to the byte boundary
      h.writeUInt16LE(piece.length, 1);
      h.writeUInt16LE(~piece.length & 0xffff, 3);
      out.push(h, piece);
      if (raw.length === 0) break;
    }
    // An empty stored block, as Z_SYNC_FLUSH ends every block: Go's inflater hands out the data
    // of a stored block only when it reaches the next block header, which must be in this frame.
    out.push(Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]));
    return Buffer.concat(out);
  }
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

export function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(0x8000 | 3, 0);
  h.writeUInt16BE(type, 2);
  h.writeUInt32BE(((flags & 0xff) << 24) | payload.length, 4);
  return Buffer.concat([h, payload]);
}

export function dataFrame(streamId: number, flags: number, data: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32BE(streamId & 0x7fffffff, 0);
  h.writeUInt32BE(((flags & 0xff) << 24) | data.length, 4);
  return Buffer.concat([h, data]);
}

export interface SpdyStream {
  id: number;
  headers: Headers;
  /** Bytes from the peer. */
  on(event: 'data', fn: (d: Buffer) => void): void;
  /** The peer half-closed (FIN) the stream. */
  on(event: 'end', fn: () => void): void;
  /** The peer reset the stream or the session ended. */
  on(event: 'reset', fn: () => void): void;
}

class Stream extends EventEmitter implements SpdyStream {
  localClosed = false;
  remoteClosed = false;
  constructor(
    readonly id: number,
    readonly headers: Headers,
  ) {
    super();
  }
}

/**
 * Server side of a SPDY/3.1 session over a byte transport. `write` sends bytes to the peer;
 * feed received bytes to `receive`. Emits 'stream' (SpdyStream) for each SYN_STREAM (after
 * answering SYN_REPLY), 'close' on GOAWAY or a protocol error.
 */
export class SpdySession extends EventEmitter {
  private buf: Buffer = Buffer.alloc(0);
  private readonly codec = new HeaderCodec();
  private readonly streams = new Map<number, Stream>();
  private closed = false;
  private chain: Promise<void> = Promise.resolve();
  lastError?: Error;

  constructor(private readonly write: (bytes: Buffer) => void) {
    super();
  }

  receive(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : Buffer.from(chunk);
    while (this.buf.length >= 8 && !this.closed) {
      const len = this.buf.readUInt32BE(4) & 0xffffff;
      if (this.buf.length < 8 + len) break;
      const frame = this.buf.subarray(0, 8 + len);
      this.buf = this.buf.subarray(8 + len);
      // Frames are handled strictly in order; only header blocks make a handler wait.
      this.chain = this.chain.then(() => (this.closed ? undefined : this.handleFrame(frame))).catch((err: Error) => {
        // A broken peer ends its session, never the agent.
        this.lastError = err;
        if (process.env.SKIFF_SPDY_DEBUG) process.stderr.write(`spdy: ${err.stack} frame=${frame.toString('hex')}\n`);
        this.close();
      });
    }
  }

  /** Resolves when every frame received so far has been handled (tests). */
  idle(): Promise<void> {
    return this.chain;
  }

  private async handleFrame(f: Buffer): Promise<void> {
    if (process.env.SKIFF_SPDY_DEBUG) process.stderr.write(`spdy< ${f.subarray(0, 64).toString('hex')}\n`);
    const flags = f[4]!;
    const payload = f.subarray(8);
    if (!(f[0]! & 0x80)) {
      const id = f.readUInt32BE(0) & 0x7fffffff;
      const s = this.streams.get(id);
      if (!s) return;
      if (payload.length) {
        s.emit('data', Buffer.from(payload));
        this.windowUpdate(id, payload.length);
      }
      if (flags & FLAG_FIN) this.remoteFin(s);
      return;
    }
    const type = f.readUInt16BE(2);
    switch (type) {
      case FrameType.SYN_STREAM: {
        const id = payload.readUInt32BE(0) & 0x7fffffff;
        const headers = await this.codec.decode(payload.subarray(10));
        const s = new Stream(id, headers);
        this.streams.set(id, s);
        this.sendFrame(controlFrame(FrameType.SYN_REPLY, 0, Buffer.concat([u32(id), this.codec.encode({})])));
        this.emit('stream', s);
        if (flags & FLAG_FIN) this.remoteFin(s);
        return;
      }
      case FrameType.RST_STREAM: {
        const id = payload.readUInt32BE(0) & 0x7fffffff;
        const s = this.streams.get(id);
        if (s) {
          this.streams.delete(id);
          s.emit('reset');
        }
        return;
      }
      case FrameType.PING:
        this.sendFrame(controlFrame(FrameType.PING, 0, payload.subarray(0, 4)));
        return;
      case FrameType.GOAWAY:
        this.close();
        return;
      case FrameType.HEADERS: {
        await this.codec.decode(payload.subarray(4)); // keep the compression context in step
        const s = this.streams.get(payload.readUInt32BE(0) & 0x7fffffff);
        if (s && flags & FLAG_FIN) this.remoteFin(s);
        return;
      }
      case FrameType.SYN_REPLY:
        await this.codec.decode(payload.subarray(4));
        this.emit('reply', payload.readUInt32BE(0) & 0x7fffffff);
        return;
      default:
        return; // SETTINGS, WINDOW_UPDATE, NOOP: nothing to do for a server that does not throttle
    }
  }

  private remoteFin(s: Stream): void {
    if (s.remoteClosed) return;
    s.remoteClosed = true;
    s.emit('end');
    if (s.localClosed) this.streams.delete(s.id);
  }

  private windowUpdate(id: number, n: number): void {
    const p = Buffer.alloc(8);
    p.writeUInt32BE(id & 0x7fffffff, 0);
    p.writeUInt32BE(n, 4);
    this.sendFrame(controlFrame(FrameType.WINDOW_UPDATE, 0, p));
    const s = Buffer.alloc(8);
    s.writeUInt32BE(0, 0);
    s.writeUInt32BE(n, 4);
    this.sendFrame(controlFrame(FrameType.WINDOW_UPDATE, 0, s));
  }

  private sendFrame(frame: Buffer): void {
    if (process.env.SKIFF_SPDY_DEBUG) process.stderr.write(`spdy> ${frame.subarray(0, 64).toString('hex')}\n`);
    if (!this.closed) this.write(frame);
  }

  /** Sends bytes on a stream (split into ≤ 64 KiB frames); `fin` half-closes our side. */
  send(id: number, data: Buffer, fin = false): void {
    const s = this.streams.get(id);
    if (!s || s.localClosed) return;
    for (let off = 0; off < data.length; off += 65536) {
      const end = Math.min(data.length, off + 65536);
      this.sendFrame(dataFrame(id, fin && end === data.length ? FLAG_FIN : 0, data.subarray(off, end)));
    }
    if (fin) {
      if (data.length === 0) this.sendFrame(dataFrame(id, FLAG_FIN, Buffer.alloc(0)));
      s.localClosed = true;
      if (s.remoteClosed) this.streams.delete(id);
    }
  }

  reset(id: number, status = RST_CANCEL): void {
    if (!this.streams.has(id)) return;
    this.streams.delete(id);
    const p = Buffer.alloc(8);
    p.writeUInt32BE(id & 0x7fffffff, 0);
    p.writeUInt32BE(status, 4);
    this.sendFrame(controlFrame(FrameType.RST_STREAM, 0, p));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.streams.values()) s.emit('reset');
    this.streams.clear();
    this.emit('close');
  }

  /** Client side helpers (tests): opens a stream with headers. */
  openStream(id: number, headers: Headers, fin = false): Buffer {
    const p = Buffer.concat([u32(id), u32(0), Buffer.from([0, 0]), this.codec.encode(headers)]);
    this.streams.set(id, new Stream(id, headers));
    return controlFrame(FrameType.SYN_STREAM, fin ? FLAG_FIN : 0, p);
  }

  streamOf(id: number): SpdyStream | undefined {
    return this.streams.get(id);
  }
}
