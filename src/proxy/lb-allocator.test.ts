import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from '../api/types.js';
import type { ApiClient } from '../client/types.js';
import { LoadBalancerAllocator } from './lb-allocator.js';
import { FakeInformer, makeService } from './testing.js';

test('LB allocator: assigns pool addresses through services/status, honours loadBalancerIP, frees on delete', async () => {
  const patches: { name: string; body: unknown; opts: unknown }[] = [];
  const client = {
    patch: async (_r: unknown, name: string, _ns: string, body: unknown, type: string, opts: unknown) => {
      assert.equal(type, 'merge');
      patches.push({ name, body, opts });
      return {} as Service;
    },
  } as unknown as ApiClient;
  const svcs = new FakeInformer<Service>();
  const alloc = new LoadBalancerAllocator({ client, pool: '198.19.64.0/30' }, svcs);
  svcs.set(makeService({ name: 'taken', clusterIP: '198.19.0.1', type: 'LoadBalancer', ports: [{ port: 80, nodePort: 30001 }], lbIPs: ['198.19.64.1'] }));
  svcs.set(makeService({ name: 'plain', clusterIP: '198.19.0.2', ports: [{ port: 80 }] }));
  svcs.start();
  await alloc.settled();
  assert.equal(patches.length, 0, 'existing assignment kept, ClusterIP ignored');
  svcs.set(makeService({ name: 'new', clusterIP: '198.19.0.3', type: 'LoadBalancer', ports: [{ port: 80, nodePort: 30002 }] }));
  await alloc.settled();
  assert.deepEqual(patches.at(-1), {
    name: 'new',
    body: { status: { loadBalancer: { ingress: [{ ip: '198.19.64.2', ipMode: 'VIP' }] } } },
    opts: { subresource: 'status', fieldManager: 'skiff-proxy-lb' },
  });
  // Pool /30 has two usable addresses: the third Service waits.
  svcs.set(makeService({ name: 'third', clusterIP: '198.19.0.4', type: 'LoadBalancer', ports: [{ port: 80, nodePort: 30003 }] }));
  await alloc.settled();
  assert.equal(patches.length, 1);
  svcs.remove(makeService({ name: 'taken', clusterIP: '198.19.0.1', ports: [{ port: 80 }] }));
  await alloc.settled();
  assert.equal(patches.at(-1)!.name, 'third');
  assert.deepEqual(patches.at(-1)!.body, { status: { loadBalancer: { ingress: [{ ip: '198.19.64.1', ipMode: 'VIP' }] } } });
});
