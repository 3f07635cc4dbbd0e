import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod, Service } from '../api/types.js';
import { buildContainerEnv, containerArgv, parseBytes, serviceEnv, servicesForPod } from './env.js';

const svc = (ns: string, name: string, ip: string, ports: { name?: string; port: number; protocol?: 'TCP' | 'UDP' }[]): Service => ({
  metadata: { name, namespace: ns },
  spec: { clusterIP: ip, ports: ports.map((p) => ({ ...p })) },
});

test('service env vars follow kubelet naming', () => {
  const env = serviceEnv(svc('default', 'service-pay-v1', '10.96.0.20', [{ name: 'http', port: 80 }, { name: 'dns', port: 53, protocol: 'UDP' }]));
  assert.deepEqual(env, {
    SERVICE_PAY_V1_SERVICE_HOST: '10.96.0.20',
    SERVICE_PAY_V1_SERVICE_PORT: '80',
    SERVICE_PAY_V1_SERVICE_PORT_HTTP: '80',
    SERVICE_PAY_V1_SERVICE_PORT_DNS: '53',
    SERVICE_PAY_V1_PORT: 'tcp://10.96.0.20:80',
    SERVICE_PAY_V1_PORT_80_TCP: 'tcp://10.96.0.20:80',
    SERVICE_PAY_V1_PORT_80_TCP_PROTO: 'tcp',
    SERVICE_PAY_V1_PORT_80_TCP_PORT: '80',
    SERVICE_PAY_V1_PORT_80_TCP_ADDR: '10.96.0.20',
    SERVICE_PAY_V1_PORT_53_UDP: 'udp://10.96.0.20:53',
    SERVICE_PAY_V1_PORT_53_UDP_PROTO: 'udp',
    SERVICE_PAY_V1_PORT_53_UDP_PORT: '53',
    SERVICE_PAY_V1_PORT_53_UDP_ADDR: '10.96.0.20',
  });
  assert.deepEqual(serviceEnv(svc('default', 'h', 'None', [{ port: 80 }])), {});
});

test('only same-namespace services with a cluster IP, kubernetes always, enableServiceLinks=false', () => {
  const all = [svc('default', 'kubernetes', '10.96.0.1', [{ name: 'https', port: 443 }]), svc('shop', 'pay', '10.96.0.5', [{ port: 80 }]), svc('other', 'x', '10.96.0.6', [{ port: 80 }]), svc('shop', 'headless', 'None', [{ port: 80 }])];
  const pod: Pod = { metadata: { name: 'p', namespace: 'shop' }, spec: { containers: [] } };
  assert.deepEqual(servicesForPod(pod, all).map((s) => s.metadata.name), ['kubernetes', 'pay']);
  assert.deepEqual(servicesForPod({ ...pod, spec: { containers: [], enableServiceLinks: false } }, all).map((s) => s.metadata.name), ['kubernetes']);
});

test('env: fieldRef, $(VAR) expansion, pod env overrides service vars, secrets decoded', () => {
  const pod: Pod = { metadata: { name: 'web-1', namespace: 'shop', uid: 'u1', labels: { app: 'web' } }, spec: { nodeName: 'n1', containers: [] } };
  const env = buildContainerEnv(
    {
      name: 'c',
      env: [
        { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
        { name: 'URL', value: 'http://$(IP):80/$$x' },
        { name: 'PAY_SERVICE_HOST', value: 'override' },
        { name: 'PW', valueFrom: { secretKeyRef: { name: 's', key: 'pw' } } },
      ],
      command: ['echo', '$(POD)'],
    },
    {
      pod,
      podIP: '10.244.0.7',
      hostIP: '192.0.2.1',
      services: [svc('shop', 'pay', '10.96.0.5', [{ port: 80 }])],
      secret: () => ({ metadata: {}, data: { pw: Buffer.from('hunter2').toString('base64') } }),
    },
  );
  assert.equal(env.POD, 'web-1');
  assert.equal(env.APP, 'web');
  assert.equal(env.URL, 'http://10.244.0.7:80/$x');
  assert.equal(env.PAY_SERVICE_HOST, 'override');
  assert.equal(env.PAY_SERVICE_PORT, '80');
  assert.equal(env.PW, 'hunter2');
  assert.deepEqual(containerArgv({ name: 'c', command: ['echo', '$(POD)'], args: ['$(NOPE)'] }, env), ['echo', 'web-1', '$(NOPE)']);
  assert.equal(parseBytes('64Mi'), 64 * 2 ** 20);
  assert.equal(parseBytes('1G'), 1e9);
});
