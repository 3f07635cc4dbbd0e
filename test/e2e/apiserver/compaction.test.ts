/** A continue token whose revision storage has compacted answers 410 Expired, as in Kubernetes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startApiServer } from '../../../src/apiserver/index.js';
import { MemoryStorage } from '../../../src/storage/memory/memory-storage.js';
import { silentLogger } from '../../../src/util/logger.js';
import { apiCall } from '../harness/api-call.js';
import { TEST_CLUSTER_CIDR, TEST_SERVICE_CIDR } from '../harness/skiff-server.js';
import { tempDir } from '../harness/tmp.js';

test('continue after compaction is 410 Expired; a fresh list works', async (t) => {
  const storage = new MemoryStorage();
  const server = await startApiServer({ dataDir: tempDir(t), storage, port: 0, serviceCidr: TEST_SERVICE_CIDR, clusterCidr: TEST_CLUSTER_CIDR, logger: silentLogger });
  t.after(async () => {
    await server.close();
    await storage.close();
  });
  const s = { url: server.url, caPem: server.caPem };
  const call = (path: string, o: Parameters<typeof apiCall>[2] = {}) => apiCall(s, path, { token: server.tokens.admin, ...o });
  for (let i = 0; i < 5; i++) await call('/api/v1/namespaces/default/configmaps', { method: 'POST', body: { metadata: { name: `c${i}` } } });
  const first = (await call('/api/v1/namespaces/default/configmaps?limit=2')).json<{ metadata: { continue: string } }>();
  assert.ok(first.metadata.continue);
  await call('/api/v1/namespaces/default/configmaps/c4', { method: 'DELETE' });
  await storage.compact(await storage.currentRevision());
  const gone = await call(`/api/v1/namespaces/default/configmaps?limit=2&continue=${first.metadata.continue}`);
  assert.equal(gone.status, 410);
  assert.equal(gone.json().reason, 'Expired');
  const fresh = (await call('/api/v1/namespaces/default/configmaps')).json<{ items: unknown[] }>();
  assert.equal(fresh.items.length, 4);
});
