/**
 * The controllers outlive an API server restart: their watches break, the reflectors re-list
 * with back-off once the server is back (same data dir, same port), and work continues.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import type { EndpointSlice, Pod, Service } from '../../../src/api/types.js';
import { InformerFactory } from '../../../src/client/informer/informer-factory.js';
import { RestClient } from '../../../src/client/rest-client.js';
import { startControllerManager } from '../../../src/controllers/manager.js';
import { R } from '../../../src/controllers/shared/resources.js';
import { silentLogger } from '../../../src/util/logger.js';
import { pollUntil } from '../harness/poll.js';
import { startSkiffServer } from '../harness/skiff-server.js';
import { tempDir } from '../harness/tmp.js';

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

test('controllers keep working across an API server restart', async (t) => {
  const dataDir = tempDir(t, 'skt-ctl-restart-');
  const port = await freePort();
  const first = await startSkiffServer(t, { dataDir, extraArgs: ['--port', String(port)] });
  assert.equal(new URL(first.url).port, String(port));
  const client = await RestClient.fromKubeconfig(first.kubeconfig);
  const informers = new InformerFactory({ client, logger: silentLogger, backoffMaxMs: 1000 });
  const mgr = await startControllerManager({ client, informers, logger: silentLogger, controllers: ['endpointslice'] });
  informers.start();
  t.after(async () => {
    await mgr.stop();
    informers.stop();
    client.close();
  });
  await client.create<Service>(R.services, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } });
  const pod = await client.create<Pod>(R.pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'x' }] } });
  const setReady = async (ready: boolean) => {
    const cur = await client.get<Pod>(R.pods, 'web', 'default');
    await client.update(R.pods, { ...cur, status: { phase: 'Running', podIP: '198.18.0.5', podIPs: [{ ip: '198.18.0.5' }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } }, { subresource: 'status' });
  };
  const readyOf = async () => {
    const s = await client.list<EndpointSlice>(R.endpointSlices, { namespace: 'default', labelSelector: 'kubernetes.io/service-name=web' });
    return s.items.flatMap((x) => x.endpoints ?? []).find((e) => e.addresses[0] === '198.18.0.5')?.conditions?.ready;
  };
  assert.ok(pod.metadata.uid);
  await setReady(true);
  await pollUntil(async () => (await readyOf()) === true, { what: 'ready before restart' });
  await first.stop();
  const second = await startSkiffServer(t, { dataDir, extraArgs: ['--port', String(port)] });
  assert.equal(second.url, first.url);
  await setReady(false);
  await pollUntil(async () => (await readyOf()) === false, { what: 'endpoint follows after the restart', timeoutMs: 20_000 });
});
