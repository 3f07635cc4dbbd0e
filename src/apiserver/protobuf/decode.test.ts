import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeProtobufObject } from './index.js';
import { encodeProtobufObject } from './encode.test-suite.js';
import { StatusError } from '../../api/status-error.js';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', `kubectl-1.32-${name}.bin`));

test('real kubectl 1.32 bodies (captured from kubectl create ...) decode to the objects kubectl meant', () => {
  assert.deepEqual(decodeProtobufObject(fixture('create-namespace')), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'skiff-ns' } });
  assert.deepEqual(decodeProtobufObject(fixture('create-configmap')), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm1', namespace: 'ns1' }, data: { a: 'b', k2: 'v2' } });
  assert.deepEqual(decodeProtobufObject(fixture('create-secret-generic')), { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's1', namespace: 'ns1' }, data: { pw: Buffer.from('s3cr3t').toString('base64') } });
  assert.deepEqual(decodeProtobufObject(fixture('create-deployment')), {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'ns1', labels: { app: 'web' } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.27', command: ['/bin/sh', '-c', 'sleep 1'], ports: [{ containerPort: 8080 }] }] } },
    },
  });
  assert.deepEqual(decodeProtobufObject(fixture('create-service-clusterip')).spec, {
    ports: [
      { name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 },
      { name: '443-https', protocol: 'TCP', port: 443, targetPort: 'https' },
    ],
    selector: { app: 'svc1' },
    type: 'ClusterIP',
  });
  assert.equal((decodeProtobufObject(fixture('create-service-nodeport')).spec as { ports: { nodePort: number }[] }).ports[0].nodePort, 30080);
  const ssar = decodeProtobufObject(fixture('auth-can-i'));
  assert.equal(ssar.kind, 'SelfSubjectAccessReview');
  assert.deepEqual(ssar.spec, { resourceAttributes: { namespace: 'default', verb: 'get', resource: 'pods' } });
  const two = decodeProtobufObject(fixture('create-deployment-two-images')) as unknown as { spec: { template: { spec: { containers: unknown[] } } } };
  assert.equal(two.spec.template.spec.containers.length, 2);
});

test('round trip through the test encoder: rich Deployment, Service, ConfigMap with binaryData, Secret', () => {
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'rich', namespace: 'default', labels: { a: 'b' }, annotations: { note: 'x' }, finalizers: ['f'], creationTimestamp: '2024-05-06T07:08:09Z',
      ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'o', uid: 'u1', controller: true }],
    },
    spec: {
      replicas: 0,
      revisionHistoryLimit: 5,
      selector: { matchLabels: { a: 'b' }, matchExpressions: [{ key: 'k', operator: 'In', values: ['v1', 'v2'] }] },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '50%', maxUnavailable: 0 } },
      template: {
        metadata: { labels: { a: 'b' } },
        spec: {
          terminationGracePeriodSeconds: 0,
          tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 30 }],
          volumes: [{ name: 'scratch', emptyDir: {} }, { name: 'cfg', configMap: { name: 'cm', defaultMode: 420 } }],
          containers: [
            {
              name: 'c',
              image: 'img',
              args: ['--x'],
              env: [{ name: 'A', value: '1' }, { name: 'B', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }, { name: 'C', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
              envFrom: [{ configMapRef: { name: 'cm' } }],
              resources: { limits: { cpu: '500m', memory: '64Mi' }, requests: { cpu: '100m' } },
              volumeMounts: [{ name: 'scratch', mountPath: '/tmp/x', readOnly: true }],
              readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 2 },
              livenessProbe: { tcpSocket: { port: 8080 }, initialDelaySeconds: 1 },
              startupProbe: { exec: { command: ['true'] } },
              ports: [{ name: 'http', containerPort: 8080, protocol: 'UDP' }],
            },
          ],
        },
      },
    },
  };
  assert.deepEqual(decodeProtobufObject(encodeProtobufObject(deployment)), deployment);
  const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'h' }, spec: { clusterIP: 'None', ports: [{ port: 53, protocol: 'UDP', targetPort: 'dns' }], sessionAffinity: 'ClientIP', externalName: 'x.example' } };
  assert.deepEqual(decodeProtobufObject(encodeProtobufObject(svc)), svc);
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b' }, binaryData: { bin: Buffer.from([0, 255, 1]).toString('base64') }, immutable: false };
  assert.deepEqual(decodeProtobufObject(encodeProtobufObject(cm)), cm);
  const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 't' }, type: 'kubernetes.io/tls', data: { 'tls.crt': 'AAEC', 'tls.key': '' }, stringData: { x: 'y' } };
  assert.deepEqual(decodeProtobufObject(encodeProtobufObject(secret)), secret);
});

