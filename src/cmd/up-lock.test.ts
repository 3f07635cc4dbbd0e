import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { lockDataDir, DataDirLockedError } from './up-lock.js';

test('a second lock on one data dir fails and names the owner; release frees it', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-lock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const release = lockDataDir(dir);
  // Another live process (the test runner's parent is alive) holding it:
  assert.throws(() => lockDataDir(dir, process.ppid), (err: unknown) => err instanceof DataDirLockedError && err.ownerPid === process.pid);
  release();
  assert.equal(existsSync(join(dir, 'skiff.lock')), false);
  lockDataDir(dir)();
});

test('a lock left by a dead process is taken over', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-lock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  writeFileSync(join(dir, 'skiff.lock'), `${dead.stdout}\n`);
  const release = lockDataDir(dir);
  release();
});
