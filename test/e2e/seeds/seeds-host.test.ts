/**
 * The seeds' scenario without root: `skiff up` as user nobody (host network + userspace proxy)
 * in a network namespace of the test's own. Pods share the namespace with loopback pod IPs;
 * glibc cannot be pointed at our DNS, so pods reach Services through the Service environment
 * variables, or by asking the cluster DNS (127.0.0.1:1053) explicitly for long names.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rootSkipReason, startUpCluster } from '../harness/skiff-up.js';
import { runSeedsScenario } from './scenario.js';

const DNS = ['-p', '1053', '@127.0.0.1'];

test('the seeds scenario in host + userspace mode, not root', { skip: rootSkipReason(), timeout: 300_000 }, async (t) => {
  const c = await startUpCluster(t, { name: 'host', asUser: 65534 });
  await runSeedsScenario(t, c, {
    modeLine: /not running as root .*pod network host .*proxy userspace/,
    serviceCidrPattern: '127\\.96\\.\\d+',
    curlService: (svc, path, long) =>
      long
        ? `ip=$(dig +short ${DNS.join(' ')} ${svc.name}.${svc.namespace}.svc.cluster.local) && [ -n "$ip" ] && curl -s -m 3 http://$ip:${svc.port}${path}`
        : `[ -n "$${svc.envPrefix}_SERVICE_HOST" ] && curl -s -m 3 http://$${svc.envPrefix}_SERVICE_HOST:$${svc.envPrefix}_SERVICE_PORT${path}`,
    dig: (name) => ['dig', '+short', ...DNS, name],
    async checkCleanup(cluster) {
      const listeners = await cluster.inNetns(['ss', '-Htlnu']);
      assert.equal(listeners.stdout.trim(), '', `sockets still listening:\n${listeners.stdout}`);
    },
  });
});
