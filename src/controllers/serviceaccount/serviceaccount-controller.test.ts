import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ServiceAccount } from '../../api/types.js';
import { waitFor } from '../../client/testing/wait-for.js';
import { R } from '../shared/resources.js';
import { testContext } from '../shared/test-context.js';
import { ServiceAccountController } from './serviceaccount-controller.js';

test('serviceaccount: every namespace gets a default ServiceAccount, re-created when deleted', async (t) => {
  const ctx = testContext();
  const c = new ServiceAccountController(ctx);
  await c.start();
  ctx.informers.start();
  t.after(async () => {
    await c.stop();
    ctx.informers.stop();
  });
  await ctx.client.create(R.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
  await waitFor(() => !!ctx.client.peek<ServiceAccount>(R.serviceAccounts, 'default', 'team'), 'created');
  await ctx.client.delete(R.serviceAccounts, 'default', 'team');
  await waitFor(() => !!ctx.client.peek<ServiceAccount>(R.serviceAccounts, 'default', 'team'), 're-created');
  assert.equal(ctx.client.objects(R.serviceAccounts).length, 1);
});
