import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyJsonPatch, applyMergePatch } from './index.js';
import { StatusError } from '../../api/status-error.js';

const deploy = () => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { app: 'web' } }, spec: { replicas: 1, template: { spec: { containers: [{ name: 'a', image: 'x' }] } } } });

test('JSON patch: add/remove/replace/move/copy/test and does not mutate input', () => {
  const orig = deploy();
  const out = applyJsonPatch(orig, [
    { op: 'test', path: '/spec/replicas', value: 1 },
    { op: 'replace', path: '/spec/replicas', value: 3 },
    { op: 'add', path: '/metadata/labels/tier', value: 'fe' },
    { op: 'add', path: '/spec/template/spec/containers/-', value: { name: 'b', image: 'y' } },
    { op: 'add', path: '/spec/template/spec/containers/0', value: { name: 'z', image: 'z' } },
    { op: 'copy', from: '/metadata/labels/app', path: '/metadata/labels/copy' },
    { op: 'move', from: '/metadata/labels/tier', path: '/metadata/labels/moved' },
    { op: 'remove', path: '/metadata/labels/app' },
  ]);
  assert.equal(out.spec.replicas, 3);
  assert.deepEqual(out.metadata.labels, { copy: 'web', moved: 'fe' });
  assert.deepEqual(out.spec.template.spec.containers.map((c: { name: string }) => c.name), ['z', 'a', 'b']);
  assert.deepEqual(orig, deploy());
});

test('JSON patch: ~0 and ~1 escapes address keys with / and ~', () => {
  const obj = { metadata: { annotations: { 'a/b': '1', 'c~d': '2' } } };
  const out = applyJsonPatch(obj, [
    { op: 'replace', path: '/metadata/annotations/a~1b', value: 'x' },
    { op: 'remove', path: '/metadata/annotations/c~0d' },
    { op: 'add', path: '/metadata/annotations/example.com~1new', value: 'y' },
  ]);
  assert.deepEqual(out.metadata.annotations, { 'a/b': 'x', 'example.com/new': 'y' });
});

test('JSON patch: failed test is a 422 with Kubernetes wording; patch is atomic', () => {
  const orig = deploy();
  assert.throws(
    () => applyJsonPatch(orig, [{ op: 'replace', path: '/spec/replicas', value: 5 }, { op: 'test', path: '/spec/replicas', value: 1 }]),
    (e: unknown) => e instanceof StatusError && e.code === 422 && e.reason === 'Invalid' && e.message === 'the server rejected our request due to an error in our request' && /testing value \/spec\/replicas failed/.test(e.details?.causes?.[0]?.message ?? ''),
  );
  assert.equal(orig.spec.replicas, 1);
});

test('JSON patch: missing paths and bad indexes are 422; malformed bodies 400', () => {
  const is = (code: number) => (e: unknown) => e instanceof StatusError && e.code === code;
  assert.throws(() => applyJsonPatch(deploy(), [{ op: 'remove', path: '/spec/nope' }]), is(422));
  assert.throws(() => applyJsonPatch(deploy(), [{ op: 'replace', path: '/spec/nope', value: 1 }]), is(422));
  assert.throws(() => applyJsonPatch(deploy(), [{ op: 'add', path: '/spec/template/spec/containers/5', value: {} }]), is(422));
  assert.throws(() => applyJsonPatch(deploy(), [{ op: 'add', path: '/a/b/c', value: 1 }]), is(422));
  assert.throws(() => applyJsonPatch(deploy(), [{ op: 'bogus', path: '/a' }]), is(422));
  assert.throws(() => applyJsonPatch(deploy(), { op: 'add' }), is(400));
  assert.throws(() => applyJsonPatch(deploy(), [1]), is(400));
});

test('merge patch (RFC 7386): nested merge, null deletes, arrays replace; non-object patch is 400', () => {
  const out = applyMergePatch(deploy(), { metadata: { labels: { app: null, x: 'y' } }, spec: { replicas: 2, template: { spec: { containers: [{ name: 'n' }] } } } });
  assert.deepEqual(out.metadata.labels, { x: 'y' });
  assert.equal(out.spec.replicas, 2);
  assert.deepEqual(out.spec.template.spec.containers, [{ name: 'n' }]);
  // RFC 7386 appendix examples
  assert.deepEqual(applyMergePatch({ a: 'b' }, { a: 'c' }), { a: 'c' });
  assert.deepEqual(applyMergePatch({ a: [{ b: 'c' }] }, { a: [1] }), { a: [1] });
  assert.deepEqual(applyMergePatch({ e: null }, { a: 1 }), { e: null, a: 1 });
  assert.deepEqual(applyMergePatch({}, { a: { bb: { ccc: null } } }), { a: { bb: {} } });
  assert.throws(() => applyMergePatch({}, [1]), (e: unknown) => e instanceof StatusError && e.code === 400);
});

test('pathologically deep bodies are a 400, never a stack overflow', async () => {
  const { applyStrategicMergePatch, recordUpdateManagedFields, applyServerSideApply } = await import('./index.js');
  const { findResource } = await import('../../api/resources.js');
  const depth = 200_000;
  const deep = JSON.parse(`{"metadata":{"name":"x"},"extra":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`);
  const info = findResource('', 'configmaps')!;
  const is400 = (e: unknown) => e instanceof StatusError && e.code === 400;
  assert.throws(() => applyMergePatch({ metadata: {} }, deep), is400);
  assert.throws(() => applyJsonPatch({ metadata: {} }, [{ op: 'add', path: '/x', value: deep }]), is400);
  assert.throws(() => applyStrategicMergePatch({ metadata: {} }, deep, 'ConfigMap'), is400);
  assert.throws(() => recordUpdateManagedFields({ old: undefined, new: deep, manager: 'm', operation: 'Update', info, now: 't' }), is400);
  assert.throws(() => applyServerSideApply({ live: undefined, applied: deep, manager: 'm', force: false, info, now: 't' }), is400);
});
