/**
 * TCP connections from inside another network namespace. Node.js cannot setns() one socket,
 * so when the node lives in its own namespace (`--node-netns`) the agent starts one small
 * helper inside it (`ip netns exec NODE node -e HELPER SOCK`) that listens on a unix socket
 * (unix paths are not network-namespaced) and, per connection, reads one line `host port
 * timeoutMs`, connects, answers `OK` or `ERR message`, then pipes bytes both ways.
 * The helper exits when its stdin closes, i.e. when the agent goes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

const HELPER = `
const net = require('net'); const fs = require('fs'); const path = process.argv[1];
try { fs.unlinkSync(path); } catch {}
const srv = net.createServer((c) => {
  let buf = ''; c.on('error', () => {});
  const onData = (d) => {
    buf += d.toString('latin1'); const i = buf.indexOf('\\n'); if (i < 0) { if (buf.length > 512) c.destroy(); return; }
    c.removeListener('data', onData); c.pause();
    const [host, port, tmo] = buf.slice(0, i).split(' '); const rest = Buffer.from(buf.slice(i + 1), 'latin1');
    const t = net.connect({ host, port: Number(port) });
    const timer = setTimeout(() => t.destroy(new Error('connect timeout')), Number(tmo) || 5000);
    t.once('error', (e) => { clearTimeout(timer); if (!c.destroyed) c.end('ERR ' + e.message + '\\n'); });
    t.once('connect', () => {
      clearTimeout(timer); t.removeAllListeners('error'); t.on('error', () => c.destroy()); c.on('error', () => t.destroy());
      c.write('OK\\n'); if (rest.length) t.write(rest); c.pipe(t); t.pipe(c); c.resume();
      c.on('close', () => t.destroy()); t.on('close', () => c.destroy());
    });
  };
  c.on('data', onData);
});
srv.listen(path, () => process.stdout.write('ready\\n'));
process.stdin.on('end', () => process.exit(0)); process.stdin.on('error', () => process.exit(0)); process.stdin.resume();
`;

export class NetnsDialer {
  private child?: ChildProcess;
  private ready?: Promise<void>;
  private closing = false;

  constructor(
    private readonly netns: string,
    private readonly socketPath: string,
  ) {}

  start(): Promise<void> {
    if (this.ready) return this.ready;
    this.ready = new Promise((resolve, reject) => {
      const child = spawn('ip', ['netns', 'exec', this.netns, process.execPath, '-e', HELPER, this.socketPath], {
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      this.child = child;
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready')) resolve();
      });
      child.on('error', reject);
      child.on('exit', (code) => {
        reject(new Error(`netns dialer helper exited ${code}`));
        // Not while closing: a helper that died is started again by the next dial.
        if (!this.closing && this.child === child) this.ready = undefined;
      });
    });
    return this.ready;
  }

  async dial(host: string, port: number, timeoutMs: number): Promise<Duplex> {
    await this.start();
    return new Promise((resolve, reject) => {
      const s: Socket = connect(this.socketPath);
      let buf = Buffer.alloc(0);
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`dial ${host}:${port}: timeout`));
      }, timeoutMs + 1000);
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      // Read the status line with 'readable' (not 'data'): once that listener is removed the
      // socket is back to its initial, non-paused state, so the caller's 'data' listener or
      // pipe() gets everything after the line (which is unshifted back).
      const onReadable = (): void => {
        let d: Buffer | null;
        while ((d = s.read() as Buffer | null) !== null) {
          buf = Buffer.concat([buf, d]);
          const i = buf.indexOf(10);
          if (i < 0) continue;
          clearTimeout(timer);
          s.removeListener('readable', onReadable);
          const line = buf.subarray(0, i).toString();
          const rest = buf.subarray(i + 1);
          if (line !== 'OK') {
            s.destroy();
            reject(new Error(`dial ${host}:${port}: ${line.replace(/^ERR /, '')}`));
            return;
          }
          if (rest.length) s.unshift(rest);
          s.removeAllListeners('error');
          s.on('error', () => {}); // callers add their own; never an unhandled 'error'
          process.nextTick(() => resolve(s));
          return;
        }
      };
      s.on('readable', onReadable);
      s.write(`${host} ${port} ${timeoutMs}\n`);
    });
  }

  close(): void {
    this.closing = true;
    this.child?.stdin?.end();
    this.child?.kill();
    try {
      rmSync(this.socketPath, { force: true });
    } catch {
      /* ignore */
    }
  }
}

/** A plain TCP connection from the agent's own namespace. */
export function dialDirect(host: string, port: number, timeoutMs: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`dial ${host}:${port}: timeout`));
    }, timeoutMs);
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    s.once('connect', () => {
      clearTimeout(timer);
      s.removeAllListeners('error');
      s.on('error', () => {});
      resolve(s);
    });
  });
}
