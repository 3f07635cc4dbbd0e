/**
 * pods/log and pods/exec reach the pod's agent: a fake agent (plain HTTP on 127.0.0.1)
 * publishes itself on its Node; the API server forwards logs and splices websocket upgrades.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { apiCall } from '../harness/api-call.js';
import { startInProcessServer } from '../harness/skiff-server.js';

test('log and exec are proxied to the agent with its token', async (t) => {
  const s = await startInProcessServer(t);
  const seen: { url?: string; auth?: string }[] = [];
  const agent = createServer((req: IncomingMessage, res) => {
    seen.push({ url: req.url, auth: req.headers.authorization });
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('line 1\nline 2\n');
  });
  const wss = new WebSocketServer({ server: agent, handleProtocols: (protocols) => (protocols.has('v5.channel.k8s.io') ? 'v5.channel.k8s.io' : false) });
  wss.on('connection', (ws, req) => {
    seen.push({ url: req.url, auth: req.headers.authorization });
    ws.on('message', (data: Buffer) => {
      ws.send(Buffer.concat([Buffer.from([1]), data.subarray(1)]));
      ws.send(Buffer.concat([Buffer.from([3]), Buffer.from('{"metadata":{},"status":"Success"}')]));
      ws.close();
    });
  });
  await new Promise<void>((r) => agent.listen(0, '127.0.0.1', r));
  t.after(() => {
    wss.close();
    agent.close();
    agent.closeAllConnections();
  });
  const port = (agent.address() as AddressInfo).port;
  const call = (path: string, o: Parameters<typeof apiCall>[2] = {}) => apiCall(s, path, { token: s.token, ...o });
  await call('/api/v1/nodes', {
    method: 'POST',
    body: { metadata: { name: 'n1', annotations: { 'skiff.dev/agent-endpoint': `http://127.0.0.1:${port}`, 'skiff.dev/agent-token': 'agent-secret' } } },
  });
  await call('/api/v1/namespaces/default/pods', { method: 'POST', body: { metadata: { name: 'p' }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'x' }] } } });
  await call('/api/v1/namespaces/default/pods', { method: 'POST', body: { metadata: { name: 'pending' }, spec: { containers: [{ name: 'c', image: 'x' }] } } });

  const log = await call('/api/v1/namespaces/default/pods/p/log?container=c&tailLines=2');
  assert.equal(log.status, 200);
  assert.equal(log.body, 'line 1\nline 2\n');
  assert.equal(seen[0]!.url, '/api/v1/namespaces/default/pods/p/log?container=c&tailLines=2');
  assert.equal(seen[0]!.auth, 'Bearer agent-secret');
  assert.equal((await call('/api/v1/namespaces/default/pods/pending/log')).status, 400);
  assert.equal((await call('/api/v1/namespaces/default/pods/nope/log')).status, 404);

  const wsUrl = `${s.url.replace('https', 'wss')}/api/v1/namespaces/default/pods/p/exec?command=echo&stdout=true&stdin=true`;
  const ws = new WebSocket(wsUrl, ['v5.channel.k8s.io'], { ca: s.caPem, headers: { authorization: `Bearer ${s.token}` } });
  const frames: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    ws.on('open', () => ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('hello')])));
    ws.on('message', (d: Buffer) => frames.push(d));
    ws.on('close', () => resolve());
    ws.on('error', reject);
  });
  assert.equal(ws.protocol, 'v5.channel.k8s.io');
  assert.equal(frames[0]!.toString('utf8', 1), 'hello');
  assert.equal(frames[0]![0], 1);
  assert.match(frames[1]!.toString('utf8', 1), /Success/);
  assert.equal(seen[seen.length - 1]!.auth, 'Bearer agent-secret');

  const anon = new WebSocket(wsUrl, ['v5.channel.k8s.io'], { ca: s.caPem });
  const status = await new Promise<number>((resolve) => {
    anon.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    anon.on('error', () => resolve(-1));
  });
  assert.equal(status, 401);
});
