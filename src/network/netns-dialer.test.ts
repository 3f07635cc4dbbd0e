import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { NetnsDialer } from './netns-dialer.js';

test('NetnsDialer connects from inside a namespace, reports refusals, survives its helper dying', { skip: process.getuid?.() === 0 ? false : 'needs root' }, async (t) => {
  const ns = `skt-ag-dl${process.pid}`;
  execFileSync('ip', ['netns', 'add', ns]);
  t.after(() => execFileSync('ip', ['netns', 'del', ns]));
  execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  const dir = mkdtempSync(join(tmpdir(), 'skt-ag-dl-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // A server inside the namespace: the test's own process cannot reach it directly.
  const server = execFileSync('ip', ['netns', 'exec', ns, 'sh', '-c', `${process.execPath} -e "require('net').createServer(c=>{c.on('data',d=>c.end('echo:'+d))}).listen(7070,'127.0.0.1')" >/dev/null 2>&1 & echo $!`], { encoding: 'utf8' }).trim();
  t.after(() => {
    try {
      process.kill(Number(server));
    } catch {
      /* gone */
    }
  });
  const dialer = new NetnsDialer(ns, join(dir, 'd.sock'));
  t.after(() => dialer.close());
  const roundTrip = async (): Promise<string> => {
    const s = await dialer.dial('127.0.0.1', 7070, 2000);
    return new Promise((resolve) => {
      let out = '';
      s.on('data', (d: Buffer) => (out += d.toString()));
      s.on('end', () => resolve(out));
      s.write('hi');
    });
  };
  const deadline = Date.now() + 5000;
  let first = '';
  while (Date.now() < deadline) {
    first = await roundTrip().catch(() => '');
    if (first) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(first, 'echo:hi');
  await assert.rejects(dialer.dial('127.0.0.1', 7071, 1000), /ECONNREFUSED/);
  // Kill the helper: the next dial starts a new one.
  (dialer as unknown as { child: { kill(s: string): void } }).child.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(await roundTrip(), 'echo:hi');
});
