// Both TCP data paths of the userspace proxy (raw libuv handles and net.Sockets), on
// loopback addresses 127.79.x: bulk transfers with back-pressure and byte-exact integrity,
// half-close both ways, connect retry, RST without endpoints, cut on close, and the choice
// of path (with the fallback when the raw bindings are missing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { EndpointInfo, ServicePortState } from '../types.js';
import { Balancer } from './balancer.js';
import { LibuvTcpFrontend } from './libuv-tcp-proxy.js';
import { loadLibuvTcp } from './libuv-tcp.js';
import { TcpFrontend } from './tcp-proxy.js';
import { UserspaceBackend } from './userspace-backend.js';

type Engine = 'libuv' | 'net';
const ENGINES: Engine[] = ['libuv', 'net'];
let nextPort = 19100;

function endpoint(ip: string, port: number): EndpointInfo {
  return { ip, port, ready: true, serving: true, terminating: false, isLocal: true };
}

async function frontend(t: import('node:test').TestContext, engine: Engine, endpoints: EndpointInfo[], host = '127.79.0.1') {
  const balancer = new Balancer();
  balancer.set(endpoints, 0);
  const o = { host, port: nextPort++, balancer, now: Date.now, connectAttempts: 3 };
  const uv = loadLibuvTcp();
  if (engine === 'libuv') assert.ok(uv, 'this Node has the raw libuv bindings the fast path needs');
  const f = engine === 'libuv' ? new LibuvTcpFrontend(uv!, o) : new TcpFrontend(o);
  await f.listen();
  t.after(() => f.close());
  return { f, host, port: o.port };
}

async function server(t: import('node:test').TestContext, host: string, onSocket: (s: Socket) => void): Promise<number> {
  const port = nextPort++;
  const open = new Set<Socket>();
  const s: Server = createServer({ allowHalfOpen: true }, (sock) => {
    open.add(sock);
    sock.once('close', () => open.delete(sock));
    onSocket(sock);
  });
  await new Promise<void>((r) => s.listen(port, host, () => r()));
  t.after(() => {
    for (const sock of open) sock.destroy();
    return new Promise<void>((r) => s.close(() => r()));
  });
  return port;
}

function dial(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const c = connect({ host, port, allowHalfOpen: true }, () => resolve(c));
    c.once('error', reject);
  });
}

const CHUNK = 64 * 1024;
/** Seven distinct 64 KiB chunks, cycled: a lost, repeated, reordered or overwritten chunk changes the hash. */
const CHUNKS = Array.from({ length: 7 }, (_, k) => {
  const b = Buffer.alloc(CHUNK);
  for (let j = 0; j < CHUNK; j++) b[j] = (k * 37 + j * 11 + (j >> 8)) & 0xff;
  return b;
});

function expectedHash(chunks: number): string {
  const h = createHash('sha256');
  for (let i = 0; i < chunks; i++) h.update(CHUNKS[i % 7]!);
  return h.digest('hex');
}

/** Writes `chunks` chunks as fast as the socket accepts them (its own back-pressure), then ends. */
function pump(s: Socket, chunks: number): { accepted: () => number } {
  let i = 0;
  const more = (): void => {
    while (i < chunks) {
      if (!s.write(CHUNKS[i++ % 7]!)) return void s.once('drain', more);
    }
    s.end();
  };
  more();
  return { accepted: () => i * CHUNK - s.writableLength };
}

