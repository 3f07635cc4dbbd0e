// The persistent `nft -i` session: one line = one atomic transaction, errors reported, the
// session usable after a failure. Needs root (a throwaway netns).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { realExec } from '../../../src/util/exec.js';
import { NftSession } from '../../../src/proxy/nftables/nft-session.js';

const isRoot = process.getuid?.() === 0;

test('NftSession: transactions are atomic, failures reported, session survives them', { skip: isRoot ? false : 'needs root (netns, nftables)' }, async (t) => {
  const ns = `skt-px-sess-${process.pid}`;
  await realExec('ip', ['netns', 'add', ns]);
  t.after(() => realExec('ip', ['netns', 'del', ns], { check: false }));
  const nft = (...a: string[]) => realExec('nsenter', [`--net=/run/netns/${ns}`, 'nft', ...a]);
  await realExec('nsenter', [`--net=/run/netns/${ns}`, 'nft', '-f', '-'], { input: 'add table ip skiff\nadd set ip skiff s { type ipv4_addr; }\n' });
  const s = new NftSession(['nsenter', `--net=/run/netns/${ns}`, 'nft', '-i']);
  t.after(() => s.close());
  await s.run('add element ip skiff s { 198.18.0.1 }\nadd element ip skiff s { 198.18.0.2 }');
  await assert.rejects(s.run('add element ip skiff s { 198.18.0.3 }\ndelete element ip skiff s { 198.18.9.9 }'), /nft: .*Error/s);
  await s.run('add element ip skiff s { 198.18.0.4 }');
  const listed = (await nft('list', 'set', 'ip', 'skiff', 's')).stdout.replace(/\s+/g, ' ');
  assert.match(listed, /198\.18\.0\.1, 198\.18\.0\.2, 198\.18\.0\.4/);
  assert.doesNotMatch(listed, /198\.18\.0\.3/, 'the failed transaction left nothing behind');
});
