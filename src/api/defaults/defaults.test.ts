import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults, carryOverServiceAllocations } from './index.js';
import { resourceForKind } from '../resources.js';
import type { Deployment, Namespace, Pod, ReplicationController, Service, HorizontalPodAutoscaler, Node, EndpointSlice } from '../types.js';

const info = (kind: string) => resourceForKind(kind)!;
const clone = <T>(o: T): T => JSON.parse(JSON.stringify(o)) as T;

test('pod defaults match Kubernetes', () => {
  const pod: Pod = {
    metadata: { name: 'p', namespace: 'default' },
    spec: {
      containers: [
        {
          name: 'c',
          image: 'nginx',
          ports: [{ containerPort: 80 }],
          readinessProbe: { httpGet: { port: 80 } },
          livenessProbe: { tcpSocket: { port: 'http' }, periodSeconds: 5 },
          resources: { limits: { cpu: '500m', memory: '64Mi' } },
          env: [{ name: 'N', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
        },
        { name: 'd', image: 'busybox:1.36' },
      ],
    },
  };
  applyDefaults(info('Pod'), pod);
  const s = pod.spec!;
  assert.equal(s.restartPolicy, 'Always');
  assert.equal(s.dnsPolicy, 'ClusterFirst');
  assert.equal(s.terminationGracePeriodSeconds, 30);
  assert.equal(s.schedulerName, 'default-scheduler');
  assert.equal(s.enableServiceLinks, true);
  assert.equal(s.serviceAccountName, 'default');
  assert.equal(s.serviceAccount, 'default');
  assert.equal(s.priority, 0);
  assert.deepEqual(s.securityContext, {});
  assert.deepEqual(
    s.tolerations!.map((t) => [t.key, t.operator, t.effect, t.tolerationSeconds]),
    [
      ['node.kubernetes.io/not-ready', 'Exists', 'NoExecute', 300],
      ['node.kubernetes.io/unreachable', 'Exists', 'NoExecute', 300],
    ],
  );
  const c = s.containers[0];
  assert.equal(c.terminationMessagePath, '/dev/termination-log');
  assert.equal(c.terminationMessagePolicy, 'File');
  assert.equal(c.imagePullPolicy, 'Always', 'untagged image pulls Always');
  assert.equal(s.containers[1].imagePullPolicy, 'IfNotPresent', 'tagged image');
  assert.deepEqual(s.containers[1].resources, {});
  assert.equal(c.ports![0].protocol, 'TCP');
  assert.deepEqual(c.readinessProbe, { httpGet: { port: 80, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
  assert.equal(c.livenessProbe!.periodSeconds, 5, 'explicit values kept');
  assert.deepEqual(c.resources!.requests, { cpu: '500m', memory: '64Mi' }, 'requests default to limits');
  assert.equal(c.env![0].valueFrom!.fieldRef!.apiVersion, 'v1');
  assert.equal(pod.status!.phase, 'Pending');
  assert.equal(pod.status!.qosClass, 'Burstable');
  // Idempotent.
  const again = clone(pod);
  applyDefaults(info('Pod'), again);
  assert.deepEqual(again, pod);
});

test('pod: explicit values win; hostNetwork defaults hostPort; image with registry port', () => {
  const pod: Pod = {
    metadata: { name: 'p', namespace: 'default' },
    spec: {
      restartPolicy: 'Never',
      dnsPolicy: 'Default',
      terminationGracePeriodSeconds: 0,
      enableServiceLinks: false,
      hostNetwork: true,
      tolerations: [{ operator: 'Exists' }],
      containers: [{ name: 'c', image: 'registry:5000/app', imagePullPolicy: 'Never', ports: [{ containerPort: 8080, protocol: 'UDP' }] }],
    },
  };
  applyDefaults(info('Pod'), pod);
  const s = pod.spec!;
  assert.equal(s.restartPolicy, 'Never');
  assert.equal(s.dnsPolicy, 'Default');
  assert.equal(s.terminationGracePeriodSeconds, 0);
  assert.equal(s.enableServiceLinks, false);
  assert.equal(s.containers[0].imagePullPolicy, 'Never');
  assert.equal(s.containers[0].ports![0].protocol, 'UDP');
  assert.equal(s.containers[0].ports![0].hostPort, 8080);
  assert.equal(s.tolerations!.length, 1, 'a match-all toleration already covers not-ready/unreachable');
  const p2: Pod = { metadata: { name: 'q' }, spec: { containers: [{ name: 'c', image: 'registry:5000/app:v2' }] } };
  applyDefaults(info('Pod'), p2);
  assert.equal(p2.spec!.containers[0].imagePullPolicy, 'IfNotPresent');
});

test('service defaults', () => {
  const svc: Service = { metadata: { name: 's', namespace: 'default' }, spec: { type: 'NodePort', selector: { app: 'x' }, ports: [{ port: 80 }, { port: 53, protocol: 'UDP', targetPort: 'dns' }] } };
  applyDefaults(info('Service'), svc);
  const s = svc.spec!;
  assert.equal(s.sessionAffinity, 'None');
  assert.equal(s.externalTrafficPolicy, 'Cluster');
  assert.equal(s.internalTrafficPolicy, 'Cluster');
  assert.deepEqual(s.ports, [
    { port: 80, protocol: 'TCP', targetPort: 80 },
    { port: 53, protocol: 'UDP', targetPort: 'dns' },
  ]);
  assert.equal(s.ipFamilyPolicy, 'SingleStack');
  assert.deepEqual(s.ipFamilies, ['IPv4']);
  assert.equal(s.clusterIP, undefined, 'allocation is not defaulting');

  const plain: Service = { metadata: { name: 's' }, spec: { ports: [{ port: 80 }] } };
  applyDefaults(info('Service'), plain);
  assert.equal(plain.spec!.type, 'ClusterIP');
  assert.equal(plain.spec!.externalTrafficPolicy, undefined, 'only externally-accessible services get one');

  const ext: Service = { metadata: { name: 's' }, spec: { type: 'ExternalName', externalName: 'example.com' } };
  applyDefaults(info('Service'), ext);
  assert.equal(ext.spec!.internalTrafficPolicy, undefined);
  assert.equal(ext.spec!.ipFamilies, undefined);

  const lb: Service = { metadata: { name: 's' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }], clusterIP: '10.96.0.9' } };
  applyDefaults(info('Service'), lb);
  assert.equal(lb.spec!.allocateLoadBalancerNodePorts, true);
  assert.deepEqual(lb.spec!.clusterIPs, ['10.96.0.9'], 'clusterIPs kept in step with clusterIP');
});

test('carryOverServiceAllocations keeps clusterIP and nodePorts a client left out', () => {
  const old: Service = {
    metadata: { name: 's' },
    spec: { type: 'NodePort', clusterIP: '10.96.0.7', clusterIPs: ['10.96.0.7'], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30114 }] },
  };
  const upd: Service = { metadata: { name: 's' }, spec: { type: 'NodePort', ports: [{ name: 'http', port: 80 }] } };
  carryOverServiceAllocations(upd, old);
  applyDefaults(info('Service'), upd);
  assert.equal(upd.spec!.clusterIP, '10.96.0.7');
  assert.deepEqual(upd.spec!.clusterIPs, ['10.96.0.7']);
  assert.equal(upd.spec!.ports![0].nodePort, 30114);
  const toClusterIP: Service = { metadata: { name: 's' }, spec: { type: 'ClusterIP', ports: [{ port: 80 }] } };
  carryOverServiceAllocations(toClusterIP, old);
  assert.equal(toClusterIP.spec!.ports![0].nodePort, undefined, 'ClusterIP services drop nodePorts');
});

test('changing a Service type drops the fields the new type cannot have (if unchanged)', async () => {
  const { validateObject } = await import('../validation/index.js');
  const stored: Service = {
    metadata: { name: 's', namespace: 'default' },
    spec: { type: 'NodePort', clusterIP: '10.96.0.7', selector: { app: 'a' }, ports: [{ port: 80, nodePort: 30114 }] },
  };
  applyDefaults(info('Service'), stored);
  // What a merge of `type: ClusterIP` onto the stored object looks like.
  const merged = clone(stored);
  merged.spec!.type = 'ClusterIP';
  carryOverServiceAllocations(merged, stored);
  applyDefaults(info('Service'), merged);
  assert.equal(merged.spec!.ports![0].nodePort, undefined);
  assert.equal(merged.spec!.externalTrafficPolicy, undefined);
  assert.equal(merged.spec!.clusterIP, '10.96.0.7');
  assert.deepEqual(validateObject(info('Service'), merged, stored), []);
  // A nodePort the client changed is kept, so validation can reject it.
  const changed = clone(stored);
  changed.spec!.type = 'ClusterIP';
  changed.spec!.ports![0].nodePort = 30115;
  carryOverServiceAllocations(changed, stored);
  applyDefaults(info('Service'), changed);
  assert.deepEqual(
    validateObject(info('Service'), changed, stored).map((c) => c.field),
    ['spec.ports[0].nodePort'],
  );
  // To ExternalName: the cluster IP goes away.
  const ext = clone(stored);
  ext.spec!.type = 'ExternalName';
  ext.spec!.externalName = 'db.example.com';
  carryOverServiceAllocations(ext, stored);
  applyDefaults(info('Service'), ext);
  assert.equal(ext.spec!.clusterIP, undefined);
  assert.equal(ext.spec!.clusterIPs, undefined);
  assert.equal(ext.spec!.ipFamilies, undefined);
  assert.deepEqual(validateObject(info('Service'), ext, stored), []);
});

test('deployment defaults', () => {
  const d: Deployment = {
    metadata: { name: 'd', namespace: 'default' },
    spec: { selector: { matchLabels: { app: 'a' } }, template: { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'i:1' }] } } },
  };
  applyDefaults(info('Deployment'), d);
  const s = d.spec!;
  assert.equal(s.replicas, 1);
  assert.deepEqual(s.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
  assert.equal(s.revisionHistoryLimit, 10);
  assert.equal(s.progressDeadlineSeconds, 600);
  assert.equal(s.template.spec!.restartPolicy, 'Always');
  assert.equal(s.template.spec!.containers[0].terminationMessagePath, '/dev/termination-log');
  assert.equal(s.template.spec!.enableServiceLinks, undefined, 'templates do not get pod-only defaults');
  assert.equal(s.template.spec!.serviceAccountName, undefined);
  const hn: Deployment = {
    metadata: { name: 'd' },
    spec: { selector: {}, template: { spec: { hostNetwork: true, containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80 }] }] } } },
  };
  applyDefaults(info('Deployment'), hn);
  assert.equal(hn.spec!.template.spec!.containers[0].ports![0].hostPort, undefined, 'templates do not get hostPort defaulting');
  const rec: Deployment = { metadata: { name: 'd' }, spec: { replicas: 0, strategy: { type: 'Recreate' }, selector: {}, template: {} } };
  applyDefaults(info('Deployment'), rec);
  assert.equal(rec.spec!.replicas, 0);
  assert.equal(rec.spec!.strategy!.rollingUpdate, undefined);
});