function hashUntilEnd(s: Socket): Promise<{ hash: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  s.on('data', (d: Buffer) => {
    h.update(d);
    bytes += d.length;
  });
  return new Promise((resolve) => s.once('end', () => resolve({ hash: h.digest('hex'), bytes })));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const engine of ENGINES) {
  test(`${engine}: bulk transfer both ways holds back on a stalled reader and arrives byte-exact`, { timeout: 60_000 }, async (t) => {
    // More than loopback's socket buffers can hold (tcp_rmem max here: 32 MiB) in each direction.
    const down = 1024; // chunks of 64 KiB server → client (64 MiB)
    const up = 768; // client → server (48 MiB)
    let serverSide: Socket | undefined;
    let serverGot: Promise<{ hash: string; bytes: number }> | undefined;
    let serverPump: { accepted: () => number } | undefined;
    const port = await server(t, '127.79.1.1', (s) => {
      serverSide = s;
      s.pause(); // the server does not read at first either
      serverGot = hashUntilEnd(s);
      serverPump = pump(s, down);
    });
    const { host, port: fport } = await frontend(t, engine, [endpoint('127.79.1.1', port)]);
    const c = await dial(host, fport);
    t.after(() => c.destroy());
    c.pause();
    const clientGot = hashUntilEnd(c);
    const clientPump = pump(c, up);
    await sleep(800);
    // Neither reader has read a byte: what the writers got rid of sits in socket buffers and
    // in the proxy. A proxy that reads on regardless would have taken everything by now.
    const base = process.memoryUsage().arrayBuffers;
    assert.ok(serverPump, 'the proxy connected upstream');
    assert.ok(serverPump.accepted() < down * CHUNK, `server → client stalled: ${serverPump.accepted()} of ${down * CHUNK} bytes left the server`);
    assert.ok(clientPump.accepted() < up * CHUNK, `client → server stalled: ${clientPump.accepted()} of ${up * CHUNK} bytes left the client`);
    await sleep(300);
    assert.ok(process.memoryUsage().arrayBuffers - base < 4 * 1024 * 1024, 'the proxy does not pile up data while stalled');
    c.resume();
    serverSide!.resume();
    const [atClient, atServer] = await Promise.all([clientGot, serverGot!]);
    assert.equal(atClient.bytes, down * CHUNK);
    assert.equal(atClient.hash, expectedHash(down), 'server → client bytes intact and in order');
    assert.equal(atServer.bytes, up * CHUNK);
    assert.equal(atServer.hash, expectedHash(up), 'client → server bytes intact and in order');
  });

  test(`${engine}: half-close passes each FIN on and keeps the other direction open`, async (t) => {
    // Client finishes first: the server sees the end, then still answers.
    const echoAfterEnd = await server(t, '127.79.2.1', (s) => {
      let got = '';
      s.on('data', (d: Buffer) => (got += d.toString()));
      s.on('end', () => s.end(`pong:${got}`));
    });
    // Server finishes first: the client sees the end, then still sends.
    let lateData: Promise<string> | undefined;
    const closeFirst = await server(t, '127.79.2.2', (s) => {
      let got = '';
      s.on('data', (d: Buffer) => (got += d.toString()));
      lateData = new Promise((r) => s.on('end', () => r(got)));
      s.end('hello');
    });
    const a = await frontend(t, engine, [endpoint('127.79.2.1', echoAfterEnd)]);
    const c1 = await dial(a.host, a.port);
    t.after(() => c1.destroy());
    let answer = '';
    c1.on('data', (d: Buffer) => (answer += d.toString()));
    const ended1 = new Promise((r) => c1.once('end', r));
    c1.end('ping');
    await ended1;
    assert.equal(answer, 'pong:ping');

    const b = await frontend(t, engine, [endpoint('127.79.2.2', closeFirst)], '127.79.0.2');
    const c2 = await dial(b.host, b.port);
    t.after(() => c2.destroy());
    let greeting = '';
    c2.on('data', (d: Buffer) => (greeting += d.toString()));
    await new Promise((r) => c2.once('end', r));
    assert.equal(greeting, 'hello');
    await sleep(50);
    const c2Closed = new Promise((r) => c2.once('close', () => r('closed')));
    c2.end('late');
    assert.equal(await lateData, 'late', 'bytes sent after the server closed its side still arrive');
    const closed = await Promise.race([c2Closed, sleep(2000).then(() => 'open')]);
    assert.equal(closed, 'closed', 'the connection is closed once both sides have ended');
  });

  test(`${engine}: request/response exchanges whose sizes repeat and change arrive exact`, { timeout: 10_000 }, async (t) => {
    // The libuv path reuses the view it last wrote from a read buffer when the next read has
    // the same length: a repeated size must reuse it, a changed one must not, in both directions.
    const port = await server(t, '127.79.6.1', (s) => s.on('data', (d: Buffer) => s.write(d)));
    const { host, port: fport } = await frontend(t, engine, [endpoint('127.79.6.1', port)]);
    const c = await dial(host, fport);
    t.after(() => c.destroy());
    const sizes = [5, 5, 300, 5, 16384, 1, 1, 300, 70_000, 5];
    for (const [k, size] of sizes.entries()) {
      const msg = Buffer.alloc(size);
      for (let j = 0; j < size; j++) msg[j] = (k * 53 + j * 7) & 0xff;
      const echoed = await new Promise<Buffer>((resolve) => {
        const parts: Buffer[] = [];
        let got = 0;
        const onData = (d: Buffer): void => {
          parts.push(d);
          got += d.length;
          if (got < size) return;
          c.off('data', onData);
          resolve(Buffer.concat(parts));
        };
        c.on('data', onData);
        c.write(msg);
      });
      assert.ok(echoed.equals(msg), `exchange ${k} (${size} bytes) came back as sent`);
    }
  });

  test(`${engine}: a failed connect moves to the next endpoint; none left or none at all resets`, async (t) => {
    const live = await server(t, '127.79.3.2', (s) => s.end('live'));
    // 127.79.3.1 and 127.79.3.3 have nothing listening on `live`'s port: connects are refused.
    const { host, port } = await frontend(t, engine, [endpoint('127.79.3.1', live), endpoint('127.79.3.2', live)]);
    for (let i = 0; i < 4; i++) {
      const c = await dial(host, port);
      t.after(() => c.destroy());
      const got = await readAll(c);
      assert.equal(got, 'live');
    }
    const dead = await frontend(t, engine, [endpoint('127.79.3.1', live), endpoint('127.79.3.3', live)], '127.79.0.3');
    assert.match(await outcome(dead.host, dead.port), /^ECONNRESET|^EPIPE/, 'every endpoint refused: reset');
    const empty = await frontend(t, engine, [], '127.79.0.4');
    const t0 = Date.now();
    assert.match(await outcome(empty.host, empty.port), /^ECONNRESET|^EPIPE/, 'no endpoints: reset');
    assert.ok(Date.now() - t0 < 1000, 'at once');
  });

  test(`${engine}: closing the frontend cuts its connections and frees the port`, async (t) => {
    const port = await server(t, '127.79.4.1', () => {});
    const { f, host, port: fport } = await frontend(t, engine, [endpoint('127.79.4.1', port)]);
    const c = await dial(host, fport);
    t.after(() => c.destroy());
    c.on('error', () => {});
    await sleep(50);
    // The client half-opens (allowHalfOpen): the cut shows as the end of its readable side.
    const closed = new Promise((r) => c.once('end', r));
    c.resume();
    await f.close();
    assert.equal(await Promise.race([closed.then(() => 'cut'), sleep(2000).then(() => 'open')]), 'cut', 'connection cut by close()');
    const again = createServer();
    await new Promise<void>((r, j) => again.once('error', j).listen(fport, host, () => r()));
    await new Promise((r) => again.close(r));
  });
}

