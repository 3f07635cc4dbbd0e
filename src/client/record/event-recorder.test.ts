import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Event } from '../../api/types.js';
import { findResource } from '../../api/resources.js';
import { FakeClient } from '../testing/fake-client.js';
import { EventRecorder } from './event-recorder.js';

const EVENTS = findResource('', 'events')!;

test('event recorder: one Event per (object, reason, message), repeats bump count and lastTimestamp', async () => {
  const client = new FakeClient();
  let now = Date.parse('2026-01-01T00:00:00Z');
  const rec = new EventRecorder({ client, component: 'deployment-controller', clock: { now: () => now, setTimeout: () => () => undefined } });
  const d = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'prod', uid: 'u1' } };
  rec.event(d, 'Normal', 'ScalingReplicaSet', 'Scaled up replica set web-1 from 0 to 3');
  now += 5000;
  rec.event(d, 'Normal', 'ScalingReplicaSet', 'Scaled up replica set web-1 from 0 to 3');
  rec.event(d, 'Normal', 'ScalingReplicaSet', 'Scaled up replica set web-1 from 0 to 3');
  rec.event(d, 'Warning', 'Other', 'different');
  const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'u2' } };
  rec.event(node, 'Normal', 'NodeNotReady', 'Node n1 status is now: NodeNotReady');
  await rec.flush();
  const evs = client.objects<Event>(EVENTS);
  assert.equal(evs.length, 3);
  const scaling = evs.find((e) => e.reason === 'ScalingReplicaSet')!;
  assert.equal(scaling.count, 3);
  assert.equal(scaling.metadata.namespace, 'prod');
  assert.equal(scaling.firstTimestamp, '2026-01-01T00:00:00Z');
  assert.equal(scaling.lastTimestamp, '2026-01-01T00:00:05Z');
  assert.deepEqual(scaling.involvedObject, { kind: 'Deployment', apiVersion: 'apps/v1', namespace: 'prod', name: 'web', uid: 'u1', resourceVersion: undefined });
  assert.equal(scaling.source?.component, 'deployment-controller');
  assert.equal(evs.find((e) => e.reason === 'NodeNotReady')!.metadata.namespace, 'default', 'cluster-scoped objects: events in default');
});

test('event recorder: spam filter lets a burst through per object, then one per refill period', async () => {
  const client = new FakeClient();
  let now = 0;
  const rec = new EventRecorder({ client, component: 'rs', spamBurst: 3, spamRefillMs: 1000, clock: { now: () => now, setTimeout: () => () => undefined } });
  const rs = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'r', namespace: 'd', uid: 'u' } };
  for (let i = 0; i < 10; i++) rec.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: r-${i}`);
  now += 1000;
  rec.event(rs, 'Normal', 'SuccessfulCreate', 'Created pod: r-late');
  rec.event(rs, 'Normal', 'SuccessfulCreate', 'Created pod: r-late2');
  await rec.flush();
  assert.equal(client.objects<Event>(EVENTS, 'd').length, 4);
  assert.equal(rec.dropped, 8);
});
