/**
 * The Kubernetes DNS-Based Service Discovery specification 1.1.0, one table-driven test per
 * rule, against a real server on 127.0.0.1 (UDP, port 0) fed by fake informers.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EndpointSlice, Pod, Service } from '../../api/types.js';
import { startDnsServer, type RunningDnsServer } from '../dns-server.js';
import { FakeInformer } from '../testing/fake-informer.js';
import { clusterIPService, endpointSlice, externalNameService, headlessService, pod } from '../testing/builders.js';
import { query } from '../testing/dns-client.js';
import { formatMessage } from '../testing/format.js';
import { RRType } from '../wire/constants.js';
import type { PodsMode } from '../handler.js';

interface Case {
  qname: string;
  qtype: keyof typeof RRType;
  rcode: string;
  answers?: string[];
  authority?: string[];
  additional?: string[];
}

const SOA = 'cluster.local. SOA ns.dns.cluster.local. hostmaster.cluster.local. 7200 1800 86400 5';

function fixture(): { services: FakeInformer<Service>; endpointSlices: FakeInformer<EndpointSlice>; pods: FakeInformer<Pod> } {
  const services = new FakeInformer<Service>({ synced: true });
  const endpointSlices = new FakeInformer<EndpointSlice>({ synced: true });
  const pods = new FakeInformer<Pod>({ synced: true });
  services.apply(
    clusterIPService('default', 'web', ['198.19.0.10'], [
      { name: 'http', port: 80, protocol: 'TCP' },
      { name: 'dns', port: 53, protocol: 'UDP' },
      { port: 8080, protocol: 'TCP' },
    ]),
  );
  services.apply(clusterIPService('default', 'dual', ['198.19.0.11', 'fd00::11']));
  services.apply(clusterIPService('kube-system', 'kube-dns', ['198.19.0.53'], [{ name: 'dns', port: 53, protocol: 'UDP' }]));
  services.apply(headlessService('default', 'db', [{ name: 'pg', port: 5432 }]));
  endpointSlices.apply(
    endpointSlice(
      'default',
      'db',
      [
        { ip: '198.18.1.1', ready: true, hostname: 'db-0' },
        { ip: '198.18.1.2' },
        { ip: '198.18.1.3', ready: false },
      ],
      [{ name: 'pg', port: 5432 }, { port: 9999 }],
    ),
  );
  services.apply(headlessService('default', 'empty'));
  endpointSlices.apply(endpointSlice('default', 'empty', [{ ip: '198.18.4.1', ready: false }]));
  services.apply(headlessService('default', 'pub', [], true));
  endpointSlices.apply(endpointSlice('default', 'pub', [{ ip: '198.18.2.1', ready: false }]));
  services.apply(headlessService('default', 'six'));
  endpointSlices.apply(endpointSlice('default', 'six', [{ ip: 'fd00::1:2', ready: true }]));
  services.apply(externalNameService('default', 'ext', 'db.example.com'));
  services.apply(externalNameService('default', 'extip', '198.51.100.1'));
  pods.apply(pod('default', 'p1', '198.18.3.4'));
  return { services, endpointSlices, pods };
}

async function startWith(mode: PodsMode): Promise<RunningDnsServer> {
  const f = fixture();
  return startDnsServer({ informers: f, port: 0, podsMode: mode });
}

async function check(port: number, cases: Case[]): Promise<void> {
  for (const c of cases) {
    const m = await query(port, c.qname, RRType[c.qtype]);
    const got = formatMessage(m);
    const want = { rcode: c.rcode, answers: [...(c.answers ?? [])].sort(), authority: [...(c.authority ?? [])].sort(), additional: [...(c.additional ?? [])].sort() };
    assert.deepEqual(got, want, `${c.qname} ${c.qtype}`);
    assert.ok(m.aa, `${c.qname}: authoritative`);
  }
}

describe('Kubernetes DNS spec 1.1.0', () => {
  let server: RunningDnsServer;
  before(async () => {
    server = await startWith('insecure');
  });
  after(() => server.close());

  test('2.2 schema version: dns-version.<zone> TXT "1.1.0"', () =>
    check(server.udpPort, [
      { qname: 'dns-version.cluster.local', qtype: 'TXT', rcode: 'NOERROR', answers: ['dns-version.cluster.local. TXT "1.1.0"'] },
      { qname: 'dns-version.cluster.local', qtype: 'A', rcode: 'NOERROR', authority: [SOA] },
    ]));

  test('2.3.1 ClusterIP: A, AAAA per IPv6 cluster IP, PTR of each cluster IP', () =>
    check(server.udpPort, [
      { qname: 'web.default.svc.cluster.local', qtype: 'A', rcode: 'NOERROR', answers: ['web.default.svc.cluster.local. A 198.19.0.10'] },
      { qname: 'web.default.svc.cluster.local', qtype: 'AAAA', rcode: 'NOERROR', authority: [SOA] },
      { qname: 'dual.default.svc.cluster.local', qtype: 'A', rcode: 'NOERROR', answers: ['dual.default.svc.cluster.local. A 198.19.0.11'] },
      { qname: 'dual.default.svc.cluster.local', qtype: 'AAAA', rcode: 'NOERROR', answers: ['dual.default.svc.cluster.local. AAAA fd00::11'] },
      { qname: '10.0.19.198.in-addr.arpa', qtype: 'PTR', rcode: 'NOERROR', answers: ['10.0.19.198.in-addr.arpa. PTR web.default.svc.cluster.local.'] },
      {
        qname: '1.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa',
        qtype: 'PTR',
        rcode: 'NOERROR',
        answers: ['1.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa. PTR dual.default.svc.cluster.local.'],
      },
    ]));

  test('2.3.2 named ports: SRV with lowercase proto, target the service, A in additional; none for unnamed ports', () =>
    check(server.udpPort, [
      {
        qname: '_http._tcp.web.default.svc.cluster.local',
        qtype: 'SRV',
        rcode: 'NOERROR',
        answers: ['_http._tcp.web.default.svc.cluster.local. SRV 0 100 80 web.default.svc.cluster.local.'],
        additional: ['web.default.svc.cluster.local. A 198.19.0.10'],
      },
      {
        qname: '_dns._udp.web.default.svc.cluster.local',
        qtype: 'SRV',
        rcode: 'NOERROR',
        answers: ['_dns._udp.web.default.svc.cluster.local. SRV 0 100 53 web.default.svc.cluster.local.'],
        additional: ['web.default.svc.cluster.local. A 198.19.0.10'],
      },
      { qname: '_http._udp.web.default.svc.cluster.local', qtype: 'SRV', rcode: 'NXDOMAIN', authority: [SOA] },
      { qname: '_8080._tcp.web.default.svc.cluster.local', qtype: 'SRV', rcode: 'NXDOMAIN', authority: [SOA] },
      { qname: '_tcp.web.default.svc.cluster.local', qtype: 'SRV', rcode: 'NOERROR', authority: [SOA] },
    ]));

  test('2.4 headless: A per ready endpoint, hostname / dashed-IP names, SRV per endpoint x named port, PTR; NXDOMAIN when none ready', () =>
    check(server.udpPort, [
      {
        qname: 'db.default.svc.cluster.local',
        qtype: 'A',
        rcode: 'NOERROR',
        answers: ['db.default.svc.cluster.local. A 198.18.1.1', 'db.default.svc.cluster.local. A 198.18.1.2'],
      },
      { qname: 'db-0.db.default.svc.cluster.local', qtype: 'A', rcode: 'NOERROR', answers: ['db-0.db.default.svc.cluster.local. A 198.18.1.1'] },
      { qname: '198-18-1-2.db.default.svc.cluster.local', qtype: 'A', rcode: 'NOERROR', answers: ['198-18-1-2.db.default.svc.cluster.local. A 198.18.1.2'] },
      { qname: '198-18-1-3.db.default.svc.cluster.local', qtype: 'A', rcode: 'NXDOMAIN', authority: [SOA] },
      {
        qname: '_pg._tcp.db.default.svc.cluster.local',
        qtype: 'SRV',
        rcode: 'NOERROR',
        answers: [
          '_pg._tcp.db.default.svc.cluster.local. SRV 0 50 5432 198-18-1-2.db.default.svc.cluster.local.',
          '_pg._tcp.db.default.svc.cluster.local. SRV 0 50 5432 db-0.db.default.svc.cluster.local.',
        ],
        additional: ['198-18-1-2.db.default.svc.cluster.local. A 198.18.1.2', 'db-0.db.default.svc.cluster.local. A 198.18.1.1'],
      },
      { qname: '1.1.18.198.in-addr.arpa', qtype: 'PTR', rcode: 'NOERROR', answers: ['1.1.18.198.in-addr.arpa. PTR db-0.db.default.svc.cluster.local.'] },
      { qname: '2.1.18.198.in-addr.arpa', qtype: 'PTR', rcode: 'NOERROR', answers: ['2.1.18.198.in-addr.arpa. PTR 198-18-1-2.db.default.svc.cluster.local.'] },
      { qname: 'empty.default.svc.cluster.local', qtype: 'A', rcode: 'NXDOMAIN', authority: [SOA] },
      { qname: 'six.default.svc.cluster.local', qtype: 'AAAA', rcode: 'NOERROR', answers: ['six.default.svc.cluster.local. AAAA fd00::1:2'] },
      { qname: 'fd00--1-2.six.default.svc.cluster.local', qtype: 'AAAA', rcode: 'NOERROR', answers: ['fd00--1-2.six.default.svc.cluster.local. AAAA fd00::1:2'] },
      { qname: 'six.default.svc.cluster.local', qtype: 'A', rcode: 'NOERROR', authority: [SOA] },
    ]));

  test('ExternalName: CNAME to the external name; nothing for an IP-valued externalName', () =>
    check(server.udpPort, [
      { qname: 'ext.default.svc.cluster.local', qtype: 'A', rcode: 'NOERROR', answers: ['ext.default.svc.cluster.local. CNAME db.example.com.'] },
      { qname: 'ext.default.svc.cluster.local', qtype: 'AAAA', rcode: 'NOERROR', answers: ['ext.default.svc.cluster.local. CNAME db.example.com.'] },
      { qname: 'ext.default.svc.cluster.local', qtype: 'CNAME', rcode: 'NOERROR', answers: ['ext.default.svc.cluster.local. CNAME db.example.com.'] },
      { qname: 'extip.default.svc.cluster.local', qtype: 'A', rcode: 'NOERROR', authority: [SOA] },
    ]));

  test('publishNotReadyAddresses: not-ready endpoints are published', () =>
    check(server.udpPort, [
      { qname: 'pub.default.svc.cluster.local', qtype: 'A', rcode: 'NOERROR', answers: ['pub.default.svc.cluster.local. A 198.18.2.1'] },
      { qname: '198-18-2-1.pub.default.svc.cluster.local', qtype: 'A', rcode: 'NOERROR', answers: ['198-18-2-1.pub.default.svc.cluster.local. A 198.18.2.1'] },
    ]));

  test('apex SOA and NS (ns.dns.<zone> = the DNS Service IPs)', () =>
    check(server.udpPort, [
      { qname: 'cluster.local', qtype: 'SOA', rcode: 'NOERROR', answers: [SOA] },
      {
        qname: 'cluster.local',
        qtype: 'NS',
        rcode: 'NOERROR',
        answers: ['cluster.local. NS ns.dns.cluster.local.'],
        additional: ['ns.dns.cluster.local. A 198.19.0.53'],
      },
      { qname: 'ns.dns.cluster.local', qtype: 'A', rcode: 'NOERROR', answers: ['ns.dns.cluster.local. A 198.19.0.53'] },
    ]));

  test('NODATA (SOA in authority) for existing names with other types and for svc / pod / <ns>.svc', () =>
    check(server.udpPort, [
      { qname: 'cluster.local', qtype: 'A', rcode: 'NOERROR', authority: [SOA] },
      { qname: 'svc.cluster.local', qtype: 'A', rcode: 'NOERROR', authority: [SOA] },
      { qname: 'pod.cluster.local', qtype: 'A', rcode: 'NOERROR', authority: [SOA] },
      { qname: 'default.svc.cluster.local', qtype: 'A', rcode: 'NOERROR', authority: [SOA] },
      { qname: 'default.pod.cluster.local', qtype: 'A', rcode: 'NOERROR', authority: [SOA] },
      { qname: 'web.default.svc.cluster.local', qtype: 'TXT', rcode: 'NOERROR', authority: [SOA] },
      { qname: 'web.default.svc.cluster.local', qtype: 'SRV', rcode: 'NOERROR', authority: [SOA] },
    ]));

  test('NXDOMAIN (SOA in authority) for names that do not exist, other labels, too many labels', () =>
    check(server.udpPort, [
      { qname: 'nope.default.svc.cluster.local', qtype: 'A', rcode: 'NXDOMAIN', authority: [SOA] },
      { qname: 'web.other.svc.cluster.local', qtype: 'A', rcode: 'NXDOMAIN', authority: [SOA] },
      { qname: 'foo.cluster.local', qtype: 'A', rcode: 'NXDOMAIN', authority: [SOA] },
      { qname: 'web.default.foo.cluster.local', qtype: 'A', rcode: 'NXDOMAIN', authority: [SOA] },
      { qname: 'a.b.web.default.svc.cluster.local', qtype: 'A', rcode: 'NXDOMAIN', authority: [SOA] },
      { qname: 'x.198-18-3-4.default.pod.cluster.local', qtype: 'A', rcode: 'NXDOMAIN', authority: [SOA] },
    ]));

  test('pod records, insecure: any dashed IP answers', () =>
    check(server.udpPort, [
      { qname: '198-18-3-4.default.pod.cluster.local', qtype: 'A', rcode: 'NOERROR', answers: ['198-18-3-4.default.pod.cluster.local. A 198.18.3.4'] },
      { qname: '198-18-9-9.other.pod.cluster.local', qtype: 'A', rcode: 'NOERROR', answers: ['198-18-9-9.other.pod.cluster.local. A 198.18.9.9'] },
      { qname: '198-18-9-9.other.pod.cluster.local', qtype: 'AAAA', rcode: 'NOERROR', authority: [SOA] },
      { qname: 'not-an-ip.other.pod.cluster.local', qtype: 'A', rcode: 'NXDOMAIN', authority: [SOA] },
    ]));
});

describe('pod record modes', () => {
  test('verified: only a pod with that IP in that namespace', async (t) => {
    const s = await startWith('verified');
    t.after(() => s.close());
    await check(s.udpPort, [
      { qname: '198-18-3-4.default.pod.cluster.local', qtype: 'A', rcode: 'NOERROR', answers: ['198-18-3-4.default.pod.cluster.local. A 198.18.3.4'] },
      { qname: '198-18-3-4.other.pod.cluster.local', qtype: 'A', rcode: 'NXDOMAIN', authority: [SOA] },
      { qname: '198-18-9-9.default.pod.cluster.local', qtype: 'A', rcode: 'NXDOMAIN', authority: [SOA] },
    ]);
  });
  test('disabled: no pod records', async (t) => {
    const s = await startWith('disabled');
    t.after(() => s.close());
    await check(s.udpPort, [{ qname: '198-18-3-4.default.pod.cluster.local', qtype: 'A', rcode: 'NXDOMAIN', authority: [SOA] }]);
  });
});
