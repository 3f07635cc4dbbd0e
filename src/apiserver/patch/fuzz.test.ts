import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findResource } from '../../api/resources.js';
import { StatusError } from '../../api/status-error.js';
import type { KubeObject } from '../../api/meta.js';
import { applyJsonPatch, applyMergePatch, applyServerSideApply, applyStrategicMergePatch, parseApplyBody, recordUpdateManagedFields } from './index.js';

/** Seeded generator of JSON values biased toward the shapes the algorithms branch on. */
function generator(seed: number) {
  let s = seed >>> 0;
  const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const keys = ['metadata', 'spec', 'template', 'containers', 'name', 'image', 'env', 'ports', 'containerPort', 'labels', 'finalizers', 'replicas', '$patch', '$retainKeys', '$setElementOrder/containers', '$deleteFromPrimitiveList/finalizers', 'selector', 'strategy', 'status', 'value', 'protocol', 'volumes'];
  const scalars = [null, 0, 1, -1, 2.5, '', 'x', 'delete', 'replace', 'merge', true, false, 'TCP'];
  const value = (depth: number): unknown => {
    const r = rnd();
    if (depth > 4 || r < 0.35) return pick(scalars);
    if (r < 0.6) return Array.from({ length: Math.floor(rnd() * 4) }, () => value(depth + 1));
    const o: Record<string, unknown> = {};
    for (let i = Math.floor(rnd() * 5); i > 0; i--) o[pick(keys)] = value(depth + 1);
    return o;
  };
  return { value, pick, rnd };
}

const base = (): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web' }, finalizers: ['a'] },
  spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80 }] }] } } },
});

test('random patches and apply bodies: results or StatusErrors, never another exception', () => {
  const g = generator(7);
  const info = findResource('apps', 'deployments')!;
  const ok = (f: () => unknown, what: string) => {
    try {
      f();
    } catch (e) {
      assert.ok(e instanceof StatusError, `${what}: ${String(e)}`);
      assert.ok(e.code >= 400 && e.code < 500, `${what}: ${e.code} ${e.message}`);
    }
  };
  for (let i = 0; i < 3000; i++) {
    const v = g.value(0);
    const ops = Array.isArray(v) ? v.map((x) => ({ op: g.pick(['add', 'remove', 'replace', 'move', 'copy', 'test', 'bogus']), path: g.pick(['', '/', '/spec', '/spec/replicas', '/metadata/labels/a~1b', '/spec/template/spec/containers/-', '/spec/template/spec/containers/0/image', '/x/y']), from: g.pick(['/spec', '/metadata/labels', '/nope']), value: x })) : v;
    ok(() => applyJsonPatch(base(), ops), `json patch #${i}`);
    ok(() => applyMergePatch(base(), v), `merge patch #${i}`);
    ok(() => applyStrategicMergePatch(base(), v, g.pick(['Deployment', 'Pod', 'Service', 'Nope'])), `strategic #${i} ${JSON.stringify(v)}`);
    ok(() => {
      const applied = typeof v === 'object' && v !== null && !Array.isArray(v) ? { ...base(), ...(v as object) } : v;
      const live = g.rnd() < 0.5 ? undefined : base();
      return applyServerSideApply({ live, applied: applied as KubeObject, manager: 'm', force: g.rnd() < 0.5, info, now: 't' });
    }, `apply #${i} ${JSON.stringify(v)}`);
    ok(() => parseApplyBody(JSON.stringify(v)), `apply body #${i}`);
    ok(() => recordUpdateManagedFields({ old: base(), new: { ...base(), spec: v } as KubeObject, manager: 'm', operation: 'Update', info, now: 't' }), `record #${i}`);
    const garbageManaged = { ...base(), metadata: { name: 'web', managedFields: g.rnd() < 0.5 ? v : [{ manager: 'x', operation: 'Update', fieldsV1: v }] } } as unknown as KubeObject;
    ok(() => recordUpdateManagedFields({ old: garbageManaged, new: base(), manager: 'm', operation: 'Update', info, now: 't' }), `record garbage old #${i}`);
    ok(() => recordUpdateManagedFields({ old: base(), new: garbageManaged, manager: 'm', operation: 'Update', info, now: 't' }), `record garbage new #${i}`);
    ok(() => applyServerSideApply({ live: garbageManaged, applied: base(), manager: 'm', force: false, info, now: 't' }), `apply garbage live #${i}`);
  }
});
