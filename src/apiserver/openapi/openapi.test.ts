import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findResource, RESOURCES } from '../../api/resources.js';
import { StatusError } from '../../api/status-error.js';
import { openApiV3Document, openApiV3Index, strictDecodingError, unknownFields, unknownFieldWarnings } from './index.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

test('index lists every served group-version with a hashed serverRelativeURL', () => {
  const idx = openApiV3Index();
  assert.deepEqual(Object.keys(idx.paths).sort(), ['api/v1', 'apis/apps/v1', 'apis/autoscaling/v1', 'apis/coordination.k8s.io/v1', 'apis/discovery.k8s.io/v1']);
  assert.match(idx.paths['apis/apps/v1'].serverRelativeURL, /^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{128}$/);
  assert.notEqual(idx.paths['api/v1'].serverRelativeURL.split('hash=')[1], idx.paths['apis/apps/v1'].serverRelativeURL.split('hash=')[1]);
  assert.equal(openApiV3Document('apis/nope/v1'), undefined);
  assert.strictEqual(openApiV3Document('api/v1'), openApiV3Document('/api/v1'), 'documents are cached');
});

test('every kind has a schema with its GVK and every PATCH operation lists fieldValidation', () => {
  for (const info of RESOURCES) {
    const gv = info.group ? `apis/${info.group}/${info.version}` : `api/${info.version}`;
    const doc = openApiV3Document(gv) as Json;
    const pkg = info.group ? info.group.replace(/\.k8s\.io$/, '') : 'core';
    const schema = doc.components.schemas[`io.k8s.api.${pkg}.${info.version}.${info.kind}`];
    assert.ok(schema, `schema for ${info.kind}`);
    assert.deepEqual(schema['x-kubernetes-group-version-kind'], [{ group: info.group, version: info.version, kind: info.kind }]);
    const patches = Object.values(doc.paths as Json).filter((p: Json) => p.patch && p.patch['x-kubernetes-group-version-kind']?.kind === info.kind);
    assert.ok(patches.length >= 1, `PATCH for ${info.kind}`);
    for (const p of patches) assert.ok(p.patch.parameters.some((q: Json) => q.name === 'fieldValidation' && q.in === 'query'));
    // every $ref resolves inside the same document
    for (const m of JSON.stringify(doc).matchAll(/"#\/components\/schemas\/([^"]+)"/g)) assert.ok(doc.components.schemas[m[1]], `${gv}: dangling ${m[1]}`);
  }
});

test('schemas carry patch and list extensions', () => {
  const core = openApiV3Document('api/v1') as Json;
  const c = core.components.schemas['io.k8s.api.core.v1.Container'].properties;
  assert.equal(c.ports['x-kubernetes-patch-merge-key'], 'containerPort');
  assert.deepEqual(c.ports['x-kubernetes-list-map-keys'], ['containerPort', 'protocol']);
  assert.equal(c.env['x-kubernetes-patch-strategy'], 'merge');
  const meta = core.components.schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'].properties;
  assert.equal(meta.finalizers['x-kubernetes-list-type'], 'set');
  assert.equal(meta.ownerReferences['x-kubernetes-patch-merge-key'], 'uid');
});

test('unknownFields finds fields the schema does not know, with Kubernetes-style paths', () => {
  const deploy = findResource('apps', 'deployments')!;
  const body = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'x', labels: { a: 'b' }, creationTimestamp: null, labelz: {} },
    spec: {
      foo: 1,
      selector: { matchLabels: { a: 'b' } },
      template: {
        metadata: { labels: { a: 'b' } },
        spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80, bogus: true }], imagePullPolcy: 'Always', securityContext: { anything: 1 } }], affinity: { whatever: {} } },
      },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } },
    },
    status: {},
  };
  assert.deepEqual(unknownFields(deploy, body).sort(), ['metadata.labelz', 'spec.foo', 'spec.template.spec.containers[0].imagePullPolcy', 'spec.template.spec.containers[0].ports[0].bogus']);
  const svc = findResource('', 'services')!;
  assert.deepEqual(unknownFields(svc, { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80, targetPort: 'http' }], selector: { a: 'b' }, type: 'ClusterIP' } }), []);
  const cm = findResource('', 'configmaps')!;
  assert.deepEqual(unknownFields(cm, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { 'any-key': 'v' }, binaryData: { b: 'AA==' } }), []);
  const err = strictDecodingError(deploy, ['spec.foo']);
  assert.ok(err instanceof StatusError && err.code === 400);
  assert.equal(err.message, 'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.foo"');
  assert.deepEqual(unknownFieldWarnings(['spec.foo']), ['unknown field "spec.foo"']);
});

test('no false positives: objects kubectl 1.32 generates (create/run/expose/autoscale --dry-run, get -o json) have no unknown fields', async () => {
  const { readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { resourceForKind } = await import('../../api/resources.js');
  const objects = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'kubectl-1.32-objects.json'), 'utf8')) as Record<string, { kind: string }>;
  assert.ok(Object.keys(objects).length >= 15);
  for (const [name, obj] of Object.entries(objects)) {
    const info = resourceForKind(obj.kind);
    assert.ok(info, `${name}: kind ${obj.kind} served`);
    assert.deepEqual(unknownFields(info, obj), [], name);
  }
});

