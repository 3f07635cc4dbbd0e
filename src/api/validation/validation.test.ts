import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateObject, assertValid } from './index.js';
import { applyDefaults } from '../defaults/index.js';
import { resourceForKind, type ResourceInfo } from '../resources.js';
import { StatusError } from '../status-error.js';
import type { KubeObject, StatusCause } from '../meta.js';
import type { Deployment, Pod, Service } from '../types.js';

const info = (kind: string): ResourceInfo => resourceForKind(kind)!;

function causes(kind: string, obj: KubeObject, old?: KubeObject): StatusCause[] {
  const i = info(kind);
  applyDefaults(i, obj);
  if (old) applyDefaults(i, old);
  return validateObject(i, obj, old);
}

function lines(cs: StatusCause[]): string[] {
  return cs.map((c) => `${c.field}: ${c.message}`);
}

const clone = <T>(o: T): T => JSON.parse(JSON.stringify(o)) as T;

function svc(spec: Service['spec'], name = 'web'): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec };
}

function pod(spec: Partial<NonNullable<Pod['spec']>>, name = 'p'): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec } };
}

function deploy(over: Partial<NonNullable<Deployment['spec']>> = {}): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'pay-v1', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'pay-v1' } },
      template: { metadata: { labels: { app: 'pay-v1' } }, spec: { containers: [{ name: 'pay', image: 'pay:1' }] } },
      ...over,
    },
  };
}

test('a valid Service, Pod and Deployment have no causes', () => {
  assert.deepEqual(causes('Service', svc({ selector: { app: 'x' }, ports: [{ port: 80 }] })), []);
  assert.deepEqual(causes('Service', svc({ type: 'NodePort', selector: { app: 'x' }, ports: [{ port: 80, nodePort: 30114 }], clusterIP: '10.96.0.5' })), []);
  assert.deepEqual(causes('Pod', pod({})), []);
  assert.deepEqual(causes('Deployment', deploy()), []);
});

test('service port 0: the exact cause and 422 message', () => {
  const s = svc({ ports: [{ port: 0 }] });
  const cs = causes('Service', s);
  // targetPort defaults to port (0), so Kubernetes reports it too.
  assert.deepEqual(cs, [
    { reason: 'FieldValueInvalid', field: 'spec.ports[0].port', message: 'Invalid value: 0: must be between 1 and 65535, inclusive' },
    { reason: 'FieldValueInvalid', field: 'spec.ports[0].targetPort', message: 'Invalid value: 0: must be between 1 and 65535, inclusive' },
  ]);
  try {
    assertValid(info('Service'), s);
    assert.fail('expected 422');
  } catch (e) {
    assert.ok(e instanceof StatusError);
    assert.equal(e.code, 422);
    assert.equal(e.reason, 'Invalid');
    assert.equal(
      e.message,
      'Service "web" is invalid: [spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive, spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive]',
    );
    assert.deepEqual(e.details?.causes, cs);
    assert.equal(e.details?.kind, 'Service');
  }
});

test('every Service problem is reported at once', () => {
  const s = svc({
    type: 'Foo' as 'ClusterIP',
    ports: [
      { port: 70000, protocol: 'HTTP' as 'TCP', targetPort: 'x--y' },
      { port: 80, name: 'web' },
      { port: 80, name: 'web' },
    ],
    sessionAffinity: 'Sticky' as 'None',
    clusterIP: '10.0.0.300',
  }, '1bad');
  const got = lines(causes('Service', s));
  const want = [
    'metadata.name: Invalid value: "1bad": a DNS-1035 label must consist of lower case alphanumeric characters or \'-\', start with an alphabetic character, and end with an alphanumeric character (e.g. \'my-name\',  or \'abc-123\', regex used for validation is \'[a-z]([-a-z0-9]*[a-z0-9])?\')',
    'spec.ports[0].name: Required value',
    'spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive',
    'spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
    'spec.ports[0].targetPort: Invalid value: "x--y": must not contain consecutive hyphens',
    'spec.ports[2].name: Duplicate value: "web"',
    'spec.sessionAffinity: Unsupported value: "Sticky": supported values: "ClientIP", "None"',
    'spec.clusterIPs[0]: Invalid value: "10.0.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
    'spec.type: Unsupported value: "Foo": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
    'spec.ports[2]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}',
  ];
  for (const w of want) assert.ok(got.includes(w), `missing: ${w}\n got:\n${got.join('\n')}`);
});

