import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findResource } from '../../api/resources.js';
import type { KubeObject } from '../../api/meta.js';
import { StatusError } from '../../api/status-error.js';
import { applyServerSideApply, parseApplyBody, recordUpdateManagedFields } from './index.js';

type Any = KubeObject & { spec?: any; status?: any }; // eslint-disable-line @typescript-eslint/no-explicit-any
const deployments = findResource('apps', 'deployments')!;
const configmaps = findResource('', 'configmaps')!;
const pods = findResource('', 'pods')!;

function deploy(opts: { replicas?: number; image?: string; env?: { name: string; value: string }[]; labels?: Record<string, string> } = {}): Any {
  const c: Record<string, unknown> = { name: 'nginx', image: opts.image ?? 'nginx:1' };
  if (opts.env) c.env = opts.env;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: opts.labels ?? { app: 'web' } },
    spec: {
      ...(opts.replicas !== undefined ? { replicas: opts.replicas } : {}),
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [c] } },
    },
  };
}

const apply = (live: Any | undefined, applied: Any, manager = 'kubectl', force = false, now = '2025-01-01T00:00:00Z') =>
  applyServerSideApply({ live, applied, manager, force, info: deployments, now }) as Any;

/** What the registry adds when it stores: identity and defaults (as a live object would have). */
const stored = (o: Any): Any => ({ ...o, metadata: { ...o.metadata, uid: 'u-1', resourceVersion: '7', creationTimestamp: '2025-01-01T00:00:00Z' } });

test('create by apply: object from the config, one Apply entry with FieldsV1 like Kubernetes', () => {
  const out = apply(undefined, deploy({ replicas: 2 }));
  assert.equal(out.spec.replicas, 2);
  assert.equal(out.metadata.managedFields!.length, 1);
  const mf = out.metadata.managedFields![0];
  assert.deepEqual({ manager: mf.manager, operation: mf.operation, apiVersion: mf.apiVersion, fieldsType: mf.fieldsType, time: mf.time }, { manager: 'kubectl', operation: 'Apply', apiVersion: 'apps/v1', fieldsType: 'FieldsV1', time: '2025-01-01T00:00:00Z' });
  assert.deepEqual(mf.fieldsV1, {
    'f:metadata': { 'f:labels': { 'f:app': {} } },
    'f:spec': {
      'f:replicas': {},
      'f:selector': {},
      'f:template': { 'f:metadata': { 'f:labels': { 'f:app': {} } }, 'f:spec': { 'f:containers': { 'k:{"name":"nginx"}': { '.': {}, 'f:image': {}, 'f:name': {} } } } },
    },
  });
});

test('re-apply keeps fields set by others, removes fields the manager dropped, keeps system metadata', () => {
  let live = stored(apply(undefined, deploy({ replicas: 2, env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], labels: { app: 'web', tier: 'fe' } })));
  live.spec.template.spec.containers[0].imagePullPolicy = 'IfNotPresent'; // defaulted by the server: nobody owns it
  live.status = { replicas: 2 };
  live = apply(live, deploy({ replicas: 2, env: [{ name: 'A', value: '1' }] }));
  const c = live.spec.template.spec.containers[0];
  assert.deepEqual(c.env, [{ name: 'A', value: '1' }], 'env B pruned');
  assert.deepEqual(live.metadata.labels, { app: 'web' }, 'label tier pruned');
  assert.equal(c.imagePullPolicy, 'IfNotPresent', 'unowned server default kept');
  assert.equal(live.metadata.uid, 'u-1');
  assert.deepEqual(live.status, { replicas: 2 }, 'status untouched by a main-resource apply');
  // dropping replicas from the config removes it (nobody else owns it)
  live = apply(live, deploy({ env: [{ name: 'A', value: '1' }] }));
  assert.equal(live.spec.replicas, undefined);
});