test('replicaset, replication controller, namespace, hpa, node, endpointslice', () => {
  const rc: ReplicationController = { metadata: { name: 'rc', namespace: 'default' }, spec: { template: { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } };
  applyDefaults(info('ReplicationController'), rc);
  assert.deepEqual(rc.spec!.selector, { app: 'a' });
  assert.deepEqual(rc.metadata.labels, { app: 'a' });
  assert.equal(rc.spec!.replicas, 1);
  const rs = { metadata: { name: 'rs' }, spec: { selector: { matchLabels: { a: 'b' } } } };
  applyDefaults(info('ReplicaSet'), rs);
  assert.equal((rs.spec as { replicas?: number }).replicas, 1);
  const ns: Namespace = { metadata: { name: 'dev' } };
  applyDefaults(info('Namespace'), ns);
  assert.deepEqual(ns.spec, { finalizers: ['kubernetes'] });
  assert.equal(ns.status!.phase, 'Active');
  assert.equal(ns.metadata.labels!['kubernetes.io/metadata.name'], 'dev');
  const hpa: HorizontalPodAutoscaler = { metadata: { name: 'h' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'd' }, maxReplicas: 5 } };
  applyDefaults(info('HorizontalPodAutoscaler'), hpa);
  assert.equal(hpa.spec!.minReplicas, 1);
  const node: Node = { metadata: { name: 'n' }, status: { capacity: { cpu: '2', memory: '4Gi' } } };
  applyDefaults(info('Node'), node);
  assert.deepEqual(node.status!.allocatable, { cpu: '2', memory: '4Gi' });
  const slice: EndpointSlice = { metadata: { name: 's' }, addressType: 'IPv4', endpoints: [{ addresses: ['198.18.0.1'] }], ports: [{ port: 80 }] };
  applyDefaults(info('EndpointSlice'), slice);
  assert.deepEqual(slice.ports, [{ port: 80, protocol: 'TCP', name: '' }]);
});

test('applyDefaults tolerates garbage', () => {
  for (const kind of ['Pod', 'Service', 'Deployment', 'ReplicaSet', 'ReplicationController', 'Namespace', 'Secret', 'Node', 'EndpointSlice', 'Endpoints', 'HorizontalPodAutoscaler']) {
    for (const body of [{}, { metadata: 1 }, { metadata: {}, spec: 5 }, { metadata: {}, spec: { containers: [null, 3], ports: [null] }, status: 'x' }]) {
      assert.doesNotThrow(() => applyDefaults(info(kind), body as never), `${kind} ${JSON.stringify(body)}`);
    }
  }
});
