/**
 * The API at the HTTP level: authentication, discovery negotiation, list/watch semantics
 * (resourceVersion, 410, bookmarks, selectors, Table events, pagination), error codes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apiCall } from '../harness/api-call.js';
import { startInProcessServer, type TestServer } from '../harness/skiff-server.js';
import { openWatch } from '../harness/watch-stream.js';

const cm = (name: string, labels?: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data: { k: 'v' } });

function call(s: TestServer, path: string, o: Parameters<typeof apiCall>[2] = {}) {
  return apiCall(s, path, { token: s.token, ...o });
}

test('API protocol', async (t) => {
  const s = await startInProcessServer(t, { watchCacheCapacity: 8, bookmarkIntervalMs: 100 });

  await t.test('authentication: anonymous 401 except health and version; Cache-Control everywhere', async () => {
    const anon = await apiCall(s, '/api/v1/namespaces');
    assert.equal(anon.status, 401);
    assert.equal(anon.json().reason, 'Unauthorized');
    assert.equal(anon.headers['cache-control'], 'no-cache, private');
    for (const p of ['/healthz', '/livez', '/readyz']) assert.equal((await apiCall(s, p)).body, 'ok');
    const v = (await apiCall(s, '/version')).json();
    assert.equal(v.major, '1');
    assert.match(String(v.gitVersion), /^v1\.\d+\.0-skiff$/);
    assert.equal((await apiCall(s, '/metrics')).status, 401);
    const m = await call(s, '/metrics');
    assert.match(m.body, /apiserver_request_total/);
    assert.equal((await apiCall(s, '/api', { token: 'wrong' })).status, 401);
    const compToken = (await import('node:fs')).readFileSync(s.componentKubeconfig('dns'), 'utf8').match(/token: (\S+)/)![1]!;
    assert.equal((await apiCall(s, '/api/v1/services', { token: compToken })).status, 200);
  });

  await t.test('discovery answers the exact content type asked for', async () => {
    const both = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';
    const agg = await call(s, '/apis', { headers: { accept: both } });
    assert.equal(agg.headers['content-type'], 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    assert.equal(agg.json().apiVersion, 'apidiscovery.k8s.io/v2');
    const beta = await call(s, '/api', { headers: { accept: 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json' } });
    assert.equal(beta.headers['content-type'], 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList');
    const core = beta.json<{ apiVersion: string; items: { versions: { resources: { resource: string; scope: string; shortNames?: string[]; categories?: string[]; subresources?: { subresource: string }[] }[] }[] }[] }>();
    assert.equal(core.apiVersion, 'apidiscovery.k8s.io/v2beta1');
    const pods = core.items[0]!.versions[0]!.resources.find((r) => r.resource === 'pods')!;
    assert.equal(pods.scope, 'Namespaced');
    assert.deepEqual(pods.shortNames, ['po']);
    assert.deepEqual(pods.categories, ['all']);
    assert.ok(pods.subresources!.some((x) => x.subresource === 'log'));
    const legacy = await call(s, '/api');
    assert.equal(legacy.json().kind, 'APIVersions');
    assert.equal((await call(s, '/apis')).json().kind, 'APIGroupList');
    const apps = (await call(s, '/apis/apps/v1')).json<{ resources: { name: string; kind: string }[] }>();
    assert.ok(apps.resources.some((r) => r.name === 'deployments/scale' && r.kind === 'Scale'));
    assert.equal((await call(s, '/apis/nope/v1')).status, 404);
    const v2 = await call(s, '/openapi/v2', { headers: { accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' } });
    assert.equal(v2.status, 200);
    assert.match(String(v2.headers['content-type']), /protobuf/);
    const v3 = (await call(s, '/openapi/v3')).json<{ paths: Record<string, { serverRelativeURL: string }> }>();
    assert.equal((await call(s, v3.paths['apis/apps/v1']!.serverRelativeURL)).status, 200);
  });

  await t.test('list RV, watch from it, watch from 0, selectors entering and leaving', async () => {
    await call(s, '/api/v1/namespaces/default/configmaps', { method: 'POST', body: cm('w1', { a: 'b' }) });
    const list = (await call(s, '/api/v1/namespaces/default/configmaps')).json<{ metadata: { resourceVersion: string }; items: unknown[] }>();
    const rv = list.metadata.resourceVersion;
    const fromRv = await openWatch(s, `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}`, s.token);
    const fromZero = await openWatch(s, `/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=0`, s.token);
    const selected = await openWatch(s, `/api/v1/watch/namespaces/default/configmaps?labelSelector=a%3Dc`, s.token);
    assert.equal(fromRv.headers['content-type'], 'application/json');
    await call(s, '/api/v1/namespaces/default/configmaps', { method: 'POST', body: cm('w2') });
    await call(s, '/api/v1/namespaces/default/configmaps/w1', { method: 'PATCH', body: { metadata: { labels: { a: 'c' } } }, headers: { 'content-type': 'application/merge-patch+json' } });
    await call(s, '/api/v1/namespaces/default/configmaps/w1', { method: 'PATCH', body: { metadata: { labels: { a: 'd' } } }, headers: { 'content-type': 'application/merge-patch+json' } });
    const evs = await fromRv.waitFor(3);
    assert.deepEqual(evs.map((e) => `${e.type} ${e.object.metadata!.name}`), ['ADDED w2', 'MODIFIED w1', 'MODIFIED w1']);
    const zero = await fromZero.waitFor(4);
    assert.equal(`${zero[0]!.type} ${zero[0]!.object.metadata!.name}`, 'ADDED w1');
    const sel = await selected.waitFor(2);
    assert.deepEqual(sel.map((e) => `${e.type} ${e.object.metadata!.name}`), ['ADDED w1', 'DELETED w1']);
    for (const w of [fromRv, fromZero, selected]) w.close();
  });

  await t.test('410 Gone as an ERROR event when history was evicted; bookmarks; timeoutSeconds', async () => {
    const start = (await call(s, '/api/v1/namespaces/default/configmaps')).json<{ metadata: { resourceVersion: string } }>().metadata.resourceVersion;
    for (let i = 0; i < 12; i++) await call(s, '/api/v1/namespaces/default/configmaps', { method: 'POST', body: cm(`gone-${i}`) });
    const old = await openWatch(s, `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${start}`, s.token);
    const [ev] = await old.waitFor(1);
    assert.equal(ev!.type, 'ERROR');
    assert.equal(ev!.object.code, 410);
    assert.equal(ev!.object.reason, 'Expired');
    await old.waitEnded();
    const now = (await call(s, '/api/v1/namespaces/default/configmaps')).json<{ metadata: { resourceVersion: string } }>().metadata.resourceVersion;
    const bm = await openWatch(s, `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${now}&allowWatchBookmarks=true&timeoutSeconds=1`, s.token);
    const got = await bm.waitFor(1);
    assert.equal(got[0]!.type, 'BOOKMARK');
    assert.equal(got[0]!.object.metadata!.resourceVersion, now);
    await bm.waitEnded(3000);
  });

  await t.test('watch with Accept Table sends one-row Tables; get/list as Table with PartialObjectMetadata rows', async () => {
    const accept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
    const table = (await call(s, '/api/v1/namespaces/default/configmaps', { headers: { accept } })).json<{ kind: string; rows: { object: { kind: string } }[]; metadata: { resourceVersion: string } }>();
    assert.equal(table.kind, 'Table');
    assert.equal(table.rows[0]!.object.kind, 'PartialObjectMetadata');
    const w = await openWatch(s, `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${table.metadata.resourceVersion}`, s.token, { accept });
    await call(s, '/api/v1/namespaces/default/configmaps', { method: 'POST', body: cm('tabled') });
    const [ev] = await w.waitFor(1);
    assert.equal(ev!.object.kind, 'Table');
    assert.equal((ev!.object.rows as unknown[]).length, 1);
    w.close();
    const full = (await call(s, '/api/v1/namespaces/default/configmaps?includeObject=Object', { headers: { accept } })).json<{ rows: { object: { kind: string } }[] }>();
    assert.equal(full.rows[0]!.object.kind, 'ConfigMap');
  });

  await t.test('limit + continue pages through a consistent snapshot', async () => {
    const names = new Set<string>();
    let cont = '';
    let pages = 0;
    do {
      const page = (await call(s, `/api/v1/namespaces/default/configmaps?limit=5${cont ? `&continue=${cont}` : ''}`)).json<{ metadata: { continue?: string }; items: { metadata: { name: string } }[] }>();
      for (const i of page.items) names.add(i.metadata.name);
      cont = page.metadata.continue ?? '';
      pages++;
      if (pages === 1) await call(s, '/api/v1/namespaces/default/configmaps', { method: 'POST', body: cm('zzz-after-snapshot') });
    } while (cont && pages < 20);
    assert.ok(pages >= 3);
    assert.ok(!names.has('zzz-after-snapshot'));
    assert.ok(names.has('w1') && names.has('gone-11'));
    assert.equal((await call(s, '/api/v1/namespaces/default/configmaps?limit=1&continue=garbage')).status, 400);
    // Without writes in between, later pages come from the cache: same items, same order.
    const all = (await call(s, '/api/v1/namespaces/default/configmaps')).json<{ items: { metadata: { name: string } }[] }>().items.map((i) => i.metadata.name);
    const paged: string[] = [];
    let token = '';
    do {
      const page = (await call(s, `/api/v1/namespaces/default/configmaps?limit=3${token ? `&continue=${token}` : ''}`)).json<{ metadata: { continue?: string }; items: { metadata: { name: string } }[] }>();
      paged.push(...page.items.map((i) => i.metadata.name));
      token = page.metadata.continue ?? '';
    } while (token);
    assert.deepEqual(paged, all);
  });

  await t.test('error codes: 400, 404, 405, 406, 413, 415, 422', async () => {
    const bad = await call(s, '/api/v1/namespaces/default/configmaps', { method: 'POST', body: '{"kind":' });
    assert.equal(bad.status, 400);
    assert.equal(bad.json().kind, 'Status');
    assert.equal((await call(s, '/api/v1/namespaces/default/widgets')).status, 404);
    assert.equal((await call(s, '/api/v1/namespaces/default/configmaps/x', { method: 'POST', body: cm('x') })).status, 405);
    assert.equal((await call(s, '/api/v1/namespaces', { headers: { accept: 'application/vnd.kubernetes.protobuf' } })).status, 406);
    const big = await call(s, '/api/v1/namespaces/default/configmaps', { method: 'POST', body: JSON.stringify({ ...cm('big'), data: { k: 'x'.repeat(3 * 1024 * 1024 + 10) } }) });
    assert.equal(big.status, 413);
    assert.equal((await call(s, '/api/v1/namespaces/default/configmaps', { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } })).status, 415);
    const invalid = await call(s, '/api/v1/namespaces/default/configmaps', { method: 'POST', body: cm('Not_Valid') });
    assert.equal(invalid.status, 422);
    assert.match(String(invalid.json().message), /metadata.name: Invalid value: "Not_Valid"/);
  });
});

test('the authorization seam decides per request (403 Forbidden as Status)', async (t) => {
  const s = await startInProcessServer(t, {
    authorizer: (user, a) => !(a.resource === 'secrets' && a.verb !== 'get') && !(a.path === '/metrics' && user.name !== 'skiff:admin'),
  });
  const denied = await call(s, '/api/v1/namespaces/default/secrets');
  assert.equal(denied.status, 403);
  assert.equal(denied.json().reason, 'Forbidden');
  assert.match(String(denied.json().message), /User "skiff:admin" cannot list secrets/);
  assert.equal((await call(s, '/api/v1/namespaces/default/configmaps')).status, 200);
  const dnsToken = (await import('node:fs')).readFileSync(s.componentKubeconfig('dns'), 'utf8').match(/token: (\S+)/)![1]!;
  assert.equal((await apiCall(s, '/metrics', { token: dnsToken })).status, 403);
});