test('conflict with another manager: 409 with Kubernetes wording; force takes ownership', () => {
  // kubectl create / client-side apply: an Update manager owning everything it wrote
  const created = recordUpdateManagedFields({ old: undefined, new: deploy({ replicas: 1 }), manager: 'kubectl-client-side-apply', operation: 'Update', info: deployments, now: '2025-01-01T00:00:00Z' }) as Any;
  assert.equal(created.metadata.managedFields![0].operation, 'Update');
  const live = stored(created);
  assert.throws(
    () => apply(live, deploy({ replicas: 3 })),
    (e: unknown) =>
      e instanceof StatusError &&
      e.code === 409 &&
      e.reason === 'Conflict' &&
      e.message === 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas' &&
      e.details?.causes?.[0]?.reason === 'FieldManagerConflict' &&
      e.details.causes[0].field === '.spec.replicas',
  );
  // same values are shared, not conflicts
  const shared = apply(live, deploy({ replicas: 1 }));
  assert.equal(shared.metadata.managedFields!.length, 2);
  // two conflicts: grouped per manager, one path per line
  assert.throws(
    () => apply(live, deploy({ replicas: 3, image: 'nginx:2' })),
    (e: unknown) =>
      e instanceof StatusError &&
      e.message ===
        'Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" using apps/v1:\n- .spec.replicas\n- .spec.template.spec.containers[name="nginx"].image',
  );
  const forced = apply(live, deploy({ replicas: 3, image: 'nginx:2' }), 'kubectl', true);
  assert.equal(forced.spec.replicas, 3);
  const csa = forced.metadata.managedFields!.find((m) => m.manager === 'kubectl-client-side-apply')!;
  assert.equal((csa.fieldsV1 as any)['f:spec']['f:replicas'], undefined, 'forced field left the old owner'); // eslint-disable-line @typescript-eslint/no-explicit-any
  const mine = forced.metadata.managedFields!.find((m) => m.manager === 'kubectl')!;
  assert.ok((mine.fieldsV1 as any)['f:spec']['f:replicas']); // eslint-disable-line @typescript-eslint/no-explicit-any
});

test('pruning never removes fields another manager also owns', () => {
  let live = stored(apply(undefined, deploy({ labels: { app: 'web', team: 'a' } }), 'a'));
  live = stored(apply(live, deploy({ labels: { app: 'web', team: 'a' } }), 'b'));
  live = apply(live, deploy({ labels: { app: 'web' } }), 'a');
  assert.equal(live.metadata.labels!.team, 'a', 'b still owns team');
  live = apply(stored(live), deploy({ labels: { app: 'web' } }), 'b');
  assert.equal(live.metadata.labels!.team, undefined, 'gone once its last owner drops it');
  // a map the prune empties goes away, as Go's omitempty drops it
  const cm = (data?: Record<string, string>): Any => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, ...(data ? { data } : {}) });
  const one = applyServerSideApply({ live: undefined, applied: cm({ k: 'v' }), manager: 'm', force: false, info: configmaps, now: 't' });
  const none = applyServerSideApply({ live: one, applied: cm(), manager: 'm', force: false, info: configmaps, now: 't' }) as Any;
  assert.equal(none.data, undefined);
});

test('objects without managedFields: their fields belong to before-first-apply', () => {
  const live = stored(deploy({ replicas: 1 }));
  assert.throws(() => apply(live, deploy({ replicas: 4 })), (e: unknown) => e instanceof StatusError && /conflict with "before-first-apply" using apps\/v1: \.spec\.replicas/.test(e.message));
});

test('map-list merge keeps live-only items in place and follows the config order for the rest', () => {
  const live: Any = stored({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'a', image: '1' }, { name: 'sidecar', image: 's' }, { name: 'b', image: '1' }] } });
  const out = applyServerSideApply({
    live,
    applied: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'b', image: '2' }, { name: 'a', image: '2' }, { name: 'c', image: '2' }] } } as Any,
    manager: 'm',
    force: true,
    info: pods,
    now: 't',
  }) as Any;
  const names = out.spec.containers.map((c: { name: string }) => c.name);
  assert.deepEqual([...names].sort(), ['a', 'b', 'c', 'sidecar']);
  assert.deepEqual(names, ['sidecar', 'b', 'a', 'c'], 'as structured-merge-diff orders them');
  assert.ok(names.indexOf('b') < names.indexOf('a'), `config order b before a: ${names}`);
  assert.ok(out.spec.containers.every((c: { name: string; image: string }) => c.name === 'sidecar' || c.image === '2'));
});

