import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeExec } from '../util/exec.js';
import { CONNTRACK_MAX, KUBE_PROXY_CONNTRACK, TCP_TIMEOUT_CLOSE_WAIT, TCP_TIMEOUT_ESTABLISHED, applyConntrackTuning, desiredConntrackMax, restoreConntrackTuning } from './conntrack-tuning.js';

/** A FakeExec holding sysctl values; keys in `readOnly` refuse writes like a child netns does. */
function fakeSysctl(values: Record<string, number>, readOnly: string[] = []): FakeExec {
  return new FakeExec((file, args) => {
    if (file !== 'sysctl') return { code: 127 };
    if (args[0] === '-n') return args[1]! in values ? { stdout: `${values[args[1]!]}\n` } : { code: 255, stderr: `sysctl: cannot stat ${args[1]}` };
    const [key, v] = args[1]!.split('=');
    // Like procps: the refusal is on stderr, the exit code is 0.
    if (readOnly.includes(key!)) return { stderr: `sysctl: setting key "${key}": Invalid argument` };
    values[key!] = Number(v);
    return {};
  });
}

const writes = (f: FakeExec) => f.calls.filter((c) => c.args[0] === '-w').map((c) => c.args[1]);

test('conntrack tuning: kube-proxy sizing, raise-only max, timeouts written only when they differ', async () => {
  assert.equal(desiredConntrackMax(KUBE_PROXY_CONNTRACK, 2), 131072, 'the floor wins on 2 cores');
  assert.equal(desiredConntrackMax(KUBE_PROXY_CONNTRACK, 8), 262144);
  assert.equal(desiredConntrackMax({ ...KUBE_PROXY_CONNTRACK, maxPerCore: 0 }, 8), 0, 'maxPerCore 0 leaves the max alone');

  const values = { [CONNTRACK_MAX]: 65536, [TCP_TIMEOUT_ESTABLISHED]: 432000, [TCP_TIMEOUT_CLOSE_WAIT]: 60 };
  const f = fakeSysctl(values);
  const applied = await applyConntrackTuning({ exec: f.exec, tuning: KUBE_PROXY_CONNTRACK, cores: 2 });
  assert.deepEqual(writes(f), [`${CONNTRACK_MAX}=131072`, `${TCP_TIMEOUT_ESTABLISHED}=86400`, `${TCP_TIMEOUT_CLOSE_WAIT}=3600`]);
  assert.deepEqual(applied.map((a) => [a.key, a.from, a.to]), [[CONNTRACK_MAX, 65536, 131072], [TCP_TIMEOUT_ESTABLISHED, 432000, 86400], [TCP_TIMEOUT_CLOSE_WAIT, 60, 3600]]);

  // Second start: nothing to do. A bigger table is never shrunk.
  const again = fakeSysctl({ ...values, [CONNTRACK_MAX]: 262144 });
  assert.deepEqual(await applyConntrackTuning({ exec: again.exec, tuning: KUBE_PROXY_CONNTRACK, cores: 2 }), []);
  assert.deepEqual(writes(again), []);

  // 0 disables a setting entirely (not even read).
  const off = fakeSysctl({ ...values });
  await applyConntrackTuning({ exec: off.exec, tuning: { maxPerCore: 0, min: 0, tcpTimeoutEstablishedSeconds: 0, tcpTimeoutCloseWaitSeconds: 7200 }, cores: 2 });
  assert.deepEqual(off.calls.map((c) => c.args.join(' ')), [`-n ${TCP_TIMEOUT_CLOSE_WAIT}`, `-w ${TCP_TIMEOUT_CLOSE_WAIT}=7200`, `-n ${TCP_TIMEOUT_CLOSE_WAIT}`]);
});

test('conntrack tuning: a read-only max (child netns) or a missing module is skipped, the rest still applied', async () => {
  const f = fakeSysctl({ [CONNTRACK_MAX]: 65536, [TCP_TIMEOUT_ESTABLISHED]: 432000, [TCP_TIMEOUT_CLOSE_WAIT]: 60 }, [CONNTRACK_MAX]);
  const applied = await applyConntrackTuning({ exec: f.exec, tuning: KUBE_PROXY_CONNTRACK, cores: 2 });
  assert.deepEqual(applied.map((a) => a.key), [TCP_TIMEOUT_ESTABLISHED, TCP_TIMEOUT_CLOSE_WAIT]);
  const missing = fakeSysctl({});
  assert.deepEqual(await applyConntrackTuning({ exec: missing.exec, tuning: KUBE_PROXY_CONNTRACK, cores: 2 }), []);
  assert.deepEqual(writes(missing), []);
});

test('conntrack tuning: a cleanup stop puts back what the start changed, not what someone else changed since', async () => {
  const values = { [CONNTRACK_MAX]: 65536, [TCP_TIMEOUT_ESTABLISHED]: 432000, [TCP_TIMEOUT_CLOSE_WAIT]: 60 };
  const f = fakeSysctl(values);
  const applied = await applyConntrackTuning({ exec: f.exec, tuning: KUBE_PROXY_CONNTRACK, cores: 2 });
  values[TCP_TIMEOUT_CLOSE_WAIT] = 120; // an operator's change while the proxy ran
  await restoreConntrackTuning({ exec: f.exec, applied });
  assert.deepEqual(values, { [CONNTRACK_MAX]: 65536, [TCP_TIMEOUT_ESTABLISHED]: 432000, [TCP_TIMEOUT_CLOSE_WAIT]: 120 });
});
