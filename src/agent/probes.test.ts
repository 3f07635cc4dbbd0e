import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { test } from 'node:test';
import { dialDirect } from '../network/netns-dialer.js';
import { FakeClock } from '../util/clock.js';
import { ProbeWorker, runHandler, type ProbeOutcome, type ProbeTarget } from './probes.js';

async function httpOn(handler: (url: string) => number): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    res.statusCode = handler(req.url ?? '/');
    res.end('x');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as { port: number }).port };
}

const target = (over: Partial<ProbeTarget> = {}): ProbeTarget => ({
  podIP: '127.0.0.1',
  container: { name: 'c', ports: [{ name: 'http', containerPort: 0 }] },
  dial: dialDirect,
  exec: async () => ({ code: 0, output: '' }),
  ...over,
});

test('httpGet: 2xx/3xx pass, 4xx/5xx and refused connections fail; named ports resolve', async (t) => {
  const { server, port } = await httpOn((url) => (url === '/ok' ? 200 : url === '/redir' ? 302 : 503));
  t.after(() => server.close());
  const tg = target({ container: { name: 'c', ports: [{ name: 'http', containerPort: port }] } });
  assert.deepEqual(await runHandler({ httpGet: { port: 'http', path: '/ok' } }, tg), { ok: true });
  assert.deepEqual(await runHandler({ httpGet: { port, path: '/redir' } }, tg), { ok: true });
  assert.deepEqual(await runHandler({ httpGet: { port, path: '/bad' } }, tg), { ok: false, message: 'HTTP probe failed with statuscode: 503' });
  const refused = await runHandler({ httpGet: { port: 1, path: '/' } }, tg);
  assert.equal(refused.ok, false);
  assert.match(refused.message!, /dial tcp 127\.0\.0\.1:1/);
  assert.deepEqual(await runHandler({ tcpSocket: { port } }, tg), { ok: true });
  assert.equal((await runHandler({ tcpSocket: { port: 1 } }, tg)).ok, false);
  assert.deepEqual(await runHandler({ exec: { command: ['x'] } }, target({ exec: async () => ({ code: 1, output: 'boom\n' }) })), { ok: false, message: 'boom' });
  assert.equal((await runHandler({ exec: { command: ['x'] } }, target({ exec: async () => ({ code: -1, output: '' }) }))).message, 'command "x" timed out');
});

test('thresholds: readiness needs successThreshold successes, failureThreshold failures flip it back', async () => {
  const clock = new FakeClock();
  const results: boolean[] = [];
  let answer = true;
  const w = new ProbeWorker({
    kind: 'readiness',
    probe: { exec: { command: ['x'] }, periodSeconds: 1, initialDelaySeconds: 5, successThreshold: 2, failureThreshold: 3 },
    target: target({ exec: async () => ({ code: answer ? 0 : 1, output: '' }) }),
    onResult: (_k, r: boolean, _a: ProbeOutcome) => results.push(r),
    setTimer: (fn, ms) => clock.setTimeout(fn, ms),
  });
  w.start();
  const step = async (ms: number): Promise<void> => {
    clock.advance(ms);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  };
  await step(4999);
  assert.deepEqual(results, [], 'initialDelaySeconds');
  await step(1);
  assert.deepEqual(results, [false], 'one success is not enough');
  await step(1000);
  assert.deepEqual(results, [false, true]);
  answer = false;
  await step(1000);
  await step(1000);
  assert.deepEqual(results.slice(-1), [true], 'two failures keep it ready');
  await step(1000);
  assert.deepEqual(results.slice(-1), [false], 'third failure flips it');
  w.stop();
  await step(5000);
  assert.equal(results.length, 5, 'stopped workers stay quiet');
});

test('readiness retries fast (10 ms, then a quarter of the time waited) until its first success, quietly', async () => {
  const clock = new FakeClock();
  const attempts: { at: number; ok: boolean; quiet?: boolean }[] = [];
  let answer = false;
  const t0 = clock.now();
  const w = new ProbeWorker({
    kind: 'readiness',
    probe: { exec: { command: ['x'] }, periodSeconds: 1 },
    target: target({ exec: async () => ({ code: answer ? 0 : 1, output: '' }) }),
    onResult: (_k, _r, a) => attempts.push({ at: clock.now() - t0, ok: a.ok, quiet: a.quiet }),
    setTimer: (fn, ms) => clock.setTimeout(fn, ms),
    now: () => clock.now(),
  });
  w.start();
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  };
  const advanceBy = async (ms: number): Promise<void> => {
    for (let i = 0; i < ms; i++) {
      clock.advance(1);
      await settle();
    }
  };
  clock.advance(0);
  await settle();
  await advanceBy(100);
  assert.deepEqual(attempts.map((a) => a.at), [0, 10, 20, 30, 40, 50, 63, 79, 99]);
  await advanceBy(899);
  assert.ok(attempts.every((a) => a.quiet), 'failures in the first period raise no event');
  const firstSecond = attempts.length;
  assert.ok(firstSecond >= 15 && firstSecond <= 25, `about 20 attempts in the first second (${firstSecond})`);
  await advanceBy(2001);
  const reported = attempts.filter((a) => !a.quiet).map((a) => a.at);
  assert.equal(reported.length, 2, `later failures reported once per period (${reported.join(', ')})`);
  assert.ok(reported[1]! - reported[0]! >= 1000);
  const gaps = attempts.slice(1).map((a, i) => a.at - attempts[i]!.at);
  assert.ok(gaps.every((g) => g <= 1000), 'never slower than the period');
  answer = true;
  await advanceBy(1000);
  assert.equal(w.result, true);
  const ready = attempts.findIndex((a) => a.ok);
  assert.ok(attempts[ready]!.at - attempts[ready - 1]!.at <= Math.ceil(attempts[ready - 1]!.at / 4) + 1, 'Ready within a quarter of the wait');
  const n = attempts.length;
  await advanceBy(attempts[ready]!.at + 999 - (clock.now() - t0));
  assert.equal(attempts.length, n, 'after the first success the normal period applies');
  await advanceBy(1);
  assert.equal(attempts.length, n + 1);
  w.stop();
});

test('httpGet with scheme HTTPS speaks TLS (certificate not verified, like kubelet)', async (t) => {
  const { execFileSync } = await import('node:child_process');
  const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const https = await import('node:https');
  const dir = mkdtempSync(join(tmpdir(), 'skiff-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=probe'], { stdio: 'ignore' });
  const server = https.createServer({ key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) }, (req, res) => {
    res.statusCode = req.url === '/ok' ? 200 : 500;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(() => server.close());
  const port = (server.address() as { port: number }).port;
  assert.deepEqual(await runHandler({ httpGet: { port, path: '/ok', scheme: 'HTTPS' } }, target()), { ok: true });
  assert.equal((await runHandler({ httpGet: { port, path: '/no', scheme: 'HTTPS' } }, target())).ok, false);
});
