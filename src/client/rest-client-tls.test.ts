import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { findResource } from '../api/resources.js';
import { RestClient } from './rest-client.js';

const namespaces = findResource('', 'namespaces')!;

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('rest client over https: verifies the CA, sends the token, insecure skips verification', { skip: !hasOpenssl() && 'openssl not installed' }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-tls-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  const cert = await readFile(join(dir, 'cert.pem'), 'utf8');
  const key = await readFile(join(dir, 'key.pem'), 'utf8');
  let auth: string | undefined;
  const server = https.createServer({ cert, key }, (req, res) => {
    auth = req.headers.authorization;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'default' } }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const good = new RestClient({ server: url, ca: cert, token: 't0k' });
  t.after(() => good.close());
  const ns = await good.get(namespaces, 'default');
  assert.equal(ns.metadata.name, 'default');
  assert.equal(auth, 'Bearer t0k');
  const untrusted = new RestClient({ server: url });
  t.after(() => untrusted.close());
  await assert.rejects(untrusted.get(namespaces, 'default'), /self[- ]signed|certificate/i);
  const insecure = new RestClient({ server: url, insecure: true });
  t.after(() => insecure.close());
  assert.equal((await insecure.get(namespaces, 'default')).metadata.name, 'default');
});
