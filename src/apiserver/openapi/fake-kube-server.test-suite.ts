/**
 * Test-only: a minimal HTTP server on 127.0.0.1 that answers what kubectl asks before it does
 * anything (`/version`, legacy discovery) plus the OpenAPI v3 documents of this folder, and
 * records every other request (method, url, headers, body) for the test to inspect.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RESOURCES, apiVersionOf } from '../../api/resources.js';
import { OPENAPI_V2_PROTOBUF_CONTENT_TYPE, openApiV2Protobuf, openApiV3Document, openApiV3Index } from './index.js';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export interface FakeKubeServer {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

function resourceList(groupVersion: string): object {
  const infos = RESOURCES.filter((i) => apiVersionOf(i) === groupVersion);
  const resources = infos.flatMap((i) => [
    { name: i.resource, singularName: i.singular, namespaced: i.namespaced, kind: i.kind, verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], shortNames: i.shortNames, categories: i.categories },
    ...i.subresources.map((s) => ({ name: `${i.resource}/${s}`, singularName: '', namespaced: i.namespaced, kind: s === 'scale' ? 'Scale' : i.kind, verbs: ['get', 'patch', 'update'] })),
  ]);
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources };
}

/** Starts the server; `onRequest` may answer a recorded request itself (return true). */
export async function startFakeKubeServer(minor = '32', onRequest?: (r: RecordedRequest, res: import('node:http').ServerResponse) => boolean, serveV2 = true): Promise<FakeKubeServer> {
  const requests: RecordedRequest[] = [];
  const groups = [...new Set(RESOURCES.filter((i) => i.group).map((i) => i.group))];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const send = (code: number, body: unknown) => {
        res.writeHead(code, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
        res.end(JSON.stringify(body));
      };
      const p = url.pathname;
      if (p === '/version') return send(200, { major: '1', minor, gitVersion: `v1.${minor}.0`, platform: 'linux/amd64' });
      if (p === '/api') return send(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] });
      if (p === '/apis') {
        return send(200, {
          kind: 'APIGroupList',
          apiVersion: 'v1',
          groups: groups.map((g) => ({ name: g, versions: [{ groupVersion: `${g}/v1`, version: 'v1' }], preferredVersion: { groupVersion: `${g}/v1`, version: 'v1' } })),
        });
      }
      if (p === '/api/v1') return send(200, resourceList('v1'));
      const m = /^\/apis\/([^/]+)\/(v1)$/.exec(p);
      if (m) return send(200, resourceList(`${m[1]}/${m[2]}`));
      if (p === '/openapi/v3') return send(200, openApiV3Index());
      if (p === '/openapi/v2' && serveV2) {
        res.writeHead(200, { 'Content-Type': OPENAPI_V2_PROTOBUF_CONTENT_TYPE });
        return res.end(openApiV2Protobuf());
      }
      if (p.startsWith('/openapi/v3/')) {
        const doc = openApiV3Document(p.slice('/openapi/v3/'.length));
        return doc ? send(200, doc) : send(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404, reason: 'NotFound', message: 'not found' });
      }
      const rec: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(rec);
      if (onRequest?.(rec, res)) return;
      send(404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 404, reason: 'NotFound', message: 'not found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
