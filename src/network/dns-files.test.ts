import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from '../api/types.js';
import { formatResolvConf, podHostsFile, podResolvConf } from './dns-files.js';

const host = 'search corp.example\nnameserver 192.0.2.53\noptions edns0\n';
const opts = { clusterDns: ['10.96.0.10'], clusterDomain: 'cluster.local', hostResolvConf: host };
const pod = (spec: Partial<NonNullable<Pod['spec']>>): Pod => ({ metadata: { name: 'p', namespace: 'ns1' }, spec: { containers: [], ...spec } });

test('ClusterFirst: cluster DNS, Kubernetes search path + the node search, ndots:5', () => {
  assert.equal(
    formatResolvConf(podResolvConf(pod({}), opts)),
    'search ns1.svc.cluster.local svc.cluster.local cluster.local corp.example\nnameserver 10.96.0.10\noptions ndots:5\n',
  );
});

test('Default / hostNetwork ClusterFirst use the node resolver; ClusterFirstWithHostNet uses cluster DNS', () => {
  assert.deepEqual(podResolvConf(pod({ dnsPolicy: 'Default' }), opts), { nameservers: ['192.0.2.53'], searches: ['corp.example'], options: ['edns0'] });
  assert.deepEqual(podResolvConf(pod({ hostNetwork: true }), opts).nameservers, ['192.0.2.53']);
  assert.deepEqual(podResolvConf(pod({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }), opts).nameservers, ['10.96.0.10']);
});

test('None + dnsConfig, and dnsConfig merged over ClusterFirst (options replaced by name, ≤3 servers)', () => {
  const none = podResolvConf(pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.2.3.4'], searches: ['a.b'], options: [{ name: 'ndots', value: '2' }, { name: 'rotate' }] } }), opts);
  assert.deepEqual(none, { nameservers: ['1.2.3.4'], searches: ['a.b'], options: ['ndots:2', 'rotate'] });
  const merged = podResolvConf(pod({ dnsConfig: { nameservers: ['1.1.1.1', '2.2.2.2', '3.3.3.3'], options: [{ name: 'ndots', value: '1' }] } }), opts);
  assert.deepEqual(merged.nameservers, ['10.96.0.10', '1.1.1.1', '2.2.2.2']);
  assert.deepEqual(merged.options, ['ndots:1']);
});

test('hosts file: pod hostname, subdomain FQDN, host aliases', () => {
  const h = podHostsFile(pod({ hostname: 'web', subdomain: 'svc1', hostAliases: [{ ip: '10.0.0.9', hostnames: ['x', 'y'] }] }), ['10.244.0.5'], 'cluster.local');
  assert.match(h, /^# Kubernetes-managed hosts file\.\n127\.0\.0\.1\tlocalhost\n/);
  assert.match(h, /10\.244\.0\.5\tweb\.svc1\.ns1\.svc\.cluster\.local\tweb\n/);
  assert.match(h, /10\.0\.0\.9\tx\ty\n/);
});
