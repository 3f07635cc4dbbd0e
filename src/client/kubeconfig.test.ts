import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadKubeconfig, parseKubeconfig } from './kubeconfig.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

test('kubeconfig: current context, inline data, token', async () => {
  const text = `
apiVersion: v1
kind: Config
current-context: b
clusters:
- name: c1
  cluster: { server: "https://127.0.0.1:6443/", certificate-authority-data: ${b64('CA-PEM')} }
- name: c2
  cluster: { server: "http://127.0.0.1:8080", insecure-skip-tls-verify: true }
users:
- name: u1
  user: { token: tok1 }
- name: u2
  user: { client-certificate-data: ${b64('CERT')}, client-key-data: ${b64('KEY')} }
contexts:
- name: a
  context: { cluster: c1, user: u1 }
- name: b
  context: { cluster: c2, user: u2, namespace: team }
`;
  const cfg = await parseKubeconfig(text, '/');
  assert.deepEqual(cfg, { server: 'http://127.0.0.1:8080', insecure: true, cert: 'CERT', key: 'KEY', namespace: 'team' });
  const a = await parseKubeconfig(text, '/', 'a');
  assert.deepEqual(a, { server: 'https://127.0.0.1:6443', ca: 'CA-PEM', token: 'tok1' });
  await assert.rejects(parseKubeconfig(text, '/', 'nope'), /context "nope" not found/);
});

test('kubeconfig: file paths relative to the kubeconfig, tokenFile', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-kc-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'ca.crt'), 'CAFILE');
  await writeFile(join(dir, 'c.crt'), 'CERTFILE');
  await writeFile(join(dir, 'c.key'), 'KEYFILE');
  await writeFile(join(dir, 'token'), 'secret-token\n');
  await writeFile(
    join(dir, 'kubeconfig'),
    `current-context: x
clusters: [{ name: c, cluster: { server: "https://127.0.0.1:1", certificate-authority: ca.crt } }]
users: [{ name: u, user: { tokenFile: ${join(dir, 'token')}, client-certificate: c.crt, client-key: c.key } }]
contexts: [{ name: x, context: { cluster: c, user: u } }]
`,
  );
  const cfg = await loadKubeconfig(join(dir, 'kubeconfig'));
  assert.deepEqual(cfg, { server: 'https://127.0.0.1:1', ca: 'CAFILE', token: 'secret-token', cert: 'CERTFILE', key: 'KEYFILE' });
});
