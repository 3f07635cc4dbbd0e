/**
 * Every kubectl minor on this machine (1.27 … 1.33, run directly, not through the dispatcher)
 * passes the core of the checklist against one server, each in its own namespace, in parallel.
 * kubectl 1.27/1.28 validate `apply` against /openapi/v2 (protobuf); 1.29+ use /openapi/v3.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { KUBECTL_MINORS, kubectlFor, kubectlPath } from '../harness/kubectl.js';
import { startInProcessServer } from '../harness/skiff-server.js';
import { tempDir } from '../harness/tmp.js';

const installed = KUBECTL_MINORS.filter((m) => kubectlPath(`1.${m}`));

function manifest(ns: string): string {
  return `apiVersion: v1
kind: Namespace
metadata: {name: ${ns}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${ns}, labels: {app: web}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: ${ns}}
spec: {selector: {app: web}, ports: [{port: 80}]}
`;
}

test('each kubectl minor passes the core commands', { skip: installed.length ? false : 'no versioned kubectl installed' }, async (t) => {
  const server = await startInProcessServer(t);
  const dir = tempDir(t);
  await Promise.all(
    installed.map(async (minor) => {
      const v = `1.${minor}`;
      const ns = `v1-${minor}`;
      const k = kubectlFor(server.kubeconfig, join(dir, `cache-${minor}`), v);
      const file = join(dir, `m-${minor}.yaml`);
      writeFileSync(file, manifest(ns));
      const step = async (args: string[], expect: RegExp): Promise<void> => {
        const out = await k.ok(args);
        assert.match(out, expect, `kubectl ${v} ${args.join(' ')}`);
      };
      await step(['apply', '-f', file], /deployment.apps\/web created/);
      await step(['apply', '-f', file], /deployment.apps\/web unchanged/);
      await step(['-n', ns, 'explain', 'deployment.spec.replicas'], /replicas/);
      await step(['-n', ns, 'get', 'deploy,svc'], /deployment.apps\/web[\s\S]*service\/web/);
      await step(['-n', ns, 'get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas}'], /^1$/);
      await step(['-n', ns, 'scale', 'deploy', 'web', '--replicas=4'], /scaled/);
      await step(['-n', ns, 'get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas}'], /^4$/);
      await step(['-n', ns, 'label', 'svc', 'web', 'v=x'], /labeled/);
      await step(['get', 'svc', '-A', '-l', 'v=x', '--show-labels'], new RegExp(`${ns}\\s+web\\s.*v=x`));
      await step(['-n', ns, 'create', 'configmap', 'cm', '--from-literal=k=v'], /created/);
      await step(['-n', ns, 'describe', 'deploy', 'web'], /Replicas:\s+4 desired/);
      await step(['api-resources', '--api-group=apps'], /deployments\s+deploy\s+apps\/v1\s+true\s+Deployment/);
      await step(['-n', ns, 'delete', 'deploy', 'web'], /deleted/);
      const gone = await k.run(['-n', ns, 'get', 'deploy', 'web']);
      assert.match(gone.stderr, /NotFound/, `kubectl ${v}: ${gone.stderr}`);
    }),
  );
});
