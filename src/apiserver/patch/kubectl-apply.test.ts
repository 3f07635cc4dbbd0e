/**
 * The real kubectl 1.32 computes its three-way strategic merge patches against a throwaway
 * server whose PATCH handler is applyStrategicMergePatch: after every `kubectl apply` the
 * stored object must match the manifest while keeping fields only the server set.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { startFakeKubeServer } from '../openapi/fake-kube-server.test-suite.js';
import { applyStrategicMergePatch } from './index.js';
import type { KubeObject } from '../../api/meta.js';

const run = promisify(execFile);
const KUBECTL = '/usr/lib/google-cloud-sdk/bin/kubectl.1.32';
type Any = KubeObject & { spec?: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

function manifest(containers: object[], opts: { labels?: Record<string, string>; replicas?: number } = {}): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: opts.labels ?? { app: 'web' } },
    spec: {
      ...(opts.replicas !== undefined ? { replicas: opts.replicas } : {}),
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers } },
    },
  };
}

test('kubectl 1.32 apply round trips through applyStrategicMergePatch', { skip: existsSync(KUBECTL) ? false : `${KUBECTL} not installed` }, async (t) => {
  let live: Any | undefined;
  const patches: unknown[] = [];
  const server = await startFakeKubeServer('32', (r, res) => {
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (!r.url.startsWith('/apis/apps/v1/namespaces/default/deployments')) return false;
    if (r.method === 'GET') {
      if (!live) send(404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'NotFound', code: 404, message: 'deployments.apps "web" not found', details: { name: 'web', group: 'apps', kind: 'deployments' } });
      else send(200, live);
      return true;
    }
    if (r.method === 'POST') {
      live = JSON.parse(r.body.toString()) as Any;
      live.metadata = { ...live.metadata, uid: 'u-1', resourceVersion: '1' };
      // what the server defaults: owned by nobody in the manifest, must survive every patch
      for (const c of live.spec.template.spec.containers) c.terminationMessagePath = '/dev/termination-log';
      live.spec.revisionHistoryLimit = 10;
      send(201, live);
      return true;
    }
    if (r.method === 'PATCH') {
      const patch = JSON.parse(r.body.toString());
      patches.push(patch);
      live = applyStrategicMergePatch(live!, patch, 'Deployment');
      send(200, live);
      return true;
    }
    return false;
  });
  const dir = mkdtempSync(join(tmpdir(), 'skiff-smp-'));
  t.after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const file = join(dir, 'd.yaml');
  const apply = async (m: object) => {
    writeFileSync(file, stringify(m));
    return (await run(KUBECTL, ['--server', server.url, '--cache-dir', join(dir, 'cache'), 'apply', '-f', file], { timeout: 20_000 })).stdout;
  };
  const names = () => live!.spec.template.spec.containers.map((c: { name: string }) => c.name);

  assert.match(await apply(manifest([{ name: 'web', image: 'nginx:1', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], ports: [{ containerPort: 80 }] }, { name: 'side', image: 'busybox' }], { labels: { app: 'web', tier: 'fe' }, replicas: 2 })), /created/);

  // image change, env B removed, env C added
  assert.match(await apply(manifest([{ name: 'web', image: 'nginx:2', env: [{ name: 'A', value: '1' }, { name: 'C', value: '3' }], ports: [{ containerPort: 80 }] }, { name: 'side', image: 'busybox' }], { labels: { app: 'web', tier: 'fe' }, replicas: 2 })), /configured/);
  const web = live!.spec.template.spec.containers[0];
  assert.equal(web.image, 'nginx:2');
  assert.deepEqual(web.env, [{ name: 'A', value: '1' }, { name: 'C', value: '3' }]);
  assert.equal(web.terminationMessagePath, '/dev/termination-log');
  assert.deepEqual(names(), ['web', 'side']);

  // container side removed, container extra added; label tier and replicas removed from the manifest
  assert.match(await apply(manifest([{ name: 'web', image: 'nginx:2', env: [{ name: 'A', value: '1' }, { name: 'C', value: '3' }], ports: [{ containerPort: 80 }] }, { name: 'extra', image: 'redis' }])), /configured/);
  assert.deepEqual(names(), ['web', 'extra']);
  assert.deepEqual(live!.metadata.labels, { app: 'web' });
  assert.equal(live!.spec.replicas, undefined);
  assert.equal(live!.spec.revisionHistoryLimit, 10, 'server default kept');

  // reorder containers
  await apply(manifest([{ name: 'extra', image: 'redis' }, { name: 'web', image: 'nginx:2', env: [{ name: 'A', value: '1' }, { name: 'C', value: '3' }], ports: [{ containerPort: 80 }] }]));
  assert.deepEqual(names(), ['extra', 'web']);
  assert.equal(live!.spec.template.spec.containers[1].terminationMessagePath, '/dev/termination-log');

  // unchanged manifest: no PATCH at all
  const before = patches.length;
  assert.match(await apply(manifest([{ name: 'extra', image: 'redis' }, { name: 'web', image: 'nginx:2', env: [{ name: 'A', value: '1' }, { name: 'C', value: '3' }], ports: [{ containerPort: 80 }] }])), /unchanged/);
  assert.equal(patches.length, before);
  assert.ok(JSON.stringify(patches).includes('$setElementOrder/containers'), 'kubectl sent directives');
  assert.ok(!JSON.stringify(live).includes('$setElementOrder'), 'no directive stored');
  assert.ok(live!.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']);
});

test('kubectl 1.32 apply --server-side: create, update, conflict help text, --force-conflicts', { skip: existsSync(KUBECTL) ? false : `${KUBECTL} not installed` }, async (t) => {
  const { applyServerSideApply, parseApplyBody, recordUpdateManagedFields } = await import('./index.js');
  const { findResource } = await import('../../api/resources.js');
  const info = findResource('apps', 'deployments')!;
  let live: Any | undefined;
  const server = await startFakeKubeServer('32', (r, res) => {
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (r.method !== 'PATCH' || !r.url.startsWith('/apis/apps/v1/namespaces/default/deployments/web')) return false;
    assert.equal(r.headers['content-type'], 'application/apply-patch+yaml');
    const q = new URL(r.url, 'http://x').searchParams;
    try {
      const created = live === undefined;
      live = applyServerSideApply({ live, applied: parseApplyBody(r.body), manager: q.get('fieldManager')!, force: q.get('force') === 'true', info, now: '2025-01-01T00:00:00Z' }) as Any;
      live.metadata = { ...live.metadata, uid: 'u-1', resourceVersion: '1' };
      send(created ? 201 : 200, live);
    } catch (e) {
      const se = e as import('../../api/status-error.js').StatusError;
      send(se.code, se.toStatus());
    }
    return true;
  });
  const dir = mkdtempSync(join(tmpdir(), 'skiff-ssa-'));
  t.after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const file = join(dir, 'd.yaml');
  const apply = async (m: object, ...extra: string[]) => {
    writeFileSync(file, stringify(m));
    try {
      const out = await run(KUBECTL, ['--server', server.url, '--cache-dir', join(dir, 'cache'), 'apply', '--server-side', '-f', file, ...extra], { timeout: 20_000 });
      return { code: 0, stdout: out.stdout, stderr: out.stderr };
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      return { code: err.code, stdout: err.stdout, stderr: err.stderr };
    }
  };
  const c = [{ name: 'web', image: 'nginx:1' }];
  assert.match((await apply(manifest(c, { replicas: 2 }))).stdout, /serverside-applied/);
  assert.equal(live!.spec.replicas, 2);
  // another writer (kubectl scale, an Update) takes spec.replicas
  live = recordUpdateManagedFields({ old: live, new: { ...live!, spec: { ...live!.spec, replicas: 5 } }, manager: 'kubectl-scale', operation: 'Update', info, now: '2025-01-01T00:00:01Z' }) as Any;
  const conflict = await apply(manifest(c, { replicas: 3 }));
  assert.equal(conflict.code, 1);
  assert.match(conflict.stderr, /Apply failed with 1 conflict: conflict with "kubectl-scale" using apps\/v1: \.spec\.replicas/);
  assert.match(conflict.stderr, /--force-conflicts/, 'kubectl recognised the conflict and printed its help');
  assert.equal(live!.spec.replicas, 5, 'nothing written on conflict');
  assert.match((await apply(manifest(c, { replicas: 3 }), '--force-conflicts')).stdout, /serverside-applied/);
  assert.equal(live!.spec.replicas, 3);
  assert.deepEqual(live!.metadata.managedFields!.map((m) => m.manager), ['kubectl'], 'kubectl-scale lost its only field');
});
