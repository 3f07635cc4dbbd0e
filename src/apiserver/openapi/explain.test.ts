import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startFakeKubeServer } from './fake-kube-server.test-suite.js';

const run = promisify(execFile);
const KUBECTL = '/usr/lib/google-cloud-sdk/bin/kubectl.1.32';

test('real kubectl 1.32 explain reads our OpenAPI v3 documents', { skip: existsSync(KUBECTL) ? false : `${KUBECTL} not installed` }, async (t) => {
  const server = await startFakeKubeServer('32');
  const cache = mkdtempSync(join(tmpdir(), 'skiff-explain-'));
  t.after(async () => {
    await server.close();
    rmSync(cache, { recursive: true, force: true });
  });
  const kubectl = (...args: string[]) => run(KUBECTL, ['--server', server.url, '--cache-dir', cache, ...args], { timeout: 20_000 });

  const containers = await kubectl('explain', 'pod.spec.containers');
  assert.match(containers.stdout, /KIND:\s+Pod/);
  assert.match(containers.stdout, /FIELD:\s+containers <\[\]Container>/);
  for (const f of ['image\t<string>', 'ports\t<[]ContainerPort>', 'env\t<[]EnvVar>', 'readinessProbe\t<Probe>']) assert.ok(containers.stdout.includes(f), `missing ${f}:\n${containers.stdout}`);

  const spec = await kubectl('explain', 'deployment.spec');
  assert.match(spec.stdout, /GROUP:\s+apps/);
  for (const f of ['replicas\t<integer>', 'selector\t<LabelSelector> -required-', 'strategy\t<DeploymentStrategy>', 'template\t<PodTemplateSpec> -required-']) assert.ok(spec.stdout.includes(f), `missing ${f}:\n${spec.stdout}`);

  const svc = await kubectl('explain', 'svc.spec.ports.targetPort');
  assert.match(svc.stdout, /targetPort <IntOrString>/);
});
