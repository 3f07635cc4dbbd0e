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