test('recordUpdateManagedFields: creator owns what it wrote, an updater takes changed fields, removals drop ownership', () => {
  const cm = (data: Record<string, string>): Any => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data });
  const a = recordUpdateManagedFields({ old: undefined, new: cm({ x: '1', y: '2' }), manager: 'kubectl-create', operation: 'Update', info: configmaps, now: 't1' });
  assert.deepEqual(a.metadata.managedFields, [
    { manager: 'kubectl-create', operation: 'Update', apiVersion: 'v1', time: 't1', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { '.': {}, 'f:x': {}, 'f:y': {} } } },
  ]);
  const b = recordUpdateManagedFields({ old: a, new: { ...cm({ x: '9' }), metadata: a.metadata }, manager: 'kubectl-edit', operation: 'Update', info: configmaps, now: 't2' });
  const byName = Object.fromEntries(b.metadata.managedFields!.map((m) => [m.manager, m.fieldsV1]));
  assert.deepEqual(byName['kubectl-edit'], { 'f:data': { 'f:x': {} } });
  assert.deepEqual(byName['kubectl-create'], { 'f:data': {} }, 'still owns the map itself');
  // a no-op write leaves managedFields (and their times) alone
  const c = recordUpdateManagedFields({ old: b, new: { ...b }, manager: 'someone', operation: 'Update', info: configmaps, now: 't3' });
  assert.deepEqual(c.metadata.managedFields, b.metadata.managedFields);
  // managedFields: [] keeps the stored entries; [{}] strips them all (Kubernetes' reset rules)
  const kept = recordUpdateManagedFields({ old: b, new: { ...b, data: { x: '10' }, metadata: { ...b.metadata, managedFields: [] } } as Any, manager: 'kubectl-edit', operation: 'Update', info: configmaps, now: 't4' });
  assert.deepEqual(kept.metadata.managedFields!.map((m) => m.manager).sort(), ['kubectl-create', 'kubectl-edit']);
  const stripped = recordUpdateManagedFields({ old: b, new: { ...b, metadata: { ...b.metadata, managedFields: [{}] } } as Any, manager: 'kubectl-edit', operation: 'Update', info: configmaps, now: 't4' });
  assert.equal(stripped.metadata.managedFields, undefined);
  // status writes through /status are tracked with the subresource; status is ignored for the main resource
  const p1 = recordUpdateManagedFields({ old: undefined, new: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }] }, status: { phase: 'Pending' } } as Any, manager: 'create', operation: 'Update', info: pods, now: 't' });
  assert.equal(JSON.stringify(p1.metadata.managedFields).includes('f:status'), false);
  const p2 = recordUpdateManagedFields({ old: p1, new: { ...p1, status: { phase: 'Running', podIP: '198.18.0.5' } } as Any, manager: 'skiff-agent', operation: 'Update', subresource: 'status', info: pods, now: 't' });
  const agent = p2.metadata.managedFields!.find((m) => m.manager === 'skiff-agent')!;
  assert.equal(agent.subresource, 'status');
  assert.deepEqual(agent.fieldsV1, { 'f:status': { 'f:phase': {}, 'f:podIP': {} } });
});

test('apply bodies: YAML or JSON; managedFields in the body, wrong kind and non-objects are 400', () => {
  assert.deepEqual(parseApplyBody('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: "1"\n'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { a: '1' } });
  assert.equal(parseApplyBody(Buffer.from('{"kind":"ConfigMap","metadata":{"name":"y"}}')).metadata.name, 'y');
  const is400 = (e: unknown) => e instanceof StatusError && e.code === 400;
  assert.throws(() => parseApplyBody('- a\n- b'), is400);
  assert.throws(() => parseApplyBody('a: [unclosed'), is400);
  assert.throws(() => apply(undefined, { ...deploy(), metadata: { name: 'web', managedFields: [{ manager: 'x' }] } }), is400);
  assert.throws(() => apply(undefined, { ...deploy(), kind: 'ReplicaSet' }), is400);
});
