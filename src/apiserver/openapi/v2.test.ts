import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { openApiV2Document, openApiV2Protobuf } from './index.js';
import { startFakeKubeServer } from './fake-kube-server.test-suite.js';

const run = promisify(execFile);
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

test('v2 document: definitions with GVKs, PATCH operations listing fieldValidation, cached protobuf', () => {
  const doc = openApiV2Document() as Json;
  assert.equal(doc.swagger, '2.0');
  assert.deepEqual(doc.definitions['io.k8s.api.apps.v1.Deployment']['x-kubernetes-group-version-kind'], [{ group: 'apps', version: 'v1', kind: 'Deployment' }]);
  const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
  assert.ok(patch.parameters.some((p: Json) => p.name === 'fieldValidation' && p.in === 'query'));
  for (const m of JSON.stringify(doc).matchAll(/"#\/definitions\/([^"]+)"/g)) assert.ok(doc.definitions[m[1]], `dangling ${m[1]}`);
  const pb = openApiV2Protobuf();
  assert.ok(pb.length > 10_000);
  assert.strictEqual(openApiV2Protobuf(), pb, 'encoded once');
  assert.equal(pb.subarray(0, 5).toString('latin1'), '\n\x032.0');
});

for (const minor of ['27', '28']) {
  const bin = `/usr/lib/google-cloud-sdk/bin/kubectl.1.${minor}`;
  test(`real kubectl 1.${minor} reads the v2 protobuf: apply sends fieldValidation=Strict, explain prints fields`, { skip: existsSync(bin) ? false : `${bin} not installed` }, async (t) => {
    const created: Json[] = [];
    const patches: Json[] = [];
    const server = await startFakeKubeServer(minor, (r, res) => {
      if (r.method === 'GET' && created.length > 0 && r.url.startsWith('/apis/apps/v1/namespaces/default/deployments/web')) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ ...created[0].obj, metadata: { ...created[0].obj.metadata, uid: 'u', resourceVersion: '1' } }));
        return true;
      }
      if (r.method === 'PATCH') {
        patches.push({ url: r.url, type: r.headers['content-type'], body: JSON.parse(r.body.toString()) });
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(created[0].obj));
        return true;
      }
      if (r.method === 'POST') {
        const obj = JSON.parse(r.body.toString()) as Json;
        created.push({ url: r.url, obj });
        res.writeHead(201, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ ...obj, metadata: { ...obj.metadata, uid: 'u', resourceVersion: '1' } }));
        return true;
      }
      return false;
    });
    const dir = mkdtempSync(join(tmpdir(), 'skiff-v2-'));
    t.after(async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const manifest = join(dir, 'd.yaml');
    writeFileSync(manifest, 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: default}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: c, image: nginx}]}\n');
    const kubectl = (...args: string[]) => run(bin, ['--server', server.url, '--cache-dir', join(dir, 'cache'), ...args], { timeout: 20_000 });
    const out = await kubectl('apply', '-f', manifest);
    assert.match(out.stdout, /deployment.apps\/web created/);
    assert.equal(created.length, 1);
    assert.match(created[0].url, /fieldValidation=Strict/);
    // re-apply with a changed image: a strategic merge patch built from our v2 patch metadata
    writeFileSync(manifest, 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: default}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: c, image: nginx:2}]}\n');
    const again = await kubectl('apply', '-f', manifest);
    assert.match(again.stdout, /configured/);
    assert.equal(patches.length, 1);
    assert.equal(patches[0].type, 'application/strategic-merge-patch+json');
    assert.match(patches[0].url, /fieldValidation=Strict/);
    assert.deepEqual(patches[0].body.spec, { template: { spec: { '$setElementOrder/containers': [{ name: 'c' }], containers: [{ image: 'nginx:2', name: 'c' }] } } });
    const explain = await kubectl('explain', 'deployment.spec.template.spec.containers');
    assert.match(explain.stdout, /image\s+<string>/);
    assert.match(explain.stdout, /ports\s+<\[\]Object>|ports\s+<\[\]ContainerPort>/);
  });
}