test('service rules: ports required, headless, ExternalName, nodePort only for NodePort/LB, affinity timeout', () => {
  assert.deepEqual(lines(causes('Service', svc({ selector: { a: 'b' } }))), ['spec.ports: Required value']);
  assert.deepEqual(causes('Service', svc({ clusterIP: 'None', selector: { a: 'b' } })), [], 'headless needs no ports');
  assert.deepEqual(lines(causes('Service', svc({ type: 'ExternalName' }))), ['spec.externalName: Required value']);
  assert.deepEqual(causes('Service', svc({ type: 'ExternalName', externalName: 'db.example.com.' })), []);
  assert.match(lines(causes('Service', svc({ type: 'ExternalName', externalName: 'Bad_Name' })))[0], /^spec.externalName: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
  assert.deepEqual(lines(causes('Service', svc({ ports: [{ port: 80, nodePort: 30001 }] }))), [
    "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
  ]);
  assert.deepEqual(lines(causes('Service', svc({ type: 'NodePort', clusterIP: 'None', ports: [{ port: 80 }] }))), [
    "spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort services",
  ]);
  const aff = svc({ ports: [{ port: 80 }], sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 0 } } });
  assert.deepEqual(lines(causes('Service', aff)), ['spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 0: must be greater than 0 and less than 86400']);
  const ok = svc({ ports: [{ port: 80 }], sessionAffinity: 'ClientIP' });
  assert.deepEqual(causes('Service', ok), []);
  assert.equal(ok.spec!.sessionAffinityConfig!.clientIP!.timeoutSeconds, 10800);
  assert.deepEqual(lines(causes('Service', svc({ ports: [{ port: 80 }], externalTrafficPolicy: 'Local' }))), [
    'spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services',
  ]);
  const dupNode = svc({ type: 'NodePort', ports: [{ port: 80, name: 'a', nodePort: 30001 }, { port: 81, name: 'b', nodePort: 30001 }] });
  assert.deepEqual(lines(causes('Service', dupNode)), ['spec.ports[1].nodePort: Duplicate value: 30001']);
});

test('service update: clusterIP may not change', () => {
  const old = svc({ ports: [{ port: 80 }], clusterIP: '10.96.0.5' });
  const upd = clone(old);
  upd.spec!.clusterIP = '10.96.0.6';
  upd.spec!.clusterIPs = ['10.96.0.6'];
  assert.deepEqual(lines(causes('Service', upd, old)), ['spec.clusterIPs[0]: Invalid value: []string{"10.96.0.6"}: may not change once set']);
  const same = clone(old);
  assert.deepEqual(causes('Service', same, old), []);
});

test('object meta: names, namespace, labels, annotations', () => {
  const ns = { metadata: { name: 'a.b' } };
  assert.match(lines(causes('Namespace', ns))[0], /^metadata.name: Invalid value: "a.b": a lowercase RFC 1123 label must consist of/);
  assert.deepEqual(lines(causes('Pod', pod({}, 'a.b'))), [], 'pods take DNS subdomains');
  assert.match(lines(causes('Pod', pod({}, 'A')))[0], /^metadata.name: Invalid value: "A": a lowercase RFC 1123 subdomain/);
  assert.deepEqual(lines(causes('Pod', { metadata: { namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'i' }] } })), [
    'metadata.name: Required value: name or generateName is required',
  ]);
  const noNs = pod({});
  delete noNs.metadata.namespace;
  assert.deepEqual(lines(causes('Pod', noNs)), ['metadata.namespace: Required value']);
  assert.deepEqual(lines(causes('Node', { metadata: { name: 'n', namespace: 'x' } })), ['metadata.namespace: Forbidden: not allowed on this type']);
  const gen = pod({}, 'web-abcde');
  gen.metadata.generateName = 'web-';
  assert.deepEqual(causes('Pod', gen), [], 'generateName may end with a dash');
  const lab = pod({});
  lab.metadata.labels = { 'bad key': 'v', good: '-bad-value-' };
  const ls = lines(causes('Pod', lab));
  assert.equal(ls.length, 2);
  assert.match(ls[0], /^metadata.labels: Invalid value: "bad key": name part must consist of/);
  assert.match(ls[1], /^metadata.labels: Invalid value: "-bad-value-": a valid label must be an empty string/);
  const ann = pod({});
  ann.metadata.annotations = { Big: 'x'.repeat(256 * 1024) };
  assert.deepEqual(lines(causes('Pod', ann)), ['metadata.annotations: Too long: may not be more than 262144 bytes']);
  ann.metadata.annotations = { 'UPPER.Example/Case': 'ok' };
  assert.deepEqual(causes('Pod', ann), [], 'annotation keys are checked lower-cased');
  ann.metadata.annotations = { 'bad_prefix/x': 'ok' };
  assert.match(lines(causes('Pod', ann))[0] ?? '', /prefix part a lowercase RFC 1123 subdomain/);
});

