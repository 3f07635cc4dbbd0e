/** Real `dig` (dnsutils) against the server on 127.0.0.1: what users and pods' resolvers see. */
import { testEachUdpTransport, type UdpTransportName } from '../testing/udp-transports.js';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { EndpointSlice, Service } from '../../api/types.js';
import { startDnsServer, type RunningDnsServer } from '../dns-server.js';
import { FakeInformer } from '../testing/fake-informer.js';
import { clusterIPService, endpointSlice, headlessService } from '../testing/builders.js';

const DIG = ['/usr/bin/dig', '/bin/dig'].find((p) => existsSync(p));

function dig(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(DIG!, ['@127.0.0.1', '-p', String(port), '+time=2', '+tries=1', ...args], { timeout: 10_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout))),
  );
}

async function server(udpTransport: UdpTransportName): Promise<RunningDnsServer> {
  const services = new FakeInformer<Service>({ synced: true });
  const endpointSlices = new FakeInformer<EndpointSlice>({ synced: true });
  services.apply(clusterIPService('default', 'service-pay-v1', ['198.19.0.10'], [{ name: 'http', port: 80 }]));
  services.apply(headlessService('default', 'pods200', [{ name: 'http', port: 8080 }]));
  for (let s = 0; s < 2; s++) {
    endpointSlices.apply(
      endpointSlice('default', 'pods200', Array.from({ length: 100 }, (_, i) => ({ ip: `198.18.${20 + s}.${i + 1}` })), [{ name: 'http', port: 8080 }], `pods200-${s}`),
    );
  }
  const s = await startDnsServer({ udpTransport, informers: { services, endpointSlices }, port: 0 });
  assert.equal(s.udpTransport, udpTransport);
  return s;
}

testEachUdpTransport('dig: A with case preserved, SRV with additional, NXDOMAIN with SOA', { skip: DIG ? false : 'dig not installed' }, async (t, udpTransport) => {
  const s = await server(udpTransport);
  t.after(() => s.close());
  const a = await dig(s.udpPort, 'Service-Pay-V1.Default.Svc.Cluster.Local', 'A', '+noall', '+answer');
  assert.match(a, /^Service-Pay-V1\.Default\.Svc\.Cluster\.Local\.\s+5\s+IN\s+A\s+198\.19\.0\.10$/m);
  const srv = await dig(s.udpPort, '_http._tcp.service-pay-v1.default.svc.cluster.local', 'SRV', '+noall', '+answer', '+additional');
  assert.match(srv, /SRV\s+0 100 80 service-pay-v1\.default\.svc\.cluster\.local\./);
  assert.match(srv, /^service-pay-v1\.default\.svc\.cluster\.local\.\s+5\s+IN\s+A\s+198\.19\.0\.10$/m);
  const nx = await dig(s.udpPort, 'nope.default.svc.cluster.local', 'A');
  assert.match(nx, /status: NXDOMAIN/);
  assert.match(nx, /SOA\s+ns\.dns\.cluster\.local\. hostmaster\.cluster\.local\./);
});

testEachUdpTransport('dig: a headless Service with 200 pods is truncated over UDP and dig retries over TCP', { skip: DIG ? false : 'dig not installed' }, async (t, udpTransport) => {
  const s = await server(udpTransport);
  t.after(() => s.close());
  for (const extra of [['+noedns'], ['+bufsize=1232']]) {
    const out = await dig(s.udpPort, 'PODS200.default.svc.cluster.local', 'A', ...extra);
    assert.match(out, /Truncated, retrying in TCP mode/);
    assert.match(out, /ANSWER: 200,/);
    assert.equal((out.match(/^PODS200\.default\.svc\.cluster\.local\.\s+5\s+IN\s+A\s+198\.18\./gm) ?? []).length, 200);
  }
  const srv = await dig(s.udpPort, '_http._tcp.pods200.default.svc.cluster.local', 'SRV');
  assert.match(srv, /ANSWER: 200,/);
});
