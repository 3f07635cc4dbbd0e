// The kernel modes' conntrack sysctls in a real throwaway netns (root): the timeouts are set
// in that namespace only, the host's stay as they were, and the global nf_conntrack_max is
// refused inside the namespace and left alone (not fatal).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { realExec } from '../../../src/util/exec.js';
import { execInNetns } from '../../../src/proxy/netns-exec.js';
import { CONNTRACK_MAX, TCP_TIMEOUT_CLOSE_WAIT, TCP_TIMEOUT_ESTABLISHED, applyConntrackTuning } from '../../../src/proxy/conntrack-tuning.js';

const isRoot = process.getuid?.() === 0;
const read = async (exec: typeof realExec, key: string) => Number((await exec('sysctl', ['-n', key])).stdout.trim());

test('conntrack tuning in a netns: timeouts per namespace, the global max untouched', { skip: isRoot ? false : 'needs root (netns)' }, async (t) => {
  const ns = `skt-px-ct-${process.pid}`;
  await realExec('ip', ['netns', 'add', ns]);
  t.after(() => realExec('ip', ['netns', 'del', ns], { check: false }));
  const inNs = execInNetns(realExec, ns);
  const host = { max: await read(realExec, CONNTRACK_MAX), est: await read(realExec, TCP_TIMEOUT_ESTABLISHED), cw: await read(realExec, TCP_TIMEOUT_CLOSE_WAIT) };
  // Values that differ from both the kernel defaults and the host's, so a write is visible.
  const est = host.est === 86401 ? 86402 : 86401;
  const cw = host.cw === 3601 ? 3602 : 3601;
  const applied = await applyConntrackTuning({ exec: inNs, tuning: { maxPerCore: host.max, min: 0, tcpTimeoutEstablishedSeconds: est, tcpTimeoutCloseWaitSeconds: cw }, cores: 2 });
  assert.deepEqual(applied.map((a) => a.key), [TCP_TIMEOUT_ESTABLISHED, TCP_TIMEOUT_CLOSE_WAIT], 'the max (global) is not writable inside the netns');
  assert.equal(await read(inNs, TCP_TIMEOUT_ESTABLISHED), est);
  assert.equal(await read(inNs, TCP_TIMEOUT_CLOSE_WAIT), cw);
  assert.equal(await read(realExec, TCP_TIMEOUT_ESTABLISHED), host.est, 'host untouched');
  assert.equal(await read(realExec, TCP_TIMEOUT_CLOSE_WAIT), host.cw, 'host untouched');
  assert.equal(await read(realExec, CONNTRACK_MAX), host.max, 'host max untouched');
});
