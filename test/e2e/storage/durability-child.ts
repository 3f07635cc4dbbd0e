/**
 * Child process of durability.test.ts: writes to a SqliteStorage as fast as it can with
 * several concurrent writers and prints one line per acknowledged write, `ACK <key> <seq>`,
 * only after the write's promise resolved. The parent kills it with SIGKILL at a random moment.
 * Usage: node --import tsx durability-child.ts DB_PATH WRITER_PREFIX
 */
import { SqliteStorage } from '../../../src/storage/sqlite/sqlite-storage.js';

const [path, prefix] = process.argv.slice(2);
if (!path || !prefix) {
  console.error('usage: durability-child.ts DB_PATH WRITER_PREFIX');
  process.exit(2);
}
const storage = new SqliteStorage({ path, compactIntervalMs: 50, compactRetainMs: 0, compactMinRetainRevisions: 100 });
const pad = 'p'.repeat(1000);

async function writer(w: number): Promise<void> {
  for (let i = 0; ; i++) {
    const key = `/d/${prefix}/${w}/${i}`;
    const created = await storage.create(key, `0:${pad}`);
    process.stdout.write(`ACK ${key} 0\n`);
    // Every key is also updated, so the log holds history for the compactor to work on.
    await storage.update(key, `1:${pad}`, created.modRevision);
    process.stdout.write(`ACK ${key} 1\n`);
  }
}

process.stdout.write('READY\n');
for (let w = 0; w < 16; w++) void writer(w);