test('pod rules: containers, names, ports, probes, restartPolicy, resources', () => {
  assert.deepEqual(lines(causes('Pod', pod({ containers: [] }))), ['spec.containers: Required value']);
  const p = pod({
    restartPolicy: 'Sometimes' as 'Always',
    containers: [
      { name: 'Web', image: 'i', ports: [{ containerPort: 0 }, { containerPort: 8080, name: 'http' }, { containerPort: 8081, name: 'http' }] },
      { name: 'side', image: 'i', readinessProbe: {}, livenessProbe: { exec: { command: ['true'] }, tcpSocket: { port: 80 }, successThreshold: 2 } },
      { name: 'side', image: '', resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '2', memory: 'lots' } } },
      { name: 'fine', image: 'i', resources: { limits: { cpu: '100m' }, requests: { cpu: '0.1' } } },
      { name: 'canon', image: 'i', resources: { limits: { cpu: '0.1' }, requests: { cpu: '0.2' } } },
    ],
  });
  const got = lines(causes('Pod', p));
  const want = [
    "spec.containers[0].name: Invalid value: \"Web\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    'spec.containers[0].ports[0].containerPort: Required value',
    'spec.containers[0].ports[2].name: Duplicate value: "http"',
    'spec.containers[1].readinessProbe: Required value: must specify a handler type',
    'spec.containers[1].livenessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type',
    'spec.containers[1].livenessProbe.successThreshold: Invalid value: 2: must be 1',
    'spec.containers[2].name: Duplicate value: "side"',
    'spec.containers[2].image: Required value',
    'spec.containers[2].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1',
    `spec.containers[2].resources.requests[memory]: Invalid value: "lots": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
    'spec.containers[4].resources.requests: Invalid value: "200m": must be less than or equal to cpu limit of 100m',
    'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
  ];
  for (const w of want) assert.ok(got.includes(w), `missing: ${w}\n got:\n${got.join('\n')}`);
  assert.equal(got.length, want.length, got.join('\n'));
});

test('init containers: names unique across all containers, no probes unless sidecar', () => {
  const p = pod({
    initContainers: [
      { name: 'c', image: 'i' },
      { name: 'setup', image: 'i', readinessProbe: { exec: { command: ['true'] } } },
      { name: 'side', image: 'i', restartPolicy: 'Always', readinessProbe: { exec: { command: ['true'] } } },
    ],
  });
  assert.deepEqual(lines(causes('Pod', p)), [
    'spec.initContainers[0].name: Duplicate value: "c"',
    'spec.initContainers[1].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always',
  ]);
});

test('pod env fieldRef paths, dnsPolicy None, tolerations, hostname', () => {
  const p = pod({
    dnsPolicy: 'None',
    hostname: 'Bad_Host',
    tolerations: [{ key: 'k', operator: 'Exists', value: 'v' }, { operator: 'Equal', value: 'x' }],
    containers: [
      {
        name: 'c',
        image: 'i',
        env: [
          { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'BAD', valueFrom: { fieldRef: { fieldPath: 'spec.containers' } } },
          { name: 'LBL', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
          { name: '1X', value: 'v' },
        ],
      },
    ],
  });
  const got = lines(causes('Pod', p));
  assert.ok(got.some((l) => l.startsWith('spec.containers[0].env[1].valueFrom.fieldRef.fieldPath: Unsupported value: "spec.containers": supported values: "metadata.annotations"')), got.join('\n'));
  assert.ok(got.some((l) => l.startsWith('spec.containers[0].env[3].name: Invalid value: "1X"')), got.join('\n'));
  assert.ok(got.includes('spec.dnsConfig.nameservers: Required value: must provide at least one DNS nameserver when DNS policy is None'));
  assert.ok(got.some((l) => l.startsWith('spec.hostname: Invalid value: "Bad_Host"')));
  assert.ok(got.includes("spec.tolerations[0].operator: Invalid value: \"v\": value must be empty when `operator` is 'Exists'"));
  assert.ok(got.includes('spec.tolerations[1].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"'));
  assert.equal(got.length, 6, got.join('\n'));
  assert.equal(p.spec!.containers[0].env![0].valueFrom!.fieldRef!.apiVersion, 'v1', 'fieldRef apiVersion defaulted');
});

test('pod update: spec is immutable except image', () => {
  const old = applyDefaults(info('Pod'), pod({ nodeName: 'n1' }));
  const imageOnly = clone(old);
  imageOnly.spec!.containers[0].image = 'busybox:2';
  assert.deepEqual(causes('Pod', imageOnly, old), []);
  const changed = clone(old);
  changed.spec!.containers[0].command = ['sleep', '1'];
  const got = causes('Pod', changed, old);
  assert.equal(got.length, 1);
  assert.equal(got[0].field, 'spec');
  assert.equal(got[0].reason, 'FieldValueForbidden');
  assert.match(got[0].message!, /^Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`/);
});

