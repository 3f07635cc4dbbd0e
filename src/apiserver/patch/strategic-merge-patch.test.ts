import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyStrategicMergePatch } from './index.js';
import type { KubeObject } from '../../api/meta.js';
import { StatusError } from '../../api/status-error.js';

type Any = KubeObject & { spec?: any; status?: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

function liveDeployment(): Any {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"old":1}', other: 'keep' }, finalizers: ['a'] },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            { name: 'web', image: 'nginx:1', ports: [{ containerPort: 80, protocol: 'TCP' }], env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], terminationMessagePath: '/dev/termination-log' },
            { name: 'side', image: 'busybox' },
          ],
          volumes: [{ name: 'data', emptyDir: {} }],
          tolerations: [{ key: 'k', operator: 'Exists' }],
          restartPolicy: 'Always',
        },
      },
    },
  };
}

test('kubectl apply re-apply: $setElementOrder + changed image keeps server-set fields', () => {
  const patch = {
    metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"new":1}\n' } },
    spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'web' }, { name: 'side' }], containers: [{ name: 'web', image: 'nginx:2' }] } } },
  };
  const out = applyStrategicMergePatch(liveDeployment(), patch, 'Deployment');
  const c = out.spec.template.spec.containers;
  assert.deepEqual(c.map((x: { name: string }) => x.name), ['web', 'side']);
  assert.equal(c[0].image, 'nginx:2');
  assert.equal(c[0].terminationMessagePath, '/dev/termination-log', 'server-defaulted field kept');
  assert.equal(c[0].env.length, 2);
  assert.equal(out.metadata.annotations!['kubectl.kubernetes.io/last-applied-configuration'], '{"new":1}\n');
  assert.equal(out.metadata.annotations!.other, 'keep');
  assert.ok(!JSON.stringify(out).includes('$setElementOrder'), 'directives never stored');
});

test('removing a container via $patch: delete and reordering via $setElementOrder', () => {
  const patch = { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'side' }], containers: [{ name: 'web', $patch: 'delete' }] } } } };
  const out = applyStrategicMergePatch(liveDeployment(), patch, 'Deployment');
  assert.deepEqual(out.spec.template.spec.containers, [{ name: 'side', image: 'busybox' }]);
});

test('adding a container and env var: new items follow setElementOrder', () => {
  const patch = {
    spec: {
      template: {
        spec: {
          '$setElementOrder/containers': [{ name: 'new' }, { name: 'web' }, { name: 'side' }],
          containers: [
            { name: 'new', image: 'redis' },
            { '$setElementOrder/env': [{ name: 'A' }, { name: 'C' }, { name: 'B' }], name: 'web', env: [{ name: 'C', value: '3' }] },
          ],
        },
      },
    },
  };
  const out = applyStrategicMergePatch(liveDeployment(), patch, 'Deployment');
  const c = out.spec.template.spec.containers;
  assert.deepEqual(c.map((x: { name: string }) => x.name), ['new', 'web', 'side']);
  assert.deepEqual(c[1].env.map((e: { name: string }) => e.name), ['A', 'C', 'B']);
  assert.ok(!JSON.stringify(out).includes('$setElementOrder'));
});

test('null deletes map keys; tolerations (no strategy) replace; $retainKeys on strategy', () => {
  const patch = {
    spec: {
      replicas: null,
      strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null },
      template: { spec: { tolerations: [{ key: 'other', operator: 'Exists' }] } },
    },
  };
  const out = applyStrategicMergePatch(liveDeployment(), patch, 'Deployment');
  assert.equal(out.spec.replicas, undefined);
  assert.deepEqual(out.spec.strategy, { type: 'Recreate' });
  assert.deepEqual(out.spec.template.spec.tolerations, [{ key: 'other', operator: 'Exists' }]);
});

test('finalizers merge as a set; $deleteFromPrimitiveList removes', () => {
  let out = applyStrategicMergePatch(liveDeployment(), { metadata: { finalizers: ['b', 'a'] } }, 'Deployment');
  assert.deepEqual(out.metadata.finalizers, ['b', 'a']);
  out = applyStrategicMergePatch(out, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }, 'Deployment');
  assert.deepEqual(out.metadata.finalizers, ['b']);
});

test('$patch: replace on a list and on a map; $patch: delete on a map', () => {
  let out = applyStrategicMergePatch(liveDeployment(), { spec: { template: { spec: { containers: [{ name: 'only', image: 'i' }, { $patch: 'replace' }] } } } }, 'Deployment');
  assert.deepEqual(out.spec.template.spec.containers, [{ name: 'only', image: 'i' }]);
  out = applyStrategicMergePatch(liveDeployment(), { spec: { selector: { $patch: 'replace', matchLabels: { x: 'y' } } } }, 'Deployment');
  assert.deepEqual(out.spec.selector, { matchLabels: { x: 'y' } });
  out = applyStrategicMergePatch(liveDeployment(), { spec: { strategy: { $patch: 'delete' } } }, 'Deployment');
  assert.deepEqual(out.spec.strategy, {});
});