/** Everything the peer sends until its end, or `ERR:<code>`. */
function readAll(c: Socket): Promise<string> {
  let got = '';
  c.on('data', (d: Buffer) => (got += d.toString()));
  return new Promise((r) => {
    c.once('end', () => r(got));
    c.once('error', (e: NodeJS.ErrnoException) => r(`ERR:${e.code}`));
  });
}

/** Connects, sends a byte, and reports how the proxy ended it (`ok` if it answered). */
function outcome(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const c = connect({ host, port });
    const timer = setTimeout(() => {
      c.destroy();
      resolve('TIMEOUT');
    }, 3000);
    c.on('connect', () => c.write('x'));
    c.on('data', () => resolve('ok'));
    c.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(e.code ?? e.message);
    });
    c.on('close', () => {
      clearTimeout(timer);
      resolve('CLOSED');
    });
  });
}

test('backend: the raw libuv path is the default, `net` on request or when the bindings are missing', async (t) => {
  const snapshot = (port: number): Map<string, ServicePortState> => {
    const ep = endpoint('127.79.5.1', 9);
    const s: ServicePortState = {
      id: `t/s${port}:/TCP`, namespace: 't', name: `s${port}`, portName: '', protocol: 'TCP', port,
      clusterIPs: ['127.79.5.10'], nodePort: 0, loadBalancerIPs: [], externalIPs: [], affinityTimeoutSeconds: 0,
      externalPolicyLocal: false, internalPolicyLocal: false, healthCheckNodePort: 0,
      endpoints: [ep], clusterEndpoints: [ep], externalEndpoints: [ep], localEndpointCount: 1,
    };
    return new Map([[s.id, s]]);
  };
  const cases: [ConstructorParameters<typeof UserspaceBackend>[0], string][] = [
    [{ addressMode: 'loopback', nodeIPs: [] }, 'libuv'],
    [{ addressMode: 'loopback', nodeIPs: [], tcpEngine: 'net' }, 'net'],
    [{ addressMode: 'loopback', nodeIPs: [], loadLibuv: () => undefined }, 'net'],
  ];
  for (const [o, want] of cases) {
    const backend = new UserspaceBackend(o);
    t.after(() => backend.stop());
    await backend.sync({ nodeName: 'n', ports: snapshot(nextPort++) }, [], true);
    assert.deepEqual([...backend.tcpEnginesInUse()], [want]);
    await backend.stop();
  }
});
