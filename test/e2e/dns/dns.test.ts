/**
 * `skiff dns` as a real process against the real API server (`skiff server`, sqlite, port 0):
 * Services created through the API become answerable (creation → first correct answer
 * measured, p99 reported and bounded), headless Services with EndpointSlices written through
 * the API, deletion → NXDOMAIN, /ready and /metrics. No forwarding (--upstream none).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { findResource } from '../../../src/api/resources.js';
import type { EndpointSlice, Service } from '../../../src/api/types.js';
import { RestClient } from '../../../src/client/rest-client.js';
import { query } from '../../../src/dns/testing/dns-client.js';
import { formatMessage } from '../../../src/dns/testing/format.js';
import { RRType } from '../../../src/dns/wire/constants.js';
import { freeUdpTcpPort } from './free-port.js';
import { pollUntil } from '../harness/poll.js';
import { REPO_ROOT, startSkiffServer } from '../harness/skiff-server.js';

test('skiff dns against skiff server: services appear within milliseconds of creation, headless, deletion', { timeout: 90_000 }, async (t) => {
  const server = await startSkiffServer(t);
  const port = await freeUdpTcpPort();
  const args = ['dns', '--kubeconfig', server.componentKubeconfig('dns'), '--listen', `127.0.0.1:${port}`, '--metrics-listen', '127.0.0.1:0', '--upstream', 'none'];
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', `import('./src/cmd/main.ts').then(m => m.main(${JSON.stringify(args)})).then(c => { process.exitCode = c; })`], {
    cwd: REPO_ROOT,
    env: { ...process.env, SKIFF_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGTERM');
  });
  const metricsPort = await pollUntil(
    () => {
      if (child.exitCode !== null) throw new Error(`skiff dns exited: ${output}`);
      return /metrics on 127\.0\.0\.1:(\d+)/.exec(output)?.[1];
    },
    { timeoutMs: 30_000, what: `skiff dns to listen (${output})` },
  );
  await pollUntil(async () => (await fetch(`http://127.0.0.1:${metricsPort}/ready`)).status === 200, { timeoutMs: 20_000, what: '/ready' });
  // The apiserver's default `kubernetes` Service is served.
  const k = await query(port, 'kubernetes.default.svc.cluster.local', RRType.A);
  assert.equal(formatMessage(k).rcode, 'NOERROR');

  const client = await RestClient.fromKubeconfig(server.kubeconfig);
  const services = findResource('', 'services')!;
  const slices = findResource('discovery.k8s.io', 'endpointslices')!;
  const latencies: number[] = [];
  const afterCreate: number[] = [];
  for (let i = 0; i < 25; i++) {
    const name = `e2e-svc-${i}`;
    const t0 = performance.now();
    const created = await client.create<Service>(services, { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { ports: [{ name: 'http', port: 80 }] } }, { namespace: 'default' });
    const ip = created.spec!.clusterIP!;
    const t1 = performance.now();
    await pollUntil(
      async () => {
        const m = await query(port, `${name}.default.svc.cluster.local`, RRType.A, { timeoutMs: 500 });
        return m.answers.some((a) => a.data === ip);
      },
      { intervalMs: 1, timeoutMs: 5000, what: `${name} answerable` },
    );
    latencies.push(performance.now() - t0);
    afterCreate.push(performance.now() - t1);
  }
  latencies.sort((a, b) => a - b);
  afterCreate.sort((a, b) => a - b);
  t.diagnostic(`create response → first correct answer (watch + DNS): p50 ${afterCreate[12]!.toFixed(1)} ms, p99 ${afterCreate[24]!.toFixed(1)} ms`);
  const p99 = latencies[Math.floor(latencies.length * 0.99)]!;
  t.diagnostic(`create (API round trip included) → first correct answer: p50 ${latencies[12]!.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`);
  assert.ok(p99 < 1000, `p99 ${p99} ms`);

  // Headless Service without selector + an EndpointSlice written by hand.
  await client.create<Service>(services, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'db', namespace: 'default' }, spec: { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] } }, { namespace: 'default' });
  await client.create<EndpointSlice>(
    slices,
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'db-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'db' } },
      addressType: 'IPv4',
      endpoints: [
        { addresses: ['198.18.5.1'], conditions: { ready: true }, hostname: 'db-0' },
        { addresses: ['198.18.5.2'], conditions: { ready: false } },
      ],
      ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
    },
    { namespace: 'default' },
  );
  await pollUntil(async () => formatMessage(await query(port, 'db.default.svc.cluster.local', RRType.A)).answers.join() === 'db.default.svc.cluster.local. A 198.18.5.1', {
    what: 'headless answer',
  });
  const srv = formatMessage(await query(port, '_pg._tcp.db.default.svc.cluster.local', RRType.SRV));
  assert.deepEqual(srv.answers, ['_pg._tcp.db.default.svc.cluster.local. SRV 0 100 5432 db-0.db.default.svc.cluster.local.']);

  await client.delete(services, 'e2e-svc-0', 'default');
  await pollUntil(async () => formatMessage(await query(port, 'e2e-svc-0.default.svc.cluster.local', RRType.A)).rcode === 'NXDOMAIN', { what: 'deleted → NXDOMAIN' });
  const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  assert.match(metrics, /skiff_dns_responses_total\{rcode="NOERROR"\} \d+/);
});
