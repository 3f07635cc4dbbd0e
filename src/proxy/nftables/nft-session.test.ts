// NftSession against a stand-in for `nft -i` (no root): answers are split at the sentinel,
// errors reach the caller, and the sentinel is a read. A failing *write* sentinel would make
// the kernel abort a batch after every transaction, which waits for an RCU grace period
// (8-18 ms measured here, 20-50x the transaction); the real-nft test is test/e2e/proxy/nft-session.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NftSession } from './nft-session.js';

/** Prints nft's three-line error for sentinels (unknown table) and for lines containing "bogus". */
const FAKE_NFT = `
import { createInterface } from 'node:readline';
import { appendFileSync } from 'node:fs';
const log = process.argv[2];
for await (const line of createInterface({ input: process.stdin })) {
  appendFileSync(log, line + '\\n');
  const sentinel = /skiff_sentinel_\\d+$/.test(line);
  if (sentinel) process.stderr.write('Error: No such file or directory\\n' + line + '\\n              ^^^^^^^^^^^^^^^^\\n');
  else if (line.includes('bogus')) process.stderr.write('Error: syntax error, unexpected string\\n' + line + '\\n    ^^^^^\\n');
}
`;

test('NftSession: one answer per transaction, errors reported, the sentinel never writes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-nft-session-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'fake-nft.mjs'), FAKE_NFT);
  const log = join(dir, 'input.log');
  writeFileSync(log, '');
  const s = new NftSession([process.execPath, join(dir, 'fake-nft.mjs'), log]);
  t.after(() => s.close());

  await s.run('add element ip skiff s { 198.18.0.1 }\nadd element ip skiff s { 198.18.0.2 }');
  await assert.rejects(s.run('add bogus ip skiff'), /nft: Error: syntax error.*add bogus/s);
  await s.run('add element ip skiff s { 198.18.0.3 }'); // the failure's text does not leak into the next answer

  const lines = readFileSync(log, 'utf8').trim().split('\n');
  assert.deepEqual(lines.filter((_, i) => i % 2 === 0), [
    'add element ip skiff s { 198.18.0.1 }; add element ip skiff s { 198.18.0.2 }',
    'add bogus ip skiff',
    'add element ip skiff s { 198.18.0.3 }',
  ]);
  const sentinels = lines.filter((_, i) => i % 2 === 1);
  assert.equal(sentinels.length, 3);
  for (const l of sentinels) assert.match(l, /^list table ip skiff_sentinel_\d+$/, 'the sentinel must be a read (a failing write aborts a kernel batch)');
});