test('unknown fields are skipped, whatever their wire type', () => {
  // field 99 varint, field 98 fixed64, field 97 length-delimited, field 96 fixed32 appended to a Namespace
  const tail = Buffer.from([0x98, 0x06, 0x05, 0x91, 0x06, 1, 2, 3, 4, 5, 6, 7, 8, 0x8a, 0x06, 0x02, 0x41, 0x42, 0x85, 0x06, 1, 2, 3, 4]);
  const body = encodeProtobufObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' } }, tail);
  assert.deepEqual(decodeProtobufObject(body), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' } });
});

test('malformed bodies are 400 StatusErrors and never crash; unsupported kinds are 415', () => {
  const is = (code: number) => (e: unknown) => e instanceof StatusError && e.code === code;
  assert.throws(() => decodeProtobufObject(Buffer.from('{"kind":"Namespace"}')), is(400));
  assert.throws(() => decodeProtobufObject(Buffer.from('k8s')), is(400));
  const good = fixture('create-deployment');
  for (let cut = 4; cut < good.length; cut += 7) {
    try {
      decodeProtobufObject(good.subarray(0, cut));
    } catch (e) {
      assert.ok(e instanceof StatusError && e.code === 400, `cut at ${cut}: ${String(e)}`);
    }
  }
  // deterministic pseudo-random mutations of a real body
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < 2000; i++) {
    const b = Buffer.from(good);
    for (let j = 0; j < 3; j++) b[4 + Math.floor(rnd() * (b.length - 4))] = Math.floor(rnd() * 256);
    try {
      decodeProtobufObject(b);
    } catch (e) {
      assert.ok(e instanceof StatusError && (e.code === 400 || e.code === 415), `mutation ${i}: ${String(e)}`);
    }
  }
  assert.throws(() => decodeProtobufObject(encodeProtobufObject({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'x' } })), is(415));
});

test('more captured kubectl 1.32 bodies: docker-registry secret, ExternalName/LoadBalancer/headless services, binary configmap, zero replicas', () => {
  const docker = decodeProtobufObject(fixture('create-secret-docker-registry'));
  assert.equal(docker.type, 'kubernetes.io/dockerconfigjson');
  const cfg = JSON.parse(Buffer.from((docker.data as Record<string, string>)['.dockerconfigjson'], 'base64').toString()) as { auths: Record<string, { username: string }> };
  assert.equal(cfg.auths['r.example'].username, 'u');
  assert.deepEqual(decodeProtobufObject(fixture('create-service-externalname')).spec, { selector: { app: 'e1' }, type: 'ExternalName', externalName: 'db.example.com' });
  assert.deepEqual(decodeProtobufObject(fixture('create-service-loadbalancer')).spec, { ports: [{ name: '443-8443', protocol: 'TCP', port: 443, targetPort: 8443 }], selector: { app: 'lb1' }, type: 'LoadBalancer' });
  assert.equal((decodeProtobufObject(fixture('create-service-headless')).spec as { clusterIP: string }).clusterIP, 'None');
  const bin = decodeProtobufObject(fixture('create-configmap-binary'));
  assert.deepEqual(bin.data, { txt: 'hello' });
  assert.deepEqual(Buffer.from((bin.binaryData as Record<string, string>).blob, 'base64'), Buffer.from([0, 255, 1, ...Buffer.from('binary')]));
  assert.equal((decodeProtobufObject(fixture('create-deployment-zero-replicas')).spec as { replicas: number }).replicas, 0, 'a pointer field keeps its zero');
});

test('kubectl 1.33 bodies (serviceaccount, deployment) decode too', () => {
  const read = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', `kubectl-1.33-${name}.bin`));
  assert.deepEqual(decodeProtobufObject(read('create-serviceaccount')), { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa33' } });
  const d = decodeProtobufObject(read('create-deployment')) as unknown as { spec: { replicas: number; template: { spec: { containers: { name: string; image: string }[] } } } };
  assert.equal(d.spec.replicas, 1);
  assert.deepEqual(d.spec.template.spec.containers, [{ name: 'x', image: 'x' }]);
});
