/** @kubernetes/client-node (the official JS client) lists, creates, watches and runs an informer. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { pollUntil } from '../harness/poll.js';
import { startInProcessServer } from '../harness/skiff-server.js';

test('@kubernetes/client-node lists and watches', async (t) => {
  const s = await startInProcessServer(t);
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(s.kubeconfig);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const apps = kc.makeApiClient(k8s.AppsV1Api);

  const nss = await core.listNamespace();
  assert.deepEqual(nss.items.map((n) => n.metadata?.name).sort(), ['default', 'kube-node-lease', 'kube-public', 'kube-system']);

  const events: string[] = [];
  const watch = new k8s.Watch(kc);
  const req = await watch.watch(
    '/api/v1/namespaces/default/configmaps',
    { resourceVersion: nss.metadata?.resourceVersion },
    (type: string, obj: k8s.V1ConfigMap) => events.push(`${type} ${obj.metadata?.name}`),
    () => {},
  );
  t.after(() => req.abort());

  const informer = k8s.makeInformer(kc, '/apis/apps/v1/namespaces/default/deployments', () => apps.listNamespacedDeployment({ namespace: 'default' }));
  const seen = new Set<string>();
  informer.on('add', (d: k8s.V1Deployment) => seen.add(d.metadata!.name!));
  await informer.start();
  t.after(() => informer.stop());

  await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'from-client' }, data: { a: '1' } } });
  await core.patchNamespacedConfigMap({ namespace: 'default', name: 'from-client', body: { data: { a: '2' } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
  await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'from-client' });
  await pollUntil(() => events.length >= 3, { what: `3 watch events, have ${events.join(', ')}` });
  assert.deepEqual(events.slice(0, 3), ['ADDED from-client', 'MODIFIED from-client', 'DELETED from-client']);

  await apps.createNamespacedDeployment({
    namespace: 'default',
    body: { metadata: { name: 'inf' }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } } },
  });
  await pollUntil(() => seen.has('inf'), { what: 'the informer to see the deployment' });
  const list = await apps.listNamespacedDeployment({ namespace: 'default', labelSelector: 'missing=label' });
  assert.equal(list.items.length, 0);
});
