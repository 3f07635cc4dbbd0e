/**
 * The real kubectl (the dispatcher, which picks kubectl 1.32 from /version) against an
 * in-process API server: the commands of the seeds' scenario and the issue's checklist.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { apiCall } from '../harness/api-call.js';
import { kubectlFor, kubectlPath } from '../harness/kubectl.js';
import { pollUntil } from '../harness/poll.js';
import { startInProcessServer } from '../harness/skiff-server.js';
import { tempDir } from '../harness/tmp.js';

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: pay-v1
  labels: {app: pay-v1}
spec:
  replicas: 1
  selector: {matchLabels: {app: pay-v1}}
  template:
    metadata: {labels: {app: pay-v1}}
    spec:
      containers:
      - name: pay
        image: skiff/echo
        command: [skiff, echo, --text, pay]
        ports: [{containerPort: 8080}]
`;

const SERVICE = `apiVersion: v1
kind: Service
metadata: {name: service-pay-v1}
spec:
  type: NodePort
  selector: {app: pay-v1}
  ports: [{port: 80, targetPort: 8080, nodePort: 30114}]
`;

test('kubectl drives the API server', { skip: kubectlPath() ? false : 'kubectl not installed' }, async (t) => {
  const server = await startInProcessServer(t, { nodePortRange: '30000-32767' });
  const dir = tempDir(t);
  const k = kubectlFor(server.kubeconfig, join(dir, 'cache'));
  writeFileSync(join(dir, 'deploy.yaml'), DEPLOYMENT);
  writeFileSync(join(dir, 'svc.yaml'), SERVICE);

  await t.test('discovery, version, api-resources', async () => {
    const res = await k.ok(['api-resources']);
    for (const r of ['pods', 'deployments', 'endpointslices', 'leases', 'horizontalpodautoscalers']) assert.match(res, new RegExp(`\\b${r}\\b`));
    assert.match(res, /deploy\s+apps\/v1\s+true\s+Deployment/);
    const ns = await k.ok(['get', 'ns', '-o', 'name']);
    assert.deepEqual(ns.trim().split('\n').sort(), ['namespace/default', 'namespace/kube-node-lease', 'namespace/kube-public', 'namespace/kube-system']);
    const svc = await k.ok(['get', 'svc', 'kubernetes', '-o', 'jsonpath={.spec.clusterIP}']);
    assert.equal(svc, '198.19.0.1');
  });

  await t.test('apply: created, unchanged, configured', async () => {
    assert.match(await k.ok(['apply', '-f', join(dir, 'deploy.yaml'), '-f', join(dir, 'svc.yaml')]), /deployment.apps\/pay-v1 created\nservice\/service-pay-v1 created/);
    assert.match(await k.ok(['apply', '-f', join(dir, 'deploy.yaml')]), /deployment.apps\/pay-v1 unchanged/);
    writeFileSync(join(dir, 'deploy.yaml'), DEPLOYMENT.replace('replicas: 1', 'replicas: 2'));
    assert.match(await k.ok(['apply', '-f', join(dir, 'deploy.yaml')]), /deployment.apps\/pay-v1 configured/);
    const d = JSON.parse(await k.ok(['get', 'deploy', 'pay-v1', '-o', 'json'])) as { spec: { replicas: number }; metadata: { generation: number; annotations: Record<string, string> } };
    assert.equal(d.spec.replicas, 2);
    assert.equal(d.metadata.generation, 2);
    assert.ok(d.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']?.includes('"replicas":2'));
    const svc = JSON.parse(await k.ok(['get', 'svc', 'service-pay-v1', '-o', 'json'])) as { spec: { clusterIP: string; ports: { nodePort: number }[] } };
    assert.equal(svc.spec.ports[0]!.nodePort, 30114);
    assert.match(svc.spec.clusterIP, /^198\.19\./);
  });

  await t.test('apply --server-side: create, re-apply, conflict with another manager', async () => {
    const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa}\ndata: {a: "1"}\n';
    writeFileSync(join(dir, 'ssa.yaml'), cm);
    assert.match(await k.ok(['apply', '--server-side', '-f', join(dir, 'ssa.yaml')]), /configmap\/ssa serverside-applied/);
    assert.match(await k.ok(['apply', '--server-side', '-f', join(dir, 'ssa.yaml')]), /configmap\/ssa serverside-applied/);
    writeFileSync(join(dir, 'ssa2.yaml'), cm.replace('"1"', '"2"'));
    const conflict = await k.run(['apply', '--server-side', '--field-manager=other', '-f', join(dir, 'ssa2.yaml')]);
    assert.equal(conflict.code, 1);
    assert.match(conflict.stderr, /conflict/i);
    assert.match(await k.ok(['apply', '--server-side', '--field-manager=other', '--force-conflicts', '-f', join(dir, 'ssa2.yaml')]), /serverside-applied/);
    assert.equal(await k.ok(['get', 'cm', 'ssa', '-o', 'jsonpath={.data.a}']), '2');
  });

  await t.test('get: -o wide/yaml/name, -l, -n, -A, --show-labels, --sort-by', async () => {
    assert.match(await k.ok(['get', 'deploy', '-o', 'yaml']), /name: pay-v1[\s\S]*kind: List/);
    assert.equal((await k.ok(['get', 'deploy', '-l', 'app=pay-v1', '-o', 'name'])).trim(), 'deployment.apps/pay-v1');
    assert.equal((await k.ok(['get', 'deploy', '-l', 'app=nope', '-o', 'name'])).trim(), '');
    assert.match(await k.ok(['get', 'svc', '-A']), /NAMESPACE\s+NAME[\s\S]*default\s+kubernetes[\s\S]*default\s+service-pay-v1/);
    assert.match(await k.ok(['get', 'deploy', '--show-labels']), /pay-v1\s.*app=pay-v1/);
    assert.match(await k.ok(['get', 'ns', '-n', 'default', '--sort-by=.metadata.name']), /default[\s\S]*kube-node-lease[\s\S]*kube-public[\s\S]*kube-system/);
    assert.match(await k.ok(['get', 'svc']), /NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\n[\s\S]*service-pay-v1\s+NodePort\s+198\.19\.\d+\.\d+\s+<none>\s+80:30114\/TCP\s/);
    assert.match(await k.ok(['get', 'svc', '-o', 'wide']), /NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\s+SELECTOR\n[\s\S]*service-pay-v1\s.*app=pay-v1/);
    assert.match(await k.ok(['get', 'deploy']), /NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\npay-v1\s+0\/2/);
  });

  await t.test('create generators, describe, label, annotate, scale, expose', async () => {
    await k.ok(['create', 'namespace', 'team-a']);
    await k.ok(['-n', 'team-a', 'create', 'configmap', 'cfg', '--from-literal=a=b']);
    await k.ok(['-n', 'team-a', 'create', 'secret', 'generic', 'sec', '--from-literal=p=q']);
    await k.ok(['-n', 'team-a', 'create', 'deployment', 'web', '--image=nginx', '--replicas=2']);
    await k.ok(['-n', 'team-a', 'create', 'service', 'clusterip', 'web', '--tcp=80:8080']);
    assert.match(await k.ok(['-n', 'team-a', 'get', 'cm', 'cfg', '-o', 'jsonpath={.data.a}']), /^b$/);
    assert.match(await k.ok(['describe', 'service', 'service-pay-v1']), /Selector:\s+app=pay-v1[\s\S]*Type:\s+NodePort[\s\S]*NodePort:\s+<unset>\s+30114\/TCP/);
    assert.match(await k.ok(['describe', 'deploy', 'pay-v1']), /Replicas:\s+2 desired/);
    assert.match(await k.ok(['label', 'deploy', 'pay-v1', 'tier=backend']), /labeled/);
    assert.match(await k.ok(['annotate', 'deploy', 'pay-v1', 'owner=team-pay']), /annotated/);
    assert.match(await k.ok(['get', 'deploy', 'pay-v1', '-L', 'tier']), /pay-v1\s.*backend/);
    assert.match(await k.ok(['scale', 'deploy', 'pay-v1', '--replicas=3']), /scaled/);
    assert.equal(await k.ok(['get', 'deploy', 'pay-v1', '-o', 'jsonpath={.spec.replicas}']), '3');
    assert.match(await k.ok(['expose', 'deployment', 'pay-v1', '--name=pay-exposed', '--port=80', '--target-port=8080']), /exposed/);
    assert.equal(await k.ok(['get', 'svc', 'pay-exposed', '-o', 'jsonpath={.spec.selector.app}']), 'pay-v1');
  });

  await t.test('replace, rollout history, wait, delete --wait', async () => {
    const cm = await k.ok(['-n', 'team-a', 'get', 'cm', 'cfg', '-o', 'json']);
    const edited = JSON.parse(cm) as { data: Record<string, string> };
    edited.data.a = 'changed';
    writeFileSync(join(dir, 'cm.json'), JSON.stringify(edited));
    assert.match(await k.ok(['replace', '-f', join(dir, 'cm.json')]), /replaced/);
    // A stale replace (old resourceVersion) is refused with 409.
    const stale = await k.run(['replace', '-f', join(dir, 'cm.json')]);
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /the object has been modified; please apply your changes to the latest version and try again/);
    assert.match(await k.ok(['rollout', 'history', 'deploy/pay-v1']), /deployment.apps\/pay-v1/);
    // Make a pod Ready through the status subresource, then `kubectl wait` for it.
    await k.ok(['run', 'probe', '--image=busybox', '--restart=Never']);
    assert.match(await k.ok(['get', 'pods']), /NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\nprobe\s+0\/1\s+Pending\s+0\s/);
    const ready = k.ok(['wait', '--for=condition=Ready', 'pod/probe', '--timeout=20s']);
    const status = { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } };
    const r = await apiCall(server, '/api/v1/namespaces/default/pods/probe/status', {
      method: 'PATCH',
      token: server.token,
      body: status,
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    assert.equal(r.status, 200, r.body);
    assert.match(await ready, /condition met/);
    assert.match(await k.ok(['delete', 'pod', 'probe', '--wait']), /deleted/);
    assert.match(await k.ok(['delete', '-n', 'team-a', 'cm', 'cfg']), /deleted/);
    const gone = await k.run(['-n', 'team-a', 'get', 'cm', 'cfg']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /Error from server \(NotFound\): configmaps "cfg" not found/);
  });

  await t.test('get -w prints rows as objects change', async () => {
    const watch = k.run(['get', 'cm', '-w', '--request-timeout=3s']);
    await pollUntil(async () => (await apiCall(server, '/metrics', { token: server.token })).body.includes('apiserver_registered_watchers{resource="configmaps"} 1'), { what: 'the watch' });
    await k.ok(['create', 'configmap', 'watched', '--from-literal=x=y']);
    const out = await watch;
    assert.match(out.stdout, /watched/);
  });

  await t.test('errors come back as Status that kubectl prints', async () => {
    const nope = await k.run(['get', 'deploy', 'nope']);
    assert.match(nope.stderr, /Error from server \(NotFound\): deployments.apps "nope" not found/);
    const bad = await k.run(['create', 'service', 'nodeport', 'clash', '--tcp=80:80', '--node-port=30114']);
    assert.match(bad.stderr, /provided port is already allocated/);
    const noNs = await k.run(['-n', 'missing', 'create', 'configmap', 'x']);
    assert.match(noNs.stderr, /namespaces "missing" not found/);
  });
});
