/**
 * `skiff up` over its lifetime: a second start on the same data dir is refused with a clear
 * message; a stop and a new start on the same data dir bring the cluster back, its Deployment
 * running again and its NodePort answering.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../harness/skiff-server.js';
import { pollUntil } from '../harness/poll.js';
import { rootSkipReason, startUpCluster } from '../harness/skiff-up.js';
import { readyPods, SEEDS } from './scenario.js';

test('skiff up: one per data dir; a restart brings the cluster back', { skip: rootSkipReason(), timeout: 180_000 }, async (t) => {
  const first = await startUpCluster(t, { name: 'life' });
  const apply = await first.kubectl(['apply', '-f', join(SEEDS, 'deployment-pay-v1.yaml'), '-f', join(SEEDS, 'pay-service-v1.yaml')]);
  assert.equal(apply.code, 0, apply.stderr);
  const before = await readyPods(first, 'app=pay-v1', 1);

  const second = spawnSync('ip', ['netns', 'exec', first.netns, join(REPO_ROOT, 'bin/skiff'), 'up', '--data-dir', first.dataDir, '--port', '0'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(second.status, 1, second.stdout + second.stderr);
  assert.match(second.stderr, new RegExp(`another skiff is already running on data dir ${first.dataDir} \\(pid \\d+\\)`));

  assert.equal(await first.stop(), 0, first.output());
  const again = await startUpCluster(t, { name: 'life', reuse: first });
  const after = await readyPods(again, 'app=pay-v1', 1);
  assert.equal(after[0]!.name, before[0]!.name, 'the same pod object, run again on the node');
  const answer = await pollUntil(
    async () => {
      const r = await again.inNetns(['curl', '-s', '-m', '3', `http://${again.nodeIP}:30114/`]);
      return r.code === 0 && r.stdout.trim() === 'pay' ? r.stdout.trim() : undefined;
    },
    { timeoutMs: 15_000, what: 'the NodePort to answer after the restart' },
  );
  assert.equal(answer, 'pay');
  assert.equal(await again.stop(), 0, again.output());
});
