import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Event, Node, Pod } from '../api/types.js';
import { findResource } from '../api/resources.js';
import { FakeClient } from '../client/testing/fake-client.js';
import { waitFor } from '../client/testing/wait-for.js';
import { cpuMillis, memoryBytes } from './pod-resources.js';
import { startScheduler } from './scheduler.js';

const PODS = findResource('', 'pods')!;
const NODES = findResource('', 'nodes')!;
const SERVICES = findResource('', 'services')!;
const EVENTS = findResource('', 'events')!;

function node(name: string, opts: { cpu?: string; memory?: string; pods?: number; labels?: Record<string, string>; ready?: boolean; taints?: Node['spec'] extends infer S ? S extends { taints?: infer T } ? T : never : never; unschedulable?: boolean } = {}): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...opts.labels } },
    spec: { taints: opts.taints, unschedulable: opts.unschedulable },
    status: {
      allocatable: { cpu: opts.cpu ?? '2', memory: opts.memory ?? '4Gi', pods: String(opts.pods ?? 110) },
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }],
    },
  };
}

function pod(name: string, opts: { cpu?: string; memory?: string; labels?: Record<string, string>; nodeSelector?: Record<string, string>; schedulerName?: string } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: opts.labels },
    spec: {
      containers: [{ name: 'c', image: 'x', resources: opts.cpu || opts.memory ? { requests: { ...(opts.cpu ? { cpu: opts.cpu } : {}), ...(opts.memory ? { memory: opts.memory } : {}) } } : undefined }],
      nodeSelector: opts.nodeSelector,
      schedulerName: opts.schedulerName,
    },
  };
}

const nodeOf = (c: FakeClient, name: string) => c.peek<Pod>(PODS, name, 'default')?.spec?.nodeName;

test('quantities: cpu millis and memory bytes', () => {
  assert.equal(cpuMillis('100m'), 100);
  assert.equal(cpuMillis('0.5'), 500);
  assert.equal(cpuMillis(2), 2000);
  assert.equal(memoryBytes('64Mi'), 64 * 1024 * 1024);
  assert.equal(memoryBytes('1G'), 1e9);
  assert.equal(memoryBytes('1e3'), 1000);
  assert.ok(Number.isNaN(memoryBytes('12 parsecs')));
});

test('scheduler: binds to ready, fitting, matching nodes; spreads a service across nodes', async (t) => {
  const client = new FakeClient();
  await client.create(NODES, node('n1', { labels: { disk: 'ssd' } }));
  await client.create(NODES, node('n2'));
  await client.create(NODES, node('down', { ready: false }));
  await client.create(NODES, node('cordoned', { unschedulable: true }));
  await client.create(NODES, node('tainted', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }));
  await client.create(SERVICES, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } });
  const s = await startScheduler({ client, retryBaseMs: 10 });
  t.after(() => s.stop());
  for (let i = 0; i < 4; i++) await client.create(PODS, pod(`web-${i}`, { labels: { app: 'web' } }));
  await client.create(PODS, pod('ssd', { nodeSelector: { disk: 'ssd' } }));
  await client.create(PODS, pod('other-sched', { schedulerName: 'custom' }));
  await waitFor(() => [0, 1, 2, 3].every((i) => nodeOf(client, `web-${i}`)) && !!nodeOf(client, 'ssd'), 'all bound');
  const placements = [0, 1, 2, 3].map((i) => nodeOf(client, `web-${i}`)!);
  assert.deepEqual(placements.filter((n) => n === 'n1').length, 2, `spread: ${placements}`);
  assert.deepEqual(placements.filter((n) => n === 'n2').length, 2, `spread: ${placements}`);
  assert.equal(nodeOf(client, 'ssd'), 'n1');
  assert.equal(nodeOf(client, 'other-sched'), undefined);
  await waitFor(() => client.objects<Event>(EVENTS, 'default').some((e) => e.reason === 'Scheduled' && e.involvedObject.name === 'ssd'), 'Scheduled event');
  const ev = client.objects<Event>(EVENTS, 'default').find((e) => e.reason === 'Scheduled' && e.involvedObject.name === 'ssd')!;
  assert.equal(ev.message, 'Successfully assigned default/ssd to n1');
});

test('scheduler: unschedulable pods get PodScheduled=False with the reasons, and are placed when room appears', async (t) => {
  const client = new FakeClient();
  await client.create(NODES, node('small', { cpu: '500m' }));
  await client.create(NODES, node('gpu', { labels: { gpu: 'yes' }, cpu: '100m' }));
  const s = await startScheduler({ client, retryBaseMs: 10, retryMaxMs: 50 });
  t.after(() => s.stop());
  await client.create(PODS, pod('big', { cpu: '1', nodeSelector: { gpu: 'yes' } }));
  await client.create(PODS, pod('fits', { cpu: '400m' }));
  await waitFor(() => nodeOf(client, 'fits') === 'small', 'fits bound');
  await client.create(PODS, pod('hungry', { cpu: '200m' }));
  const message = '0/2 nodes are available: 1 Insufficient cpu, 1 node(s) didn\'t match Pod\'s node affinity/selector.';
  await waitFor(() => client.peek<Pod>(PODS, 'big', 'default')?.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False') ?? false, 'condition set');
  const cond = client.peek<Pod>(PODS, 'big', 'default')!.status!.conditions!.find((c) => c.type === 'PodScheduled')!;
  assert.equal(cond.reason, 'Unschedulable');
  assert.equal(cond.message, message);
  await waitFor(() => client.objects<Event>(EVENTS, 'default').some((e) => e.reason === 'FailedScheduling' && e.involvedObject.name === 'hungry'), 'event');
  const ev = client.objects<Event>(EVENTS, 'default').find((e) => e.reason === 'FailedScheduling' && e.involvedObject.name === 'hungry')!;
  assert.equal(ev.type, 'Warning');
  assert.equal(ev.message, '0/2 nodes are available: 2 Insufficient cpu.');
  // room appears: a bigger node joins
  await client.create(NODES, node('large', { cpu: '4' }));
  await waitFor(() => nodeOf(client, 'hungry') === 'large', 'hungry placed on the new node');
  assert.equal(nodeOf(client, 'big'), undefined, 'the only matching node is still too small');
});
