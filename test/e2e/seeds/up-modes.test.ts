/**
 * `skiff up --proxy-mode iptables|userspace` as root (netns pod network): a pod reaches a
 * Service by name, the NodePort answers, and with --lb-pool a LoadBalancer Service gets an
 * address from the pool. Stopping removes the rules and the addresses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pollUntil } from '../harness/poll.js';
import { rootSkipReason, startUpCluster } from '../harness/skiff-up.js';
import { readyPods, SEEDS, sh } from './scenario.js';

for (const mode of ['iptables', 'userspace'] as const) {
  test(`skiff up --proxy-mode ${mode}`, { skip: rootSkipReason(), timeout: 120_000 }, async (t) => {
    const c = await startUpCluster(t, { name: mode.slice(0, 4), extraArgs: ['--proxy-mode', mode, '--lb-pool', '198.19.200.0/24'] });
    assert.match(c.output(), new RegExp(`proxy ${mode}`));
    const apply = await c.kubectl(['apply', '-f', join(SEEDS, 'pay-service-v1.yaml'), '-f', join(SEEDS, 'deployment-pay-v1.yaml'), '-f', join(SEEDS, 'deployment-user-v1.yaml')]);
    assert.equal(apply.code, 0, apply.stderr);
    const expose = await c.kubectl(['expose', 'deployment', 'pay-v1', '--name', 'pay-lb', '--type', 'LoadBalancer', '--port', '8080', '--target-port', '80']);
    assert.equal(expose.code, 0, expose.stderr);
    const user = (await readyPods(c, 'app=user-v1', 1))[0]!.name;
    await readyPods(c, 'app=pay-v1', 1);

    const byName = await pollUntil(async () => {
      const r = await sh(c, user, 'curl -s -m 3 http://service-pay-v1');
      return r.code === 0 && r.stdout.trim() === 'pay' ? r.stdout.trim() : undefined;
    }, { timeoutMs: 15_000, what: 'service-pay-v1 to answer from a pod' });
    assert.equal(byName, 'pay');
    const nodePort = await c.inNetns(['curl', '-s', '-m', '3', `http://${c.nodeIP}:30114/`]);
    assert.equal(nodePort.stdout.trim(), 'pay', nodePort.stderr);

    const lbIP = await pollUntil(async () => {
      const r = await c.kubectl(['get', 'svc', 'pay-lb', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}']);
      return r.stdout.trim() || undefined;
    }, { timeoutMs: 10_000, what: 'a LoadBalancer address' });
    assert.match(lbIP, /^198\.19\.200\.\d+$/);
    const svc = await c.kubectl(['get', 'svc', 'pay-lb']);
    assert.match(svc.stdout, new RegExp(`pay-lb\\s+LoadBalancer\\s+\\S+\\s+${lbIP.replace(/\./g, '\\.')}\\s+8080:\\d+/TCP`));
    // From a pod, through the load balancer address.
    const viaLB = await sh(c, user, `curl -s -m 3 http://${lbIP}:8080/`);
    assert.equal(viaLB.stdout.trim(), 'pay', viaLB.stderr);

    assert.equal(await c.stop(), 0, c.output());
    const addrs = await c.inNetns(['ip', '-4', '-o', 'addr']);
    assert.deepEqual(addrs.stdout.split('\n').filter(Boolean).map((l) => l.split(/\s+/)[3]), ['127.0.0.1/8']);
    const rules = await c.inNetns(['iptables-save']);
    assert.doesNotMatch(rules.stdout, /KUBE-|skiff/i);
  });
}