test('pod: volumes, volumeMounts by mountPath, ports by containerPort with protocol, conditions by type', () => {
  const pod: Any = {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' },
    spec: { containers: [{ name: 'c', ports: [{ containerPort: 53, protocol: 'TCP' }], volumeMounts: [{ name: 'v', mountPath: '/a' }] }], volumes: [{ name: 'v', emptyDir: {} }] },
    status: { conditions: [{ type: 'Ready', status: 'False' }, { type: 'PodScheduled', status: 'True' }] },
  };
  const out = applyStrategicMergePatch(pod, {
    spec: {
      containers: [{ name: 'c', ports: [{ containerPort: 53, protocol: 'UDP' }], volumeMounts: [{ name: 'v', mountPath: '/a', readOnly: true }, { name: 'w', mountPath: '/b' }] }],
      volumes: [{ name: 'w', configMap: { name: 'cm' } }],
    },
    status: { conditions: [{ type: 'Ready', status: 'True' }] },
  }, 'Pod');
  const c = out.spec.containers[0];
  assert.deepEqual(c.ports, [{ containerPort: 53, protocol: 'TCP' }, { containerPort: 53, protocol: 'UDP' }]);
  assert.deepEqual(c.volumeMounts, [{ name: 'v', mountPath: '/a', readOnly: true }, { name: 'w', mountPath: '/b' }]);
  // Kubernetes' mergeSortedSlice puts patch items absent from the live list before server-only ones.
  assert.deepEqual(out.spec.volumes.map((v: { name: string }) => v.name), ['w', 'v']);
  assert.deepEqual(out.status.conditions, [{ type: 'Ready', status: 'True' }, { type: 'PodScheduled', status: 'True' }]);
});

test('service: ports merge by port; selector merges; kubectl label-style metadata patch', () => {
  const svc: Any = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', labels: { a: '1' } }, spec: { selector: { app: 'x' }, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }] } };
  const out = applyStrategicMergePatch(svc, { metadata: { labels: { a: null, b: '2' } }, spec: { ports: [{ port: 80, targetPort: 9090 }] } }, 'Service');
  assert.deepEqual(out.metadata.labels, { b: '2' });
  assert.deepEqual(out.spec.ports[0], { name: 'http', port: 80, targetPort: 9090, protocol: 'TCP' });
  assert.equal(out.spec.ports.length, 2);
});

test('ownerReferences merge by uid; a list element without its merge key is 422; non-object patch 400', () => {
  const obj: Any = { kind: 'ReplicaSet', metadata: { name: 'r', ownerReferences: [{ uid: '1', name: 'a', kind: 'Deployment', apiVersion: 'apps/v1' }] } };
  const out = applyStrategicMergePatch(obj, { metadata: { ownerReferences: [{ uid: '2', name: 'b', kind: 'Deployment', apiVersion: 'apps/v1' }] } }, 'ReplicaSet');
  assert.equal(out.metadata.ownerReferences!.length, 2);
  assert.throws(() => applyStrategicMergePatch(liveDeployment(), { spec: { template: { spec: { containers: [{ image: 'x' }] } } } }, 'Deployment'), (e: unknown) => e instanceof StatusError && e.code === 422);
  assert.throws(() => applyStrategicMergePatch(liveDeployment(), [1], 'Deployment'), (e: unknown) => e instanceof StatusError && e.code === 400);
  assert.throws(() => applyStrategicMergePatch(liveDeployment(), { spec: { $patch: 'bogus' } }, 'Deployment'), (e: unknown) => e instanceof StatusError && e.code === 400);
});

test('unknown kinds and fields: maps merge, lists replace', () => {
  const out = applyStrategicMergePatch({ kind: 'Thing', metadata: {}, spec: { list: [1, 2], m: { a: 1 } } } as Any, { spec: { list: [3], m: { b: 2 } } }, 'Thing');
  assert.deepEqual(out.spec, { list: [3], m: { a: 1, b: 2 } });
});

test('rc template inside ReplicationController merges containers by name', () => {
  const rc: Any = { kind: 'ReplicationController', metadata: { name: 'r' }, spec: { template: { spec: { containers: [{ name: 'a', image: '1' }, { name: 'b', image: '1' }] } } } };
  const out = applyStrategicMergePatch(rc, { spec: { template: { spec: { containers: [{ name: 'b', image: '2' }] } } } }, 'ReplicationController');
  assert.deepEqual(out.spec.template.spec.containers, [{ name: 'a', image: '1' }, { name: 'b', image: '2' }]);
});
