/**
 * Helper process for netns.test.ts (not a test): runs inside the test's "DNS" network
 * namespace a Skiff DNS server on 198.19.0.10:53 with fake informers (one Service, one pod
 * whose IP is the client namespace's address) and a fake upstream on 127.0.0.1 (inside the
 * same namespace), autopath on. Prints READY; on SIGTERM prints JSON counters and exits.
 */
import type { EndpointSlice, Pod, Service } from '../../../src/api/types.js';
import { startDnsServer } from '../../../src/dns/dns-server.js';
import { FakeInformer } from '../../../src/dns/testing/fake-informer.js';
import { FakeUpstream } from '../../../src/dns/testing/fake-upstream.js';
import { clusterIPService, pod } from '../../../src/dns/testing/builders.js';

const [dnsIP, podIP] = process.argv.slice(2);
const up = new FakeUpstream('127.0.0.1');
await up.start();
up.records.set('www.example.com', '192.0.2.7');
const services = new FakeInformer<Service>({ synced: true });
const endpointSlices = new FakeInformer<EndpointSlice>({ synced: true });
const pods = new FakeInformer<Pod>({ synced: true });
services.apply(clusterIPService('default', 'service-pay-v1', ['198.19.0.20'], [{ name: 'http', port: 80 }]));
pods.apply(pod('default', 'user-v1', podIP!));
const s = await startDnsServer({ informers: { services, endpointSlices, pods }, host: dnsIP!, port: 53, upstreams: [{ address: '127.0.0.1', port: up.port }], autopath: true, loopProbeIntervalMs: 0 });
process.stdout.write('READY\n');
process.on('SIGTERM', () => {
  process.stdout.write(`${JSON.stringify({ udpQueries: s.metrics.byTransport.udp, upstreamSeen: up.seen.filter((n) => !n.endsWith('skiff-loop-probe')) })}\n`);
  void s.close().then(() => up.close()).then(() => process.exit(0));
});
