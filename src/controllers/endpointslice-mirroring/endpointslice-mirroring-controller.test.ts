import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EndpointSlice, Endpoints } from '../../api/types.js';
import { waitFor } from '../../client/testing/wait-for.js';
import { R } from '../shared/resources.js';
import { makeService, testContext } from '../shared/test-context.js';
import { EndpointSliceMirroringController, MIRROR_MANAGED_BY } from './endpointslice-mirroring-controller.js';

test('mirroring: a selector-less Service\'s Endpoints become EndpointSlices; selector Services and skip-mirror are left alone', async (t) => {
  const ctx = testContext();
  const c = new EndpointSliceMirroringController(ctx, { maxEndpointsPerSlice: 2 });
  await c.start();
  ctx.informers.start();
  t.after(async () => {
    await c.stop();
    ctx.informers.stop();
  });
  const { client } = ctx;
  const slicesOf = (svc: string) => client.objects<EndpointSlice>(R.endpointSlices, 'default').filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === svc);
  await client.create(R.services, makeService('db', {}));
  await client.create(R.services, makeService('sel', { selector: { app: 'x' } }));
  await client.create(R.services, makeService('skip', {}));
  const ep = (name: string, labels?: Record<string, string>): Endpoints => ({
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name, namespace: 'default', labels },
    subsets: [{ addresses: [{ ip: '198.18.5.1', hostname: 'a' }, { ip: '198.18.5.2' }], notReadyAddresses: [{ ip: '198.18.5.3' }], ports: [{ name: 'sql', port: 5432, protocol: 'TCP' }] }],
  });
  await client.create(R.endpoints, ep('db'));
  await client.create(R.endpoints, ep('sel'));
  await client.create(R.endpoints, ep('skip', { 'endpointslice.kubernetes.io/skip-mirror': 'true' }));
  await waitFor(() => slicesOf('db').length === 2, 'two mirrored slices (2 per slice)');
  const all = slicesOf('db').flatMap((s) => s.endpoints);
  assert.deepEqual(all.map((e) => [e.addresses[0], e.conditions?.ready]).sort(), [['198.18.5.1', true], ['198.18.5.2', true], ['198.18.5.3', false]]);
  assert.equal(all.find((e) => e.addresses[0] === '198.18.5.1')!.hostname, 'a');
  assert.deepEqual(slicesOf('db')[0].ports, [{ name: 'sql', protocol: 'TCP', port: 5432 }]);
  assert.equal(slicesOf('db')[0].metadata.labels?.['endpointslice.kubernetes.io/managed-by'], MIRROR_MANAGED_BY);
  assert.equal(slicesOf('sel').length, 0);
  assert.equal(slicesOf('skip').length, 0);
  // the user edits the Endpoints: the mirror follows; deleting it removes the mirror
  const cur = client.peek<Endpoints>(R.endpoints, 'db', 'default')!;
  await client.update(R.endpoints, { ...cur, subsets: [{ addresses: [{ ip: '198.18.5.9' }], ports: [{ port: 5432 }] }] });
  await waitFor(() => slicesOf('db').length === 1 && slicesOf('db')[0].endpoints[0]?.addresses[0] === '198.18.5.9', 'mirror updated');
  await client.delete(R.endpoints, 'db', 'default');
  await waitFor(() => slicesOf('db').length === 0, 'mirror removed');
});
