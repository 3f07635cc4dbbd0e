/**
 * The seeds' scenario end to end as root: `skiff up` (netns + nftables) in a network namespace
 * of its own, the real kubectl applying examples/seeds/, pods as processes in their own
 * namespaces, and curl inside a pod reaching `service-pay-v1` through our DNS and proxy.
 */
import { test } from 'node:test';
import { rootSkipReason, startUpCluster } from '../harness/skiff-up.js';
import { checkNetnsCleanup, runSeedsScenario } from './scenario.js';

test('the seeds scenario in netns + nftables mode', { skip: rootSkipReason(), timeout: 300_000 }, async (t) => {
  const c = await startUpCluster(t, { name: 'seeds' });
  await runSeedsScenario(t, c, {
    modeLine: /running as root: pod network netns .*proxy nftables/,
    serviceCidrPattern: '198\\.19\\.\\d+',
    // glibc in the pod, with the resolv.conf Skiff wrote: search path and ndots as in Kubernetes.
    curlService: (svc, path, long) => `curl -s -m 3 http://${long ? `${svc.name}.${svc.namespace}.svc.cluster.local` : svc.name}${path}`,
    dig: (name) => ['dig', '+short', name],
    checkCleanup: checkNetnsCleanup,
  });
});
