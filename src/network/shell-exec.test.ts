import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ExecError } from '../util/exec.js';
import { ShellExec } from './shell-exec.js';

function setup(t: { after(fn: () => void): void }): { sx: ShellExec; dir: string } {
  const root = mkdtempSync(join(tmpdir(), 'skiff-shx-'));
  const dir = join(root, 'exec');
  const sx = new ShellExec(dir);
  t.after(() => {
    sx.close();
    rmSync(root, { recursive: true, force: true });
  });
  return { sx, dir };
}

test('runs argv (quoted), stdin, stdout, stderr and exit codes like spawn, concurrently, leaving no files', async (t) => {
  const { sx, dir } = setup(t);
  const r = await sx.exec('sh', ['-c', 'cat; echo "$1" >&2; exit 3', 'x', "it's a $HOME `test`"], { input: 'in put\n', check: false });
  assert.deepEqual(r, { code: 3, stdout: 'in put\n', stderr: "it's a $HOME `test`\n" });
  await assert.rejects(sx.exec('sh', ['-c', 'echo bad >&2; exit 2']), (e: unknown) => e instanceof ExecError && /exited 2: bad/.test(e.message));
  // Concurrent: 5 sleeps of 300 ms finish in well under 5 × 300 ms.
  const t0 = Date.now();
  const outs = await Promise.all([1, 2, 3, 4, 5].map((i) => sx.exec('sh', ['-c', `sleep 0.3; echo ${i}`])));
  assert.deepEqual(outs.map((o) => o.stdout), ['1\n', '2\n', '3\n', '4\n', '5\n']);
  assert.ok(Date.now() - t0 < 1200, `ran concurrently (${Date.now() - t0} ms)`);
  assert.deepEqual(readdirSync(dir), [], 'per-call files removed');
  await assert.rejects(sx.exec('no-such-program-xyz', []), (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT');
});

test('the server is forked once; a killed server fails its calls and is started again; close ends it', async (t) => {
  const { sx, dir } = setup(t);
  await sx.exec('true', []);
  const server = (sx as unknown as { child: { pid: number } }).child.pid;
  await sx.exec('true', []);
  assert.equal((sx as unknown as { child: { pid: number } }).child.pid, server, 'the same server for every call');
  const pending = sx.exec('sleep', ['5'], { check: false });
  await new Promise((r) => setTimeout(r, 100));
  process.kill(server, 'SIGKILL');
  assert.equal((await pending).code, 255, 'a call whose server died fails');
  const c = await sx.exec('echo', ['again']);
  assert.equal(c.stdout, 'again\n');
  assert.notEqual((sx as unknown as { child: { pid: number } }).child.pid, server, 'a new server');
  const second = (sx as unknown as { child: { pid: number } }).child.pid;
  sx.close();
  await new Promise((r) => setTimeout(r, 200));
  assert.throws(() => process.kill(second, 0), 'the server ended');
  assert.equal(existsSync(dir), false);
});
