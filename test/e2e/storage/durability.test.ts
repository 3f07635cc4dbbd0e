/**
 * kill -9 at a random moment loses no acknowledged SqliteStorage write: a child process
 * writes under load and prints each acknowledged write; the parent SIGKILLs it, reopens the
 * file and checks every acknowledged write is there (three rounds on one file).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SqliteStorage } from '../../../src/storage/sqlite/sqlite-storage.js';

const child = fileURLToPath(new URL('./durability-child.ts', import.meta.url));

test('sqlite: SIGKILL at a random moment loses no acknowledged write', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-durability-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'skiff.sqlite');
  const acked = new Map<string, number>();
  for (let round = 0; round < 3; round++) {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, path, `r${round}`], { stdio: ['ignore', 'pipe', 'inherit'] });
    t.after(() => proc.kill('SIGKILL'));
    const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
    const killAfterAcks = 300 + Math.floor(Math.random() * 3000);
    let acks = 0;
    let buffered = '';
    let ready = false;
    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`round ${round}: child did not reach ${killAfterAcks} acks in time (got ${acks})`)), 30_000);
      proc.stdout!.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          if (line === 'READY') ready = true;
          const m = /^ACK (\S+) (\d+)$/.exec(line);
          if (!m) continue;
          acked.set(m[1]!, Math.max(acked.get(m[1]!) ?? -1, Number(m[2])));
          if (++acks === killAfterAcks) {
            proc.kill('SIGKILL');
            clearTimeout(deadline);
            resolve();
          }
        }
      });
      proc.on('exit', (code, signal) => {
        if (acks < killAfterAcks) {
          clearTimeout(deadline);
          reject(new Error(`child exited early (code ${code}, signal ${signal}, ready ${ready})`));
        }
      });
    });
    await exited;
    // Lines the child printed before it died may still sit in the pipe: read them too.
    await new Promise<void>((resolve) => (proc.stdout!.readableEnded ? resolve() : proc.stdout!.on('end', resolve)));
    const s = new SqliteStorage({ path, compactIntervalMs: 0 });
    try {
      let missing = 0;
      for (const [key, seq] of acked) {
        const kv = await s.get(key);
        if (!kv || Number(kv.value.split(':')[0]) < seq) missing++;
      }
      assert.equal(missing, 0, `round ${round}: ${missing} of ${acked.size} acknowledged writes lost`);
      assert.ok(acked.size > 0);
    } finally {
      await s.close();
    }
  }
});
