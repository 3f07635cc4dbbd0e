/**
 * Fuzz: random methods, paths, headers and bodies (valid-looking and garbage objects) for a
 * bounded time. The server must answer every request with a non-5xx Status and stay up.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RESOURCES } from '../../../src/api/resources.js';
import { apiCall } from '../harness/api-call.js';
import { startInProcessServer } from '../harness/skiff-server.js';

const FUZZ_MS = Number(process.env.SKIFF_FUZZ_MS ?? 6000);

/** Small deterministic PRNG so a failure can be replayed with SKIFF_FUZZ_SEED. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

test('fuzzing the HTTP API finds no 5xx and no crash', async (t) => {
  const s = await startInProcessServer(t);
  const seed = Number(process.env.SKIFF_FUZZ_SEED ?? Date.now() % 1e9);
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const word = () => pick(['a', 'default', 'kube-system', 'x'.repeat(300), '..', '%2F', 'Ω', '', 'web', 'n1', 'a.b', '-bad-', '%zz']);
  const weird = (): unknown => pick([null, 0, -1, 1.5, true, 'x', [], {}, [1, 'a'], { a: { b: [null] } }, 'None', 2 ** 53, '198.19.0.5', { $patch: 'delete' }]);
  const randomObject = (kind: string): unknown => {
    const meta: Record<string, unknown> = pick([{ name: word() }, { generateName: word() }, { name: 'ok', labels: pick([{ a: 'b' }, { a: 1 }, weird()]) }, weird(), { name: 'ok', finalizers: weird(), ownerReferences: weird() }]) as Record<string, unknown>;
    const body: Record<string, unknown> = { apiVersion: pick(['v1', 'apps/v1', 'bogus', weird()]), kind: pick([kind, 'Pod', weird()]), metadata: meta };
    for (const f of ['spec', 'status', 'data', 'subsets', 'endpoints', 'ports', 'target']) if (rand() < 0.5) body[f] = weird();
    if (rand() < 0.5) body.spec = { replicas: weird(), selector: weird(), ports: [{ port: weird(), nodePort: weird(), protocol: weird() }], clusterIP: weird(), type: pick(['NodePort', 'LoadBalancer', 'ExternalName', weird()]), containers: weird(), template: weird() };
    return body;
  };
  const contentTypes = ['application/json', 'application/yaml', 'application/merge-patch+json', 'application/json-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml', 'application/vnd.kubernetes.protobuf', 'text/plain', '', 'application/json; charset=utf-8'];
  const accepts = ['application/json', 'application/json;as=Table;v=v1;g=meta.k8s.io', 'application/yaml', '*/*', 'application/vnd.kubernetes.protobuf', 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io', 'garbage;;;=', ''];
  const queries = ['', '?watch=true&timeoutSeconds=1', '?limit=2', '?limit=-1', '?continue=abc', '?labelSelector=a%20in%20(b', '?fieldSelector=metadata.name%3Dx', '?fieldSelector=spec.bogus%3D1', '?resourceVersion=abc', '?resourceVersion=999999999&watch=1&timeoutSeconds=1', '?dryRun=All', '?fieldValidation=Strict', '?propagationPolicy=Bogus', '?gracePeriodSeconds=x', '?fieldManager=f&force=true'];

  const paths = (): string => {
    const r = pick(RESOURCES);
    const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
    const ns = r.namespaced && rand() < 0.8 ? `/namespaces/${pick(['default', word()])}` : '';
    const name = rand() < 0.6 ? `/${pick(['ok', 'kubernetes', 'default', word()])}` : '';
    const sub = name && rand() < 0.3 ? `/${pick(['status', 'scale', 'binding', 'log', 'finalize', 'exec', word()])}` : '';
    return pick([
      `${base}${ns}/${r.resource}${name}${sub}`,
      `${base}/watch${ns}/${r.resource}${name}`,
      pick(['/', '/api', '/apis', '/apis/apps', '/apis/apps/v1', '/api/v2', '/openapi/v3', '/openapi/v3/api/v1', '/openapi/v2', '/metrics', '/version', '/healthz/x', `/${word()}/${word()}`, '/api/v1/namespaces/default/pods/x/y/z/w', '//api//v1', '/api/v1/namespaces/default/%ZZ']),
    ]);
  };

  const deadline = Date.now() + FUZZ_MS;
  let count = 0;
  const failures: string[] = [];
  const worker = async (): Promise<void> => {
    while (Date.now() < deadline && failures.length < 5) {
      const method = pick(['GET', 'GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
      let path = `${paths()}${pick(queries)}`;
      // Watches stream until their timeout: keep them short so each request completes.
      if (/\/watch\/|watch=/.test(path) && !path.includes('timeoutSeconds')) path += `${path.includes('?') ? '&' : '?'}timeoutSeconds=1`;
      const kind = pick(RESOURCES).kind;
      const body = method === 'GET' || method === 'OPTIONS' ? undefined : rand() < 0.2 ? Buffer.from(Array.from({ length: 64 }, () => Math.floor(rand() * 256))) : JSON.stringify(rand() < 0.2 ? [weird(), { op: 'replace', path: '/spec', value: weird() }] : randomObject(kind));
      const headers: Record<string, string> = { accept: pick(accepts) };
      const ct = pick(contentTypes);
      if (ct) headers['content-type'] = ct;
      try {
        const r = await apiCall(s, path, { method, body, headers, token: rand() < 0.95 ? s.token : undefined, timeoutMs: 5000 });
        count++;
        if (r.status >= 500 && r.status !== 503 && r.status !== 504) failures.push(`${method} ${path} ${ct} ${typeof body === 'string' ? body.slice(0, 300) : '<bytes>'} -> ${r.status} ${r.body.slice(0, 300)}`);
      } catch (err) {
        failures.push(`${method} ${path}: ${String(err)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  assert.deepEqual(failures, [], `seed ${seed}`);
  assert.ok(count > 100, `only ${count} requests`);
  const health = await apiCall(s, '/healthz');
  assert.equal(health.status, 200);
});
