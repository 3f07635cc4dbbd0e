import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFieldSelector, supportedFields, selectableFields, FieldSelector } from './fields.js';
import { StatusError } from './status-error.js';
import type { Event, Node, Pod } from './types.js';

function badRequest(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof StatusError);
    assert.equal(e.reason, 'BadRequest');
    return e.message;
  }
  assert.fail('expected a throw');
}

const pod: Pod = {
  metadata: { name: 'web-1', namespace: 'default' },
  spec: { containers: [{ name: 'c' }], nodeName: 'n1', restartPolicy: 'Always', hostNetwork: false },
  status: { phase: 'Running', podIP: '198.18.0.5', podIPs: [{ ip: '198.18.0.5' }] },
};

test('pod fields: metadata, spec.nodeName, status.phase, =, ==, !=, AND', () => {
  assert.ok(parseFieldSelector('metadata.name=web-1', 'Pod').matches(pod));
  assert.ok(parseFieldSelector('metadata.namespace==default', 'Pod').matches(pod));
  assert.ok(parseFieldSelector('spec.nodeName=n1,status.phase=Running', 'Pod').matches(pod));
  assert.ok(!parseFieldSelector('spec.nodeName=n1,status.phase!=Running', 'Pod').matches(pod));
  assert.ok(parseFieldSelector('spec.nodeName!=n2', 'Pod').matches(pod));
  assert.ok(parseFieldSelector('status.podIP=198.18.0.5', 'Pod').matches(pod));
  assert.ok(parseFieldSelector('spec.hostNetwork=false', 'Pod').matches(pod));
  // Unscheduled pods: spec.nodeName reads as "".
  const pending: Pod = { metadata: { name: 'p', namespace: 'default' }, spec: { containers: [] } };
  assert.ok(parseFieldSelector('spec.nodeName=', 'Pod').matches(pending));
  assert.ok(!parseFieldSelector('spec.nodeName=', 'Pod').matches(pod));
});

test('spec.host is converted to spec.nodeName for pods', () => {
  const s = parseFieldSelector('spec.host=n1', 'Pod');
  assert.equal(s.toString(), 'spec.nodeName=n1');
  assert.ok(s.matches(pod));
});

test('unsupported fields are rejected per kind', () => {
  assert.equal(badRequest(() => parseFieldSelector('spec.foo=x', 'Pod')), 'field label not supported: spec.foo');
  assert.equal(badRequest(() => parseFieldSelector('status.phase=Running', 'Service')), 'field label not supported: status.phase');
  const headless = { metadata: { name: 'h' }, spec: { clusterIP: 'None', type: 'ClusterIP' } };
  assert.ok(!parseFieldSelector('spec.clusterIP!=None', 'Service').matches(headless));
  assert.ok(parseFieldSelector('spec.type=ClusterIP', 'Service').matches(headless));
  assert.equal(badRequest(() => parseFieldSelector('spec.nodeName=x', 'Node')), 'field label not supported: spec.nodeName');
  assert.deepEqual(supportedFields('ConfigMap'), ['metadata.name', 'metadata.namespace']);
  assert.ok(supportedFields('Event').includes('involvedObject.uid'));
});

test('event fields: involvedObject.*, reason, type, source', () => {
  const ev: Event = {
    metadata: { name: 'e1', namespace: 'default' },
    involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'default', uid: 'u-1' },
    reason: 'Scheduled',
    type: 'Normal',
    source: { component: 'default-scheduler' },
    reportingComponent: 'default-scheduler',
  };
  assert.ok(parseFieldSelector('involvedObject.kind=Pod,involvedObject.name=web-1,involvedObject.namespace=default', 'Event').matches(ev));
  assert.ok(parseFieldSelector('involvedObject.uid=u-1', 'Event').matches(ev));
  assert.ok(parseFieldSelector('reason=Scheduled,type=Normal', 'Event').matches(ev));
  assert.ok(parseFieldSelector('source=default-scheduler', 'Event').matches(ev));
  assert.ok(!parseFieldSelector('type=Warning', 'Event').matches(ev));
  assert.equal(selectableFields('Event', ev)['involvedObject.kind'], 'Pod');
});

test('node spec.unschedulable reads as true/false', () => {
  const n: Node = { metadata: { name: 'n1' }, spec: { unschedulable: true } };
  assert.ok(parseFieldSelector('spec.unschedulable=true', 'Node').matches(n));
  assert.ok(parseFieldSelector('spec.unschedulable=false', 'Node').matches({ metadata: { name: 'n2' } }));
  assert.ok(parseFieldSelector('metadata.name=n1', 'Node').matches(n));
  assert.ok(parseFieldSelector('name=n1', 'Node').matches(n));
});

test('syntax errors and escapes', () => {
  assert.equal(badRequest(() => parseFieldSelector('metadata.name', 'Pod')), "invalid selector: 'metadata.name'; can't understand 'metadata.name'");
  assert.equal(badRequest(() => parseFieldSelector('a=b=c')), "invalid field selector: unescaped character '='");
  assert.equal(badRequest(() => parseFieldSelector('a=b\\x')), 'invalid field selector: invalid escape sequence: \\x');
  const s = parseFieldSelector('metadata.name=a\\,b\\=c');
  assert.ok(s.matches({ metadata: { name: 'a,b=c' } }));
  assert.equal(s.toString(), 'metadata.name=a\\,b\\=c');
});

test('empty selector, toString sorts terms, requiresExactMatch', () => {
  assert.ok(parseFieldSelector('').isEmpty());
  assert.ok(parseFieldSelector('', 'Pod').matches(pod));
  assert.ok(FieldSelector.everything().isEmpty());
  const s = parseFieldSelector('status.phase!=Failed,spec.nodeName=n1', 'Pod');
  assert.equal(s.toString(), 'spec.nodeName=n1,status.phase!=Failed');
  assert.equal(s.requiresExactMatch('spec.nodeName'), 'n1');
  assert.equal(s.requiresExactMatch('status.phase'), undefined);
});

test('generic selectors without a kind walk dotted paths', () => {
  const s = parseFieldSelector('spec.type=NodePort');
  assert.ok(s.matches({ metadata: {}, spec: { type: 'NodePort' } }));
  assert.ok(!s.matches({ metadata: {} }));
});
