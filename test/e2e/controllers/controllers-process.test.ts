/**
 * `skiff controllers` as its own process, with the controllers component kubeconfig that
 * `skiff server` writes: it programs endpoints and schedules pods, and exits cleanly on SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import type { EndpointSlice, Node, Pod, Service } from '../../../src/api/types.js';
import { RestClient } from '../../../src/client/rest-client.js';
import { R } from '../../../src/controllers/shared/resources.js';
import { rfc3339 } from '../../../src/util/clock.js';
import { pollUntil } from '../harness/poll.js';
import { REPO_ROOT, startSkiffServer } from '../harness/skiff-server.js';

test('skiff controllers process: schedules a pod and programs its endpoint; serves metrics; stops on SIGTERM', async (t) => {
  const server = await startSkiffServer(t);
  const args = ['controllers', '--kubeconfig', server.componentKubeconfig('controllers'), '--metrics-port', '0'];
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', `import('./src/cmd/main.ts').then(m => m.main(${JSON.stringify(args)})).then(c => { process.exitCode = c; })`], {
    cwd: REPO_ROOT,
    env: { ...process.env, SKIFF_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const client = await RestClient.fromKubeconfig(server.kubeconfig);
  t.after(() => client.close());
  const node = await client.create<Node>(R.nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } });
  await client.update(R.nodes, { ...node, status: { allocatable: { cpu: '2', memory: '2Gi', pods: '10' }, conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: rfc3339(Date.now()) }] } }, { subresource: 'status' });
  await client.create<Service>(R.services, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } });
  await client.create<Pod>(R.pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'x' }] } });
  const bound = await pollUntil(async () => {
    const p = await client.get<Pod>(R.pods, 'web', 'default');
    return p.spec?.nodeName ? p : undefined;
  }, { what: `pod bound (controllers output: ${output})`, timeoutMs: 20_000 });
  assert.equal(bound.spec?.nodeName, 'n1');
  await client.update(R.pods, { ...bound, status: { phase: 'Running', podIP: '198.18.0.7', podIPs: [{ ip: '198.18.0.7' }], conditions: [{ type: 'Ready', status: 'True' }] } }, { subresource: 'status' });
  await pollUntil(async () => {
    const slices = await client.list<EndpointSlice>(R.endpointSlices, { namespace: 'default', labelSelector: 'kubernetes.io/service-name=web' });
    return slices.items.some((s) => s.endpoints?.some((e) => e.addresses[0] === '198.18.0.7' && e.conditions?.ready));
  }, { what: 'endpoint programmed', timeoutMs: 10_000 });
  const metricsUrl = /metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(output)?.[1];
  assert.ok(metricsUrl, `metrics URL printed (output: ${output})`);
  const text = await (await fetch(metricsUrl)).text();
  assert.match(text, /skiff_controller_syncs_total\{controller="endpointslice",result="success"\} [1-9]/);
  assert.match(text, /skiff_workqueue_depth\{controller="deployment"\} 0/);
  child.kill('SIGTERM');
  assert.equal(await exited, 0, `exit code (output: ${output})`);
});
