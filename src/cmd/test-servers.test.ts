import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { test } from 'node:test';

const MAIN = new URL('./main.ts', import.meta.url).pathname;

/** Runs `skiff <args>` through tsx, waits for "listening on", returns the address. */
function start(t: { after(fn: () => void): void }, args: string[]): Promise<{ url: string; exited: Promise<number | null>; kill(sig: NodeJS.Signals): void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', `import(${JSON.stringify(MAIN)}).then(m => m.main(${JSON.stringify(args)})).then(c => { process.exitCode = c; })`], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on ([\d.]+):(\d+)/.exec(out);
      if (m) resolve({ url: `http://${m[1] === '0.0.0.0' ? '127.0.0.1' : m[1]}:${m[2]}`, exited, kill: (s) => child.kill(s) });
    });
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
}

test('echo answers every path with the text and a newline, /healthz with ok, exits 0 on SIGTERM', async (t) => {
  const s = await start(t, ['echo', '--text', 'pay', '--port', '0', '--host', '127.0.0.1']);
  assert.equal(await (await fetch(`${s.url}/anything`)).text(), 'pay\n');
  assert.equal(await (await fetch(`${s.url}/healthz`)).text(), 'ok\n');
  s.kill('SIGTERM');
  assert.equal(await s.exited, 0);
});

test('serve-hostname answers the hostname', async (t) => {
  const s = await start(t, ['serve-hostname', '--port', '0', '--host', '127.0.0.1']);
  assert.equal(await (await fetch(s.url)).text(), `${hostname()}\n`);
});

test('sleep --seconds --exit-code exits with that code', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', `import(${JSON.stringify(MAIN)}).then(m => m.main(['sleep','--seconds','0.1','--exit-code','7'])).then(c => { process.exitCode = c; })`]);
  const code = await new Promise((r) => child.on('exit', r));
  assert.equal(code, 7);
});
