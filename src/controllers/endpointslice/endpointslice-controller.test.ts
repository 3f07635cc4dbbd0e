import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EndpointSlice, Endpoints, Pod } from '../../api/types.js';
import { waitFor } from '../../client/testing/wait-for.js';
import { EndpointsController, OVER_CAPACITY_ANNOTATION } from '../endpoints/endpoints-controller.js';
import { R } from '../shared/resources.js';
import { makePod, makeService, testContext } from '../shared/test-context.js';
import { EndpointSliceController, MANAGED_BY, MANAGED_BY_LABEL, SERVICE_NAME_LABEL } from './endpointslice-controller.js';

async function setup(t: { after(fn: () => unknown): void }, opts: { maxPerSlice?: number; maxEndpoints?: number } = {}) {
  const ctx = testContext();
  const slices = new EndpointSliceController(ctx, { maxEndpointsPerSlice: opts.maxPerSlice });
  const eps = new EndpointsController(ctx, { maxEndpoints: opts.maxEndpoints });
  await slices.start();
  await eps.start();
  ctx.informers.start();
  t.after(async () => {
    await slices.stop();
    await eps.stop();
    ctx.informers.stop();
  });
  const slicesOf = (svc: string, ns = 'default') => ctx.client.objects<EndpointSlice>(R.endpointSlices, ns).filter((s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === svc);
  const readyIps = (svc: string) =>
    slicesOf(svc)
      .flatMap((s) => s.endpoints)
      .filter((e) => e.conditions?.ready)
      .map((e) => e.addresses[0])
      .sort();
  return { ctx, client: ctx.client, slicesOf, readyIps };
}

test('endpointslice: 3 ready pods → 3 ready endpoints with targetRef, nodeName, labels, owner', async (t) => {
  const { client, slicesOf, readyIps } = await setup(t);
  const svc = await client.create(R.services, makeService('web', { selector: { app: 'web' } }));
  for (let i = 1; i <= 3; i++) await client.create(R.pods, makePod(`web-${i}`, { labels: { app: 'web' }, ip: `198.18.0.${i}`, node: 'n1' }));
  await client.create(R.pods, makePod('other', { labels: { app: 'other' }, ip: '198.18.0.9' }));
  await client.create(R.pods, makePod('no-ip', { labels: { app: 'web' } }));
  await waitFor(() => readyIps('web').length === 3, '3 ready endpoints');
  assert.deepEqual(readyIps('web'), ['198.18.0.1', '198.18.0.2', '198.18.0.3']);
  const [slice] = slicesOf('web');
  assert.equal(slice.addressType, 'IPv4');
  assert.equal(slice.metadata.labels?.[MANAGED_BY_LABEL], MANAGED_BY);
  assert.deepEqual(slice.metadata.ownerReferences?.[0], { apiVersion: 'v1', kind: 'Service', name: 'web', uid: svc.metadata.uid, controller: true, blockOwnerDeletion: true });
  assert.deepEqual(slice.ports, [{ name: 'http', protocol: 'TCP', port: 8080 }]);
  const e = slice.endpoints.find((x) => x.addresses[0] === '198.18.0.1')!;
  assert.deepEqual(e.conditions, { ready: true, serving: true, terminating: false });
  assert.equal(e.nodeName, 'n1');
  assert.equal(e.targetRef?.name, 'web-1');
  await waitFor(() => (client.peek<Endpoints>(R.endpoints, 'web', 'default')?.subsets?.[0]?.addresses?.length ?? 0) === 3, 'legacy endpoints');
  const ep = client.peek<Endpoints>(R.endpoints, 'web', 'default')!;
  assert.deepEqual(ep.subsets?.[0]?.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
  assert.equal(ep.subsets?.[0]?.addresses?.[0]?.targetRef?.kind, 'Pod');
});

test('endpointslice: unready pod leaves the ready set at once; terminating pod is serving+terminating', async (t) => {
  const { client, slicesOf, readyIps } = await setup(t);
  await client.create(R.services, makeService('web', { selector: { app: 'web' } }));
  for (let i = 1; i <= 3; i++) await client.create(R.pods, makePod(`web-${i}`, { labels: { app: 'web' }, ip: `198.18.0.${i}`, node: 'n1' }));
  await waitFor(() => readyIps('web').length === 3, '3 ready');
  const p2 = client.peek<Pod>(R.pods, 'web-2', 'default')!;
  p2.status!.conditions = [{ type: 'Ready', status: 'False' }];
  await client.update(R.pods, p2, { subresource: 'status' });
  await waitFor(() => readyIps('web').length === 2, 'web-2 no longer ready');
  const e2 = slicesOf('web')[0].endpoints.find((e) => e.addresses[0] === '198.18.0.2')!;
  assert.deepEqual(e2.conditions, { ready: false, serving: false, terminating: false });
  await waitFor(() => {
    const ep = client.peek<Endpoints>(R.endpoints, 'web', 'default');
    return ep?.subsets?.[0]?.notReadyAddresses?.[0]?.ip === '198.18.0.2' && ep.subsets[0].addresses?.length === 2;
  }, 'legacy notReadyAddresses');
  // graceful delete of a pod on a node: stays as terminating
  await client.delete(R.pods, 'web-3', 'default');
  await waitFor(() => slicesOf('web')[0].endpoints.find((e) => e.addresses[0] === '198.18.0.3')?.conditions?.terminating === true, 'terminating');
  assert.deepEqual(slicesOf('web')[0].endpoints.find((e) => e.addresses[0] === '198.18.0.3')!.conditions, { ready: false, serving: true, terminating: true });
  await waitFor(() => !JSON.stringify(client.peek(R.endpoints, 'web', 'default')).includes('198.18.0.3'), 'terminating pod out of legacy endpoints');
});

test('endpointslice: named targetPort per pod, headless hostnames, publishNotReadyAddresses', async (t) => {
  const { client, slicesOf } = await setup(t);
  await client.create(R.services, makeService('db', { selector: { app: 'db' }, headless: true, publishNotReady: true, ports: [{ name: 'sql', port: 5432, targetPort: 'pg' }] }));
  await client.create(R.pods, makePod('db-0', { labels: { app: 'db' }, ip: '198.18.1.1', ready: false, hostname: 'db-0', subdomain: 'db', ports: [{ name: 'pg', containerPort: 5432 }] }));
  await client.create(R.pods, makePod('db-1', { labels: { app: 'db' }, ip: '198.18.1.2', hostname: 'db-1', subdomain: 'other', ports: [{ name: 'pg', containerPort: 6000 }] }));
  await client.create(R.pods, makePod('db-x', { labels: { app: 'db' }, ip: '198.18.1.3', ports: [{ name: 'nope', containerPort: 1 }] }));
  await waitFor(() => slicesOf('db').length === 3, 'three slices: one per resolved port set');
  const byPort = new Map(slicesOf('db').map((s) => [s.ports?.[0]?.port ?? 0, s]));
  const s5432 = byPort.get(5432)!;
  assert.equal(s5432.endpoints[0].hostname, 'db-0');
  assert.deepEqual(s5432.endpoints[0].conditions, { ready: true, serving: true, terminating: false }, 'publishNotReadyAddresses');
  assert.equal(byPort.get(6000)!.endpoints[0].hostname, undefined, 'subdomain must name the service');
  assert.deepEqual(byPort.get(0)!.ports, [], 'a pod without the named port gets a slice without ports');
  assert.equal(slicesOf('db')[0].metadata.labels?.['service.kubernetes.io/headless'], '');
  await waitFor(() => (client.peek<Endpoints>(R.endpoints, 'db', 'default')?.subsets?.length ?? 0) === 2, 'legacy subsets per port');
  const ep = client.peek<Endpoints>(R.endpoints, 'db', 'default')!;
  assert.equal(ep.subsets!.find((s) => s.ports?.[0]?.port === 5432)!.addresses![0].hostname, 'db-0');
});

test('endpointslice: at most N per slice; legacy endpoints capped with the over-capacity annotation; selector-less services left alone', async (t) => {
  const { client, slicesOf } = await setup(t, { maxPerSlice: 4, maxEndpoints: 7 });
  await client.create(R.services, makeService('big', { selector: { app: 'big' } }));
  await client.create(R.services, makeService('manual', {}));
  await client.create(R.endpoints, { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'manual', namespace: 'default' }, subsets: [{ addresses: [{ ip: '198.18.9.9' }] }] } as Endpoints);
  for (let i = 1; i <= 10; i++) await client.create(R.pods, makePod(`big-${i}`, { labels: { app: 'big' }, ip: `198.18.2.${i}`, ready: i !== 10 }));
  await waitFor(() => slicesOf('big').reduce((n, s) => n + s.endpoints.length, 0) === 10, '10 endpoints');
  assert.deepEqual(slicesOf('big').map((s) => s.endpoints.length).sort(), [2, 4, 4]);
  await waitFor(() => client.peek<Endpoints>(R.endpoints, 'big', 'default')?.metadata.annotations?.[OVER_CAPACITY_ANNOTATION] === 'truncated', 'truncated');
  const ep = client.peek<Endpoints>(R.endpoints, 'big', 'default')!;
  assert.equal(ep.subsets![0].addresses!.length, 7);
  assert.equal(ep.subsets![0].notReadyAddresses, undefined, 'ready addresses are kept first');
  // shrink: annotation removed, slices compacted by deletion of empty ones
  for (let i = 1; i <= 8; i++) await client.delete(R.pods, `big-${i}`, 'default');
  await waitFor(() => slicesOf('big').reduce((n, s) => n + s.endpoints.length, 0) === 2, '2 endpoints');
  await waitFor(() => client.peek<Endpoints>(R.endpoints, 'big', 'default')?.metadata.annotations?.[OVER_CAPACITY_ANNOTATION] === undefined, 'annotation removed');
  assert.equal(slicesOf('manual').length, 0);
  assert.equal(client.peek<Endpoints>(R.endpoints, 'manual', 'default')!.subsets![0].addresses![0].ip, '198.18.9.9');
  // the service goes: slices and endpoints go with it
  await client.delete(R.services, 'big', 'default');
  await waitFor(() => slicesOf('big').length === 0 && !client.peek(R.endpoints, 'big', 'default'), 'cleaned up');
});

test('endpointslice: no endpoints → one empty placeholder slice; label changes move pods between services', async (t) => {
  const { client, slicesOf, readyIps } = await setup(t);
  await client.create(R.services, makeService('a', { selector: { app: 'a' } }));
  await client.create(R.services, makeService('b', { selector: { app: 'b' } }));
  await waitFor(() => slicesOf('a').length === 1 && slicesOf('b').length === 1, 'placeholders');
  assert.deepEqual(slicesOf('a')[0].endpoints, []);
  await client.create(R.pods, makePod('p', { labels: { app: 'a' }, ip: '198.18.3.1' }));
  await waitFor(() => readyIps('a').length === 1, 'in a');
  const p = client.peek<Pod>(R.pods, 'p', 'default')!;
  p.metadata.labels = { app: 'b' };
  await client.update(R.pods, p);
  await waitFor(() => readyIps('a').length === 0 && readyIps('b').length === 1, 'moved to b');
  assert.equal(slicesOf('a').length, 1);
});
