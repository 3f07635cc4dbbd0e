/**
 * Host network mode (works without root): pods share the machine's network and get distinct
 * loopback addresses; containers receive POD_IP and bind to it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findResource } from '../../../src/api/resources.js';
import type { Pod } from '../../../src/api/types.js';
import { RestClient } from '../../../src/client/rest-client.js';
import { startAgent } from '../../../src/cmd/agent.js';
import { pollUntil } from '../harness/poll.js';
import { startInProcessServer } from '../harness/skiff-server.js';
import { tempDir } from '../harness/tmp.js';

const PODS = findResource('', 'pods')!;

test('host mode: loopback pod IPs, POD_IP binding, status and cleanup', async (t) => {
  // after-hooks run in registration order: the agent must go before the API server (whose
  // close waits for the agent's watch connections).
  const running: { agent?: Awaited<ReturnType<typeof startAgent>> } = {};
  t.after(() => running.agent?.stop());
  const server = await startInProcessServer(t);
  const client = await RestClient.fromKubeconfig(server.kubeconfig);
  t.after(() => client.close());
  const dataDir = tempDir(t, 'skt-ag-host-');
  running.agent = await startAgent({ client, nodeName: `skt-ag-host-${process.pid}`, network: 'host', nodeIP: '127.0.0.1', hostPodRange: `127.${100 + (process.pid % 100)}.0.0/16`, dataDir, port: 0, cgroups: false });
  const server1 = `require('http').createServer((q,s)=>s.end(process.env.HOSTNAME+' '+process.env.POD_IP+'\\n')).listen(8080, process.env.POD_IP)`;
  for (const name of ['h1', 'h2']) {
    await client.create<Pod>(PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default' },
      spec: { nodeName: `skt-ag-host-${process.pid}`, terminationGracePeriodSeconds: 1, containers: [{ name: 'web', image: 'x', command: [process.execPath, '-e', server1], readinessProbe: { httpGet: { port: 8080 }, periodSeconds: 1 } }] },
    });
  }
  const ready = async (name: string): Promise<Pod> =>
    pollUntil(async () => {
      const p = await client.get<Pod>(PODS, name, 'default');
      return p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? p : undefined;
    }, { what: `${name} ready`, timeoutMs: 15_000 });
  const [p1, p2] = await Promise.all([ready('h1'), ready('h2')]);
  assert.match(p1.status!.podIP!, new RegExp(`^127\\.${100 + (process.pid % 100)}\\.`));
  assert.notEqual(p1.status!.podIP, p2.status!.podIP);
  // Both bind port 8080 — on different loopback addresses.
  assert.match(await (await fetch(`http://${p1.status!.podIP}:8080/`)).text(), new RegExp(` ${p1.status!.podIP}\\n$`));
  assert.match(await (await fetch(`http://${p2.status!.podIP}:8080/`)).text(), new RegExp(` ${p2.status!.podIP}\\n$`));
  for (const name of ['h1', 'h2']) await client.delete(PODS, name, 'default');
  await pollUntil(async () => (await client.list<Pod>(PODS, { namespace: 'default' })).items.length === 0, { what: 'pods removed', timeoutMs: 10_000 });
});