test('no false positives: a kitchen-sink Deployment using most PodSpec features', () => {
  const deploy = findResource('apps', 'deployments')!;
  const probe = { httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP', httpHeaders: [{ name: 'X', value: 'y' }] }, initialDelaySeconds: 1, periodSeconds: 5, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3, terminationGracePeriodSeconds: 5 };
  const obj = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'k', namespace: 'default', labels: { a: 'b' }, annotations: { x: 'y' }, finalizers: ['f'], ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'o', uid: 'u', controller: true, blockOwnerDeletion: true }] },
    spec: {
      replicas: 1, minReadySeconds: 1, revisionHistoryLimit: 2, progressDeadlineSeconds: 60, paused: false,
      selector: { matchLabels: { a: 'b' }, matchExpressions: [{ key: 'k', operator: 'In', values: ['v'] }] },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
      template: {
        metadata: { labels: { a: 'b' }, annotations: { 'prometheus.io/scrape': 'true' } },
        spec: {
          serviceAccountName: 'sa', automountServiceAccountToken: false, enableServiceLinks: false, hostNetwork: false, dnsPolicy: 'ClusterFirst',
          dnsConfig: { nameservers: ['1.2.3.4'], searches: ['x.local'], options: [{ name: 'ndots', value: '2' }] },
          hostAliases: [{ ip: '127.0.0.1', hostnames: ['foo'] }], hostname: 'h', subdomain: 's', setHostnameAsFQDN: false,
          nodeSelector: { disk: 'ssd' }, priorityClassName: 'high', schedulerName: 'default-scheduler', terminationGracePeriodSeconds: 10, activeDeadlineSeconds: 100,
          securityContext: { runAsUser: 1000, runAsNonRoot: true, fsGroup: 2000, seccompProfile: { type: 'RuntimeDefault' } },
          affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'k', operator: 'Exists' }] }] } } },
          tolerations: [{ key: 'k', operator: 'Equal', value: 'v', effect: 'NoExecute', tolerationSeconds: 30 }],
          topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { a: 'b' } }, matchLabelKeys: ['pod-template-hash'] }],
          imagePullSecrets: [{ name: 'reg' }], readinessGates: [{ conditionType: 'x/ready' }], os: { name: 'linux' },
          volumes: [
            { name: 'cm', configMap: { name: 'c', items: [{ key: 'a', path: 'a.txt', mode: 420 }], defaultMode: 420, optional: true } },
            { name: 'sec', secret: { secretName: 's', defaultMode: 256 } },
            { name: 'tmp', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
            { name: 'host', hostPath: { path: '/var/log', type: 'Directory' } },
            { name: 'proj', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3600 } }] } },
            { name: 'dapi', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
            { name: 'pvc', persistentVolumeClaim: { claimName: 'data' } },
          ],
          initContainers: [{ name: 'init', image: 'busybox', command: ['sh', '-c', 'true'], restartPolicy: 'Always' }],
          containers: [
            {
              name: 'app', image: 'nginx:1', imagePullPolicy: 'IfNotPresent', command: ['nginx'], args: ['-g', 'daemon off;'], workingDir: '/',
              ports: [{ name: 'http', containerPort: 80, protocol: 'TCP', hostPort: 8080, hostIP: '0.0.0.0' }],
              env: [
                { name: 'A', value: '1' },
                { name: 'POD_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } },
                { name: 'CPU', valueFrom: { resourceFieldRef: { containerName: 'app', resource: 'limits.cpu', divisor: '1m' } } },
                { name: 'C', valueFrom: { configMapKeyRef: { name: 'c', key: 'a', optional: true } } },
                { name: 'S', valueFrom: { secretKeyRef: { name: 's', key: 'p' } } },
              ],
              envFrom: [{ prefix: 'P_', configMapRef: { name: 'c', optional: true } }, { secretRef: { name: 's' } }],
              resources: { requests: { cpu: '100m', memory: 64 }, limits: { cpu: 1, memory: '128Mi' } },
              volumeMounts: [{ name: 'cm', mountPath: '/etc/c', readOnly: true, subPath: 'a.txt' }, { name: 'tmp', mountPath: '/tmp', mountPropagation: 'None' }],
              livenessProbe: probe, readinessProbe: { tcpSocket: { port: 80 } }, startupProbe: { exec: { command: ['true'] } },
              lifecycle: { postStart: { exec: { command: ['true'] } }, preStop: { sleep: { seconds: 5 } } },
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true },
              terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'FallbackToLogsOnError', stdin: false, tty: false,
              resizePolicy: [{ resourceName: 'cpu', restartPolicy: 'NotRequired' }],
            },
          ],
        },
      },
    },
    status: { observedGeneration: 1, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1, conditions: [{ type: 'Available', status: 'True', lastUpdateTime: '2025-01-01T00:00:00Z', lastTransitionTime: '2025-01-01T00:00:00Z', reason: 'MinimumReplicasAvailable', message: 'ok' }] },
  };
  assert.deepEqual(unknownFields(deploy, obj), []);
});

test('unknownFields never throws on arbitrary JSON', () => {
  let s = 99;
  const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const keys = ['metadata', 'spec', 'template', 'containers', 'ports', 'env', 'labels', 'x', 'status', 'data', 'selector', 'volumes'];
  const value = (d: number): unknown => {
    const r = rnd();
    if (d > 5 || r < 0.3) return [null, 1, 'x', true, ''][Math.floor(rnd() * 5)];
    if (r < 0.55) return Array.from({ length: Math.floor(rnd() * 3) }, () => value(d + 1));
    return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 5) }, () => [keys[Math.floor(rnd() * keys.length)], value(d + 1)]));
  };
  for (let i = 0; i < 3000; i++) for (const info of RESOURCES) assert.ok(Array.isArray(unknownFields(info, value(0))));
});