test('deployment: selector must match template labels (exact Kubernetes message)', () => {
  const d = deploy({ template: { metadata: { labels: { app: 'other', tier: 'x' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } });
  assert.deepEqual(lines(causes('Deployment', d)), [
    'spec.template.metadata.labels: Invalid value: map[string]string{"app":"other", "tier":"x"}: `selector` does not match template `labels`',
  ]);
  try {
    assertValid(info('Deployment'), d);
  } catch (e) {
    assert.ok(e instanceof StatusError);
    assert.equal(
      e.message,
      'Deployment.apps "pay-v1" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"other", "tier":"x"}: `selector` does not match template `labels`',
    );
  }
});

test('deployment: selector required/non-empty, replicas, strategy, restartPolicy, progress deadline', () => {
  const noSel = deploy();
  delete (noSel.spec as Partial<NonNullable<Deployment['spec']>>).selector;
  // As Kubernetes: a missing selector selects nothing, so the template check fails too.
  assert.deepEqual(lines(causes('Deployment', noSel)), [
    'spec.selector: Required value',
    'spec.template.metadata.labels: Invalid value: map[string]string{"app":"pay-v1"}: `selector` does not match template `labels`',
  ]);
  const noLabels = deploy();
  delete noLabels.spec!.template.metadata;
  assert.deepEqual(lines(causes('Deployment', noLabels)), [
    'spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`',
  ]);
  assert.deepEqual(lines(causes('Deployment', deploy({ selector: {} }))), [
    'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment',
  ]);
  const bad = deploy({
    replicas: -1,
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '0%' } },
    progressDeadlineSeconds: 5,
    minReadySeconds: 10,
  });
  bad.spec!.template.spec!.restartPolicy = 'Never';
  const got = lines(causes('Deployment', bad));
  assert.deepEqual(got, [
    'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0',
    'spec.progressDeadlineSeconds: Invalid value: 5: must be greater than minReadySeconds',
  ]);
  const pct = deploy({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25', maxSurge: '150%' } } });
  assert.deepEqual(lines(causes('Deployment', pct)), [
    "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: \"25\": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
  ]);
  const rec = deploy({ strategy: { type: 'Recreate', rollingUpdate: { maxSurge: 1 } } });
  assert.deepEqual(lines(causes('Deployment', rec)), ["spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"]);
  const expr = deploy({ selector: { matchExpressions: [{ key: 'app', operator: 'In', values: [] }] } });
  assert.deepEqual(lines(causes('Deployment', expr)), [
    "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
    'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:"app", Operator:"In", Values:[]string{}}}}: invalid label selector',
  ]);
});

test('deployment/replicaset update: spec.selector is immutable', () => {
  const old = deploy();
  const upd = clone(old);
  upd.spec!.selector = { matchLabels: { app: 'pay-v2' } };
  upd.spec!.template.metadata!.labels = { app: 'pay-v2' };
  assert.deepEqual(lines(causes('Deployment', upd, old)), [
    'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"pay-v2"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
  ]);
  const scaled = clone(old);
  scaled.spec!.replicas = 5;
  assert.deepEqual(causes('Deployment', scaled, old), []);
  const rs = { metadata: { name: 'rs', namespace: 'default' }, spec: clone(old.spec) };
  const rs2 = clone(rs);
  rs2.spec!.selector = { matchLabels: { app: 'x' } };
  rs2.spec!.template.metadata!.labels = { app: 'x' };
  assert.equal(causes('ReplicaSet', rs2, rs).length, 1);
});

test('replication controller: selector defaulted from template, required when absent', () => {
  const rc = { metadata: { name: 'rc', namespace: 'default' }, spec: { template: { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } };
  assert.deepEqual(causes('ReplicationController', rc), []);
  const none = { metadata: { name: 'rc', namespace: 'default' }, spec: { template: { spec: { containers: [{ name: 'c', image: 'i' }] } } } };
  assert.deepEqual(lines(causes('ReplicationController', none)), ['spec.selector: Required value']);
  const mismatch = { metadata: { name: 'rc', namespace: 'default' }, spec: { selector: { app: 'b' }, template: { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } };
  assert.deepEqual(lines(causes('ReplicationController', mismatch)), [
    'spec.template.metadata.labels: Invalid value: map[string]string{"app":"a"}: `selector` does not match template `labels`',
  ]);
});

test('namespace, node, configmap, secret, endpointslice, endpoints, lease, hpa, event', () => {
  assert.deepEqual(causes('Namespace', { metadata: { name: 'dev' } }), []);
  assert.deepEqual(lines(causes('Namespace', { metadata: { name: 'dev' }, spec: { finalizers: ['foo'] } })), [
    'spec.finalizers: Invalid value: "foo": name is neither a standard finalizer name nor is it fully qualified',
  ]);
  const node = { metadata: { name: 'n1' }, spec: { podCIDRs: ['10.244.1.0/24', 'x'], taints: [{ key: 'k', effect: 'Sometimes' }, { key: 'k', effect: 'NoSchedule' }, { key: 'k', effect: 'NoSchedule' }] } };
  const nl = lines(causes('Node', node));
  assert.ok(nl.includes('spec.podCIDRs[1]: Invalid value: "x": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'), nl.join('\n'));
  assert.ok(nl.includes('spec.taints[0].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"'));
  assert.ok(nl.some((l) => l.startsWith('spec.taints[2]: Duplicate value:') && l.endsWith('taints must be unique by key and effect pair')));
  const nodeOld = { metadata: { name: 'n1' }, spec: { podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24'] } };
  const nodeNew = { metadata: { name: 'n1' }, spec: { podCIDR: '10.244.2.0/24', podCIDRs: ['10.244.2.0/24'] } };
  assert.deepEqual(lines(causes('Node', nodeNew, nodeOld)), ['spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid']);

  const cm = { metadata: { name: 'cm', namespace: 'default' }, data: { 'ok.key': 'v', 'bad/key': 'v' } };
  assert.match(lines(causes('ConfigMap', cm))[0], /^data\[bad\/key\]: Invalid value: "bad\/key": a valid config key must consist of alphanumeric characters/);
  const imm = { metadata: { name: 'cm', namespace: 'default' }, data: { a: '1' }, immutable: true };
  const imm2 = { ...clone(imm), data: { a: '2' } };
  assert.deepEqual(lines(causes('ConfigMap', imm2, imm)), ['data: Forbidden: field is immutable when `immutable` is set']);

  const sec = { metadata: { name: 's', namespace: 'default' }, stringData: { password: 'hunter2' } };
  assert.deepEqual(causes('Secret', sec), []);
  assert.deepEqual((sec as unknown as { data: Record<string, string> }).data, { password: Buffer.from('hunter2').toString('base64') });

  const slice = {
    metadata: { name: 'web-abc', namespace: 'default' },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['198.18.0.5'] }, { addresses: [] }, { addresses: ['::1'] }],
    ports: [{ name: 'http', port: 80 }, { name: 'http', port: 81 }],
  };
  assert.deepEqual(lines(causes('EndpointSlice', slice)), [
    'endpoints[1].addresses: Required value: must contain at least 1 address',
    'endpoints[2].addresses[0]: Invalid value: "::1": must be a valid IPv4 address',
    'ports[1].name: Duplicate value: "http"',
  ]);
  const ep = { metadata: { name: 'web', namespace: 'default' }, subsets: [{ addresses: [{ ip: '198.18.0.5' }], ports: [{ port: 80 }, { port: 0, name: 'b' }] }] };
  assert.deepEqual(lines(causes('Endpoints', ep)), ['subsets[0].ports[0].name: Required value', 'subsets[0].ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive']);
  assert.deepEqual(lines(causes('Lease', { metadata: { name: 'l', namespace: 'kube-node-lease' }, spec: { leaseDurationSeconds: 0 } })), [
    'spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0',
  ]);
  const hpa = { metadata: { name: 'h', namespace: 'default' }, spec: { scaleTargetRef: { kind: 'Deployment', name: '' }, minReplicas: 5, maxReplicas: 2 } };
  assert.deepEqual(lines(causes('HorizontalPodAutoscaler', hpa)), ['spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`', 'spec.scaleTargetRef.name: Required value']);
  const ev = { metadata: { name: 'e.1', namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'p', namespace: 'other' } };
  assert.deepEqual(lines(causes('Event', ev)), ['involvedObject.namespace: Invalid value: "other": does not match event.namespace']);
});

test('status subresource writes only check metadata; finalizers cannot be added while deleting', () => {
  const old = applyDefaults(info('Pod'), pod({}));
  const upd = clone(old);
  upd.spec!.containers[0].command = ['x'];
  assert.deepEqual(validateObject(info('Pod'), upd, old, { subresource: 'status' }), []);
  const badIP = clone(old);
  badIP.status = { phase: 'Running', podIPs: [{ ip: '198.18.0.300' }], conditions: [{ type: '', status: 'True' }] };
  assert.deepEqual(lines(validateObject(info('Pod'), badIP, old, { subresource: 'status' })), [
    'status.podIPs[0]: Invalid value: "198.18.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
    'status.conditions[0].type: Required value',
  ]);
  const deleting = clone(old);
  deleting.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
  const addFin = clone(deleting);
  addFin.metadata.finalizers = ['example.com/x'];
  assert.deepEqual(lines(validateObject(info('Pod'), addFin, deleting)), [
    'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/x"}',
  ]);
  const rename = clone(old);
  rename.metadata.name = 'other';
  assert.deepEqual(lines(validateObject(info('Pod'), rename, old)), ['metadata.name: Invalid value: "other": field is immutable']);
});

test('malformed objects do not throw', () => {
  for (const kind of ['Pod', 'Service', 'Deployment', 'ReplicaSet', 'ReplicationController', 'EndpointSlice', 'Node', 'Namespace', 'HorizontalPodAutoscaler']) {
    for (const obj of [{ metadata: { name: 'x', namespace: 'default' } }, { metadata: { name: 'x', namespace: 'default' }, spec: 'str' }, { metadata: { name: 'x', namespace: 'default' }, spec: { containers: 'no', ports: 5, template: 3 } }]) {
      const o = clone(obj) as KubeObject;
      applyDefaults(info(kind), o);
      assert.doesNotThrow(() => validateObject(info(kind), o), `${kind} ${JSON.stringify(obj)}`);
    }
  }
});
