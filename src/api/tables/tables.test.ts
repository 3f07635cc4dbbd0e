import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanDuration, tableFor, toTable, columnsFor } from './index.js';
import { resourceForKind } from '../resources.js';
import { FakeClock, rfc3339 } from '../../util/clock.js';
import type { KubeObject } from '../meta.js';
import type { ContainerStatus, Pod } from '../types.js';

const NOW = Date.parse('2026-01-10T12:00:00Z');
const ago = (ms: number) => rfc3339(NOW - ms);
const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;
const info = (kind: string) => resourceForKind(kind)!;

function row(kind: string, obj: KubeObject, wide = true): unknown[] {
  return tableFor(info(kind), [obj], { now: NOW, wide }).rows[0].cells;
}

test('humanDuration follows Kubernetes exactly', () => {
  const cases: [number, string][] = [
    [-2500, '<invalid>'],
    [-1500, '0s'],
    [0, '0s'],
    [5 * S, '5s'],
    [119 * S, '119s'],
    [120 * S, '2m'],
    [182 * S, '3m2s'],
    [9 * M + 59 * S, '9m59s'],
    [10 * M + 30 * S, '10m'],
    [179 * M, '179m'],
    [3 * H, '3h'],
    [5 * H + 3 * M, '5h3m'],
    [8 * H + 30 * M, '8h'],
    [47 * H, '47h'],
    [48 * H, '2d'],
    [51 * H, '2d3h'],
    [8 * D, '8d'],
    [400 * D, '400d'],
    [730 * D, '2y'],
    [750 * D, '2y20d'],
    [9 * 365 * D, '9y'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms} ms`);
});

test('pod columns are exactly kube-apiserver’s', () => {
  const cols = columnsFor(info('Pod'));
  assert.deepEqual(
    cols.map((c) => [c.name, c.type, c.format, c.priority]),
    [
      ['Name', 'string', 'name', 0],
      ['Ready', 'string', '', 0],
      ['Status', 'string', '', 0],
      ['Restarts', 'string', '', 0],
      ['Age', 'string', '', 0],
      ['IP', 'string', '', 1],
      ['Node', 'string', '', 1],
      ['Nominated Node', 'string', '', 1],
      ['Readiness Gates', 'string', '', 1],
    ],
  );
  assert.ok(cols.every((c) => c.description.length > 0));
});

function pod(status: Pod['status'], extra: Partial<Pod> = {}, containers = 1): Pod {
  return {
    metadata: { name: 'web-1', namespace: 'default', creationTimestamp: ago(5 * M + 3 * S), ...(extra.metadata ?? {}) },
    spec: { containers: Array.from({ length: containers }, (_, i) => ({ name: `c${i}`, image: 'i' })), nodeName: 'node-1', ...(extra.spec ?? {}) },
    status,
  };
}

const running = (ready = true, restartCount = 0, lastState?: ContainerStatus['lastState']): ContainerStatus => ({
  name: 'c0',
  ready,
  restartCount,
  image: 'i',
  imageID: '',
  state: { running: { startedAt: ago(M) } },
  lastState,
});

test('pod STATUS, READY and RESTARTS as kubectl computes them', () => {
  // Pending, unscheduled
  assert.deepEqual(row('Pod', pod({ phase: 'Pending' }, { spec: { containers: [{ name: 'c', image: 'i' }], nodeName: '' } })), ['web-1', '0/1', 'Pending', '0', '5m3s', '<none>', '<none>', '<none>', '<none>']);
  // ContainerCreating
  const creating = pod({ phase: 'Pending', containerStatuses: [{ name: 'c0', ready: false, restartCount: 0, image: 'i', imageID: '', state: { waiting: { reason: 'ContainerCreating' } } }] });
  assert.equal(row('Pod', creating)[2], 'ContainerCreating');
  // Running and ready
  const run = pod({ phase: 'Running', podIP: '198.18.0.5', podIPs: [{ ip: '198.18.0.5' }], containerStatuses: [running()] });
  assert.deepEqual(row('Pod', run), ['web-1', '1/1', 'Running', '0', '5m3s', '198.18.0.5', 'node-1', '<none>', '<none>']);
  // Running, not ready
  assert.equal(row('Pod', pod({ phase: 'Running', containerStatuses: [running(false)] }))[1], '0/1');
  // CrashLoopBackOff with "(5m ago)"
  const crash = pod({
    phase: 'Running',
    containerStatuses: [
      { name: 'c0', ready: false, restartCount: 2, image: 'i', imageID: '', state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(5 * M) } } },
    ],
  });
  assert.deepEqual(row('Pod', crash).slice(1, 4), ['0/1', 'CrashLoopBackOff', '2 (5m ago)']);
  // Completed (Succeeded) with a Completed row condition
  const done = pod({ phase: 'Succeeded', containerStatuses: [{ name: 'c0', ready: false, restartCount: 0, image: 'i', imageID: '', state: { terminated: { exitCode: 0, reason: 'Completed' } } }] });
  const t = tableFor(info('Pod'), [done], { now: NOW });
  assert.equal(t.rows[0].cells[2], 'Completed');
  assert.deepEqual(t.rows[0].conditions, [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }]);
  // Error / OOMKilled / ExitCode / Signal
  const term = (reason: string | undefined, exitCode: number, signal?: number) =>
    row('Pod', pod({ phase: 'Failed', containerStatuses: [{ name: 'c0', ready: false, restartCount: 0, image: 'i', imageID: '', state: { terminated: { exitCode, reason, signal } } }] }))[2];
  assert.equal(term('Error', 1), 'Error');
  assert.equal(term('OOMKilled', 137), 'OOMKilled');
  assert.equal(term(undefined, 3), 'ExitCode:3');
  assert.equal(term(undefined, 0, 9), 'Signal:9');
  // Terminating
  const deleting = pod({ phase: 'Running', containerStatuses: [running()] }, { metadata: { name: 'web-1', deletionTimestamp: ago(S) } });
  assert.equal(row('Pod', deleting)[2], 'Terminating');
  // Status reason (Evicted) wins over phase
  assert.equal(row('Pod', pod({ phase: 'Failed', reason: 'Evicted' }))[2], 'Evicted');
  // Two containers, one Completed and one running: Running if pod Ready, else NotReady
  const mixed = (podReady: boolean) =>
    pod(
      {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: podReady ? 'True' : 'False' }],
        containerStatuses: [
          { name: 'c0', ready: true, restartCount: 0, image: 'i', imageID: '', state: { running: {} } },
          { name: 'c1', ready: false, restartCount: 0, image: 'i', imageID: '', state: { terminated: { exitCode: 0, reason: 'Completed' } } },
        ],
      },
      {},
      2,
    );
  assert.deepEqual(row('Pod', mixed(true)).slice(1, 3), ['1/2', 'Running']);
  assert.deepEqual(row('Pod', mixed(false)).slice(1, 3), ['1/2', 'NotReady']);
});

test('pod init container statuses', () => {
  const spec = { containers: [{ name: 'c0', image: 'i' }], initContainers: [{ name: 'init', image: 'i' }] };
  const waiting = pod({ phase: 'Pending', initContainerStatuses: [{ name: 'init', ready: false, restartCount: 0, image: 'i', imageID: '', state: { running: {} } }] }, { spec });
  assert.equal(row('Pod', waiting)[2], 'Init:0/1');
  const failed = pod({ phase: 'Pending', initContainerStatuses: [{ name: 'init', ready: false, restartCount: 3, image: 'i', imageID: '', state: { terminated: { exitCode: 1, reason: 'Error' } } }] }, { spec });
  assert.deepEqual(row('Pod', failed).slice(2, 4), ['Init:Error', '3']);
  const crash = pod({ phase: 'Pending', initContainerStatuses: [{ name: 'init', ready: false, restartCount: 1, image: 'i', imageID: '', state: { waiting: { reason: 'CrashLoopBackOff' } } }] }, { spec });
  assert.equal(row('Pod', crash)[2], 'Init:CrashLoopBackOff');
  // Sidecar (restartable init) counts toward READY.
  const sidecarSpec = { containers: [{ name: 'c0', image: 'i' }], initContainers: [{ name: 'side', image: 'i', restartPolicy: 'Always' as const }] };
  const sidecar = pod(
    {
      phase: 'Running',
      initContainerStatuses: [{ name: 'side', ready: true, started: true, restartCount: 0, image: 'i', imageID: '', state: { running: {} } }],
      containerStatuses: [running()],
    },
    { spec: sidecarSpec },
  );
  assert.deepEqual(row('Pod', sidecar).slice(1, 3), ['2/2', 'Running']);
});

test('service rows: TYPE, CLUSTER-IP, EXTERNAL-IP, PORT(S), SELECTOR', () => {
  assert.deepEqual(
    columnsFor(info('Service')).map((c) => c.name),
    ['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector'],
  );
  const base = { metadata: { name: 'service-pay-v1', namespace: 'default', creationTimestamp: ago(3 * D + 2 * H) } };
  assert.deepEqual(
    row('Service', { ...base, spec: { type: 'NodePort', clusterIP: '10.96.0.12', clusterIPs: ['10.96.0.12'], selector: { app: 'pay-v1' }, ports: [{ port: 80, protocol: 'TCP', nodePort: 30114 }] } }),
    ['service-pay-v1', 'NodePort', '10.96.0.12', '<none>', '80:30114/TCP', '3d2h', 'app=pay-v1'],
  );
  assert.deepEqual(
    row('Service', { ...base, spec: { type: 'ClusterIP', clusterIPs: ['None'], ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] } }).slice(1, 5),
    ['ClusterIP', 'None', '<none>', '53/UDP,53/TCP'],
  );
  assert.equal(row('Service', { ...base, spec: { type: 'LoadBalancer', ports: [{ port: 80, nodePort: 31000, protocol: 'TCP' }] } })[3], '<pending>');
  assert.equal(
    row('Service', { ...base, spec: { type: 'LoadBalancer', ports: [] }, status: { loadBalancer: { ingress: [{ ip: '198.18.9.2' }, { ip: '198.18.9.1' }] } } })[3],
    '198.18.9.1,198.18.9.2',
  );
  assert.deepEqual(row('Service', { ...base, spec: { type: 'ExternalName', externalName: 'db.example.com' } }).slice(1, 5), ['ExternalName', '<none>', 'db.example.com', '<none>']);
  assert.equal(row('Service', { ...base, spec: { type: 'ClusterIP', externalIPs: ['198.18.0.9'], ports: [] } })[3], '198.18.0.9');
  assert.equal(row('Service', { ...base, spec: { type: 'ClusterIP', ports: [] } })[6], '<none>');
});

test('deployment, replicaset and replication controller rows', () => {
  const template = { metadata: { labels: { app: 'pay' } }, spec: { containers: [{ name: 'pay', image: 'pay:1' }, { name: 'side', image: 'side:2' }] } };
  assert.deepEqual(
    columnsFor(info('Deployment')).map((c) => `${c.name}/${c.priority}`),
    ['Name/0', 'Ready/0', 'Up-to-date/0', 'Available/0', 'Age/0', 'Containers/1', 'Images/1', 'Selector/1'],
  );
  const d = { metadata: { name: 'pay', creationTimestamp: ago(40 * S) }, spec: { replicas: 3, selector: { matchLabels: { app: 'pay' } }, template }, status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 } };
  assert.deepEqual(row('Deployment', d), ['pay', '2/3', 3, 2, '40s', 'pay,side', 'pay:1,side:2', 'app=pay']);
  const fresh = { metadata: { name: 'pay' }, spec: { replicas: 1, selector: { matchLabels: { app: 'pay' } }, template } };
  assert.deepEqual(row('Deployment', fresh, false), ['pay', '0/1', 0, 0, '<unknown>']);
  assert.deepEqual(
    columnsFor(info('ReplicaSet')).map((c) => `${c.name}:${c.type}`),
    ['Name:string', 'Desired:integer', 'Current:integer', 'Ready:integer', 'Age:string', 'Containers:string', 'Images:string', 'Selector:string'],
  );
  const rs = { metadata: { name: 'pay-5d8f', creationTimestamp: ago(2 * H) }, spec: { replicas: 2, selector: { matchLabels: { app: 'pay' }, matchExpressions: [{ key: 'tier', operator: 'In' as const, values: ['b', 'a'] }] }, template }, status: { replicas: 2, readyReplicas: 1 } };
  assert.deepEqual(row('ReplicaSet', rs), ['pay-5d8f', 2, 2, 1, '120m', 'pay,side', 'pay:1,side:2', 'app=pay,tier in (a,b)']);
  const rc = { metadata: { name: 'rc', creationTimestamp: ago(D) }, spec: { replicas: 1, selector: { app: 'pay' }, template }, status: { replicas: 1, readyReplicas: 1 } };
  assert.deepEqual(row('ReplicationController', rc), ['rc', 1, 1, 1, '24h', 'pay,side', 'pay:1,side:2', 'app=pay']);
});

test('endpoints and endpointslice rows', () => {
  const ep = {
    metadata: { name: 'web', creationTimestamp: ago(S) },
    subsets: [{ addresses: ['198.18.0.1', '198.18.0.2', '198.18.0.3', '198.18.0.4'].map((ip) => ({ ip })), ports: [{ port: 80 }, { port: 443, name: 'https' }] }],
  };
  assert.deepEqual(row('Endpoints', ep), ['web', '198.18.0.1:80,198.18.0.2:80,198.18.0.3:80 + 5 more...', '1s']);
  assert.equal(row('Endpoints', { metadata: { name: 'x' } })[1], '<none>');
  assert.equal(row('Endpoints', { metadata: { name: 'x' }, subsets: [{ addresses: [{ ip: 'fd00::1' }], ports: [{ port: 80 }] }] })[1], '[fd00::1]:80');
  assert.equal(row('Endpoints', { metadata: { name: 'x' }, subsets: [{ addresses: [{ ip: '198.18.0.1' }] }] })[1], '198.18.0.1', 'headless without ports');
  assert.equal(row('Endpoints', { metadata: { name: 'x' }, subsets: [{ notReadyAddresses: [{ ip: '198.18.0.1' }], ports: [{ port: 80 }] }] })[1], '');
  assert.deepEqual(
    columnsFor(info('EndpointSlice')).map((c) => c.name),
    ['Name', 'AddressType', 'Ports', 'Endpoints', 'Age'],
  );
  const slice = { metadata: { name: 'web-abc', creationTimestamp: ago(S) }, addressType: 'IPv4', endpoints: [{ addresses: ['198.18.0.1'] }, { addresses: ['198.18.0.2'] }], ports: [{ port: 80, name: 'http' }] };
  assert.deepEqual(row('EndpointSlice', slice), ['web-abc', 'IPv4', '80', '198.18.0.1,198.18.0.2', '1s']);
  assert.deepEqual(row('EndpointSlice', { metadata: { name: 's' }, addressType: 'IPv4', endpoints: [] }).slice(2, 4), ['<unset>', '<unset>']);
});

test('node, namespace, event, configmap, secret, serviceaccount, hpa, lease rows', () => {
  const node = {
    metadata: { name: 'node-1', creationTimestamp: ago(10 * D), labels: { 'node-role.kubernetes.io/control-plane': '', 'kubernetes.io/role': 'worker' } },
    spec: { unschedulable: true },
    status: {
      conditions: [{ type: 'Ready', status: 'True' }],
      addresses: [{ type: 'InternalIP', address: '198.19.128.1' }],
      nodeInfo: { kubeletVersion: 'v1.33.0-skiff', osImage: 'Debian GNU/Linux 12', kernelVersion: '6.1.0', containerRuntimeVersion: 'skiff://0.1.0' },
    },
  };
  assert.deepEqual(row('Node', node), ['node-1', 'Ready,SchedulingDisabled', 'control-plane,worker', '10d', 'v1.33.0-skiff', '198.19.128.1', '<none>', 'Debian GNU/Linux 12', '6.1.0', 'skiff://0.1.0']);
  assert.deepEqual(row('Node', { metadata: { name: 'n2' }, status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } }).slice(1, 3), ['NotReady', '<none>']);
  assert.equal(row('Node', { metadata: { name: 'n3' } })[1], 'Unknown');

  assert.deepEqual(row('Namespace', { metadata: { name: 'default', creationTimestamp: ago(3 * M) }, status: { phase: 'Active' } }), ['default', 'Active', '3m']);

  assert.deepEqual(
    columnsFor(info('Event'), false).map((c) => c.name),
    ['Last Seen', 'Type', 'Reason', 'Object', 'Message'],
  );
  const ev = {
    metadata: { name: 'web-1.17f', namespace: 'default' },
    involvedObject: { kind: 'Pod', name: 'web-1', fieldPath: 'spec.containers{c}' },
    reason: 'Scheduled',
    message: 'Successfully assigned default/web-1 to node-1 ',
    type: 'Normal',
    source: { component: 'default-scheduler' },
    firstTimestamp: ago(10 * M),
    lastTimestamp: ago(2 * M),
    count: 3,
  };
  assert.deepEqual(row('Event', ev), ['2m', 'Normal', 'Scheduled', 'pod/web-1', 'spec.containers{c}', 'default-scheduler', 'Successfully assigned default/web-1 to node-1', '10m', 3, 'web-1.17f']);
  assert.deepEqual(row('Event', ev, false), ['2m', 'Normal', 'Scheduled', 'pod/web-1', 'Successfully assigned default/web-1 to node-1']);
  const newStyle = { metadata: { name: 'e' }, involvedObject: { kind: 'Node' }, eventTime: ago(5 * S), reportingComponent: 'skiff-agent', reportingInstance: 'node-1', type: 'Warning' };
  assert.deepEqual(row('Event', newStyle), ['5s', 'Warning', '', 'node', '', 'skiff-agent, node-1', '', '5s', 1, 'e']);

  assert.deepEqual(row('ConfigMap', { metadata: { name: 'cm', creationTimestamp: ago(S) }, data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } }), ['cm', 3, '1s']);
  assert.deepEqual(row('Secret', { metadata: { name: 's', creationTimestamp: ago(S) }, type: 'Opaque', data: { a: 'MQ==' } }), ['s', 'Opaque', 1, '1s']);
  assert.deepEqual(row('ServiceAccount', { metadata: { name: 'default', creationTimestamp: ago(S) } }), ['default', 0, '1s']);
  const hpa = { metadata: { name: 'pay', creationTimestamp: ago(S) }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'pay' }, minReplicas: 1, maxReplicas: 10, targetCPUUtilizationPercentage: 50 }, status: { currentReplicas: 2, desiredReplicas: 2, currentCPUUtilizationPercentage: 23 } };
  assert.deepEqual(row('HorizontalPodAutoscaler', hpa), ['pay', 'Deployment/pay', 'cpu: 23%/50%', '1', 10, 2, '1s']);
  const hpa2 = { metadata: { name: 'h' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'x' }, maxReplicas: 3 } };
  assert.deepEqual(row('HorizontalPodAutoscaler', hpa2).slice(2, 4), ['cpu: <unknown>/80%', '<unset>']);
  assert.deepEqual(row('Lease', { metadata: { name: 'node-1', creationTimestamp: ago(S) }, spec: { holderIdentity: 'node-1' } }), ['node-1', 'node-1', '1s']);
});

test('row objects, wide=false, clock injection and the Table envelope', () => {
  const p = pod({ phase: 'Running', containerStatuses: [running()] }, { metadata: { name: 'web-1', namespace: 'default', labels: { app: 'web' }, managedFields: [{ manager: 'kubectl' }] } });
  const t = tableFor(info('Pod'), [p], { now: NOW });
  assert.deepEqual(t.rows[0].object, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { name: 'web-1', namespace: 'default', labels: { app: 'web' }, creationTimestamp: p.metadata.creationTimestamp } });
  assert.equal(tableFor(info('Pod'), [p], { now: NOW, includeObject: 'None' }).rows[0].object, undefined);
  assert.equal(tableFor(info('Pod'), [p], { now: NOW, includeObject: 'Object' }).rows[0].object, p);
  const narrow = tableFor(info('Pod'), [p], { now: NOW, wide: false });
  assert.equal(narrow.columnDefinitions.length, 5);
  assert.equal(narrow.rows[0].cells.length, 5);
  const clock = new FakeClock(NOW + 60 * M);
  assert.equal(tableFor(info('Pod'), [p], { clock }).rows[0].cells[4], '65m');
  const full = toTable(info('Pod'), [p], { now: NOW, resourceVersion: '42' });
  assert.equal(full.kind, 'Table');
  assert.equal(full.apiVersion, 'meta.k8s.io/v1');
  assert.deepEqual(full.metadata, { resourceVersion: '42' });
  // Every served kind has a printer with Name first (Event has Last Seen first, like Kubernetes).
  for (const kind of ['Namespace', 'Pod', 'Service', 'Endpoints', 'EndpointSlice', 'Node', 'ConfigMap', 'Secret', 'ServiceAccount', 'ReplicationController', 'ReplicaSet', 'Deployment', 'HorizontalPodAutoscaler', 'Lease']) {
    const cols = columnsFor(info(kind));
    assert.equal(cols[0].name, 'Name', kind);
    assert.equal(cols[0].format, 'name', kind);
    const r = tableFor(info(kind), [{ metadata: { name: 'x' } }], { now: NOW }).rows[0];
    assert.equal(r.cells.length, cols.length, `${kind}: one cell per column even for an empty object`);
  }
});
