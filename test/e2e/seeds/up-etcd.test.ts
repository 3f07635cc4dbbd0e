/**
 * `skiff up --storage etcd`: the whole cluster over a real etcd (Debian etcd-server) started
 * in the cluster's own namespace; a Deployment runs and its NodePort answers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ETCD_BINARY, etcdSkipReason } from '../harness/etcd.js';
import { pollUntil } from '../harness/poll.js';
import { rootSkipReason, startUpCluster } from '../harness/skiff-up.js';
import { readyPods, SEEDS } from './scenario.js';

test('skiff up --storage etcd', { skip: rootSkipReason() ?? etcdSkipReason(), timeout: 120_000 }, async (t) => {
  const etcdDir = mkdtempSync(join(tmpdir(), 'skt-up-etcd-'));
  const c = await startUpCluster(t, {
    name: 'etcd',
    extraArgs: ['--storage', 'etcd', '--etcd-endpoints', 'http://127.0.0.1:2379'],
    async beforeStart(netns) {
      spawnSync('ip', ['netns', 'exec', netns, 'ip', 'link', 'set', 'lo', 'up']);
      const etcd = spawn('ip', ['netns', 'exec', netns, ETCD_BINARY, '--data-dir', etcdDir,
        '--listen-client-urls', 'http://127.0.0.1:2379', '--advertise-client-urls', 'http://127.0.0.1:2379',
        '--listen-peer-urls', 'http://127.0.0.1:2380'], { stdio: 'ignore' });
      t.after(async () => {
        etcd.kill('SIGTERM');
        await new Promise((r) => (etcd.exitCode !== null ? r(undefined) : etcd.once('exit', r)));
        rmSync(etcdDir, { recursive: true, force: true });
      });
      await pollUntil(() => {
        const r = spawnSync('ip', ['netns', 'exec', netns, 'curl', '-s', '-m', '1', 'http://127.0.0.1:2379/health'], { encoding: 'utf8' });
        return /"health":\s*"true"/.test(r.stdout);
      }, { timeoutMs: 20_000, what: 'etcd to be healthy' });
    },
  });
  const apply = await c.kubectl(['apply', '-f', join(SEEDS, 'pay-service-v1.yaml'), '-f', join(SEEDS, 'deployment-pay-v1.yaml')]);
  assert.equal(apply.code, 0, apply.stderr);
  await readyPods(c, 'app=pay-v1', 1);
  const answer = await pollUntil(async () => {
    const r = await c.inNetns(['curl', '-s', '-m', '3', `http://${c.nodeIP}:30114/`]);
    return r.stdout.trim() === 'pay' ? 'pay' : undefined;
  }, { timeoutMs: 15_000, what: 'the NodePort to answer' });
  assert.equal(answer, 'pay');
  // The objects are in etcd, under the kube-apiserver layout.
  const key = Buffer.from('/registry/apps/deployments/default/pay-v1').toString('base64');
  const range = await c.inNetns(['curl', '-s', '-m', '3', '-X', 'POST', 'http://127.0.0.1:2379/v3/kv/range', '-d', JSON.stringify({ key })]);
  assert.match(range.stdout, /"count":"1"/, range.stdout);
  assert.equal(await c.stop(), 0, c.output());
});
