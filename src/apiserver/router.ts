/**
 * The request path: health and version (open), authentication (bearer token → 401),
 * the authorization seam, then discovery, OpenAPI, metrics and resource handlers.
 * Every failure leaves as a Status; nothing thrown here can take the process down.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { findResource, type ResourceInfo } from '../api/resources.js';
import { StatusError, isStatusError } from '../api/status-error.js';
import { authenticate, type Authorizer, type UserInfo } from './auth.js';
import type { ApiRequest, ServerDeps } from './context.js';
import { aggregatedContentType, aggregatedDiscovery, legacyApiGroup, legacyApiGroupList, legacyApiVersions, legacyResourceList, type AggregatedVersion } from './discovery.js';
import { baseHeaders, parseMediaTypes, sendJson, sendRaw, sendStatusError } from './http-util.js';
import { handleBinding } from './handlers/binding.js';
import { handleCreate } from './handlers/create.js';
import { handleDelete, handleDeleteCollection } from './handlers/delete.js';
import { handleGet } from './handlers/get.js';
import { handleList } from './handlers/list.js';
import { handlePatch } from './handlers/patch.js';
import { handleProxy, proxyUpgrade } from './handlers/proxy.js';
import { handleScale } from './handlers/scale.js';
import { handleUpdate } from './handlers/update.js';
import { handleWatch } from './handlers/watch.js';
import { OPENAPI_V2_PROTOBUF_CONTENT_TYPE, openApiV2Document, openApiV2Etag, openApiV2Protobuf, openApiV3Document, openApiV3Index } from './openapi/index.js';
import { parseRequestInfo, type ResourceRequest } from './request-info.js';

export interface RouterOptions {
  deps: ServerDeps;
  tokens: Map<string, UserInfo>;
  authorize: Authorizer;
  version: () => Record<string, string>;
  serverAddress: () => string;
  /** True once the server can serve (watch cache primed, bootstrap done). */
  ready: () => boolean;
}

const HEALTH_PATHS = new Set(['/healthz', '/livez', '/readyz']);
const PROXY_SUBRESOURCES = new Set(['log', 'exec', 'portforward', 'attach']);
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

function notFound(): StatusError {
  return new StatusError('NotFound', 'the server could not find the requested resource');
}

function methodNotAllowed(): StatusError {
  return new StatusError('MethodNotAllowed', 'the server does not allow this method on the requested resource');
}

export class Router {
  constructor(private readonly o: RouterOptions) {}

  /** Entry for 'request': never rejects. */
  handle = (req: IncomingMessage, res: ServerResponse): void => {
    const started = process.hrtime.bigint();
    let verb = req.method?.toLowerCase() ?? 'unknown';
    let resource = '';
    let subresource = '';
    res.on('finish', () => {
      this.o.deps.metrics.requests.inc({ verb, resource, subresource, code: String(res.statusCode) });
    });
    baseHeaders(res);
    this.route(req, res, (v, r, s) => {
      verb = v;
      resource = r;
      subresource = s;
    })
      .then(() => {
        if (verb !== 'watch') this.o.deps.metrics.latency.observe({ verb, resource }, Number(process.hrtime.bigint() - started) / 1e9);
      })
      .catch((err: unknown) => this.fail(res, err));
  };

  private fail(res: ServerResponse, err: unknown): void {
    if (!isStatusError(err)) this.o.deps.logger.error({ err: err instanceof Error ? err.stack : String(err) }, 'request failed');
    const se = isStatusError(err) ? err : new StatusError('InternalError', `Internal error occurred: ${err instanceof Error ? err.message : String(err)}`);
    try {
      if (res.headersSent) {
        res.end();
        return;
      }
      sendStatusError(res, se);
    } catch {
      res.destroy();
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse, label: (verb: string, resource: string, sub: string) => void): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'https://skiff.invalid');
    } catch {
      throw new StatusError('BadRequest', 'malformed request URL');
    }
    const path = url.pathname.length > 1 && url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
    const method = req.method ?? 'GET';
    if (!METHODS.has(method)) throw methodNotAllowed();

    // Open endpoints (as kube-apiserver's system:public-info-viewer allows anonymously).
    if (HEALTH_PATHS.has(path) || path.startsWith('/healthz/') || path.startsWith('/livez/') || path.startsWith('/readyz/')) {
      label('get', 'health', '');
      const ok = !path.startsWith('/readyz') || this.o.ready();
      sendRaw(res, ok ? 200 : 503, 'text/plain; charset=utf-8', ok ? 'ok' : 'readyz check failed: not ready');
      return;
    }
    if (path === '/version') {
      label('get', 'version', '');
      sendJson(res, 200, this.o.version());
      return;
    }

    const user = authenticate(this.o.tokens, req.headers.authorization);
    if (!user) throw new StatusError('Unauthorized', 'Unauthorized');
    const ri = parseRequestInfo(method, path, url.searchParams);
    if (ri.kind === 'nonresource') {
      label(ri.verb, 'nonresource', '');
      if (!(await this.o.authorize(user, { verb: ri.verb, path }))) throw forbidden(user, ri.verb, path);
      await this.nonResource(req, res, path);
      return;
    }
    label(ri.verb, 'unknown', '');
    const info = this.resolve(ri);
    label(ri.verb, info.resource, ri.subresource ?? '');
    if (!(await this.o.authorize(user, { verb: ri.verb, group: ri.group, resource: ri.resource, subresource: ri.subresource, namespace: ri.namespace, name: ri.name }))) {
      throw forbidden(user, ri.verb, ri.resource);
    }
    await this.resource({ req, res, query: url.searchParams, ri, info, user });
  }

  private resolve(ri: ResourceRequest): ResourceInfo {
    const info = findResource(ri.group, ri.resource);
    if (!info || info.version !== ri.version) throw notFound();
    if (!info.namespaced && ri.namespace !== undefined) throw notFound();
    if (ri.subresource) {
      const allowed = info.subresources as readonly string[];
      if (!allowed.includes(ri.subresource) && !(ri.subresource === 'finalize' && info.kind === 'Namespace')) throw notFound();
      if (!ri.name) throw notFound();
    }
    return info;
  }

  private async resource(r: ApiRequest): Promise<void> {
    const { deps } = this.o;
    const { ri } = r;
    const sub = ri.subresource;
    if (sub && PROXY_SUBRESOURCES.has(sub)) {
      await handleProxy(deps, r);
      return;
    }
    if (sub === 'scale') return handleScale(deps, r);
    if (sub === 'binding') return handleBinding(deps, r);
    if (ri.watchPath && r.req.method !== 'GET') throw methodNotAllowed();
    switch (ri.verb) {
      case 'get':
        return handleGet(deps, r);
      case 'list':
        return handleList(deps, r);
      case 'watch':
        if (sub) throw methodNotAllowed();
        return handleWatch(deps, r);
      case 'create':
        if (sub) throw methodNotAllowed();
        return handleCreate(deps, r);
      case 'update':
        return handleUpdate(deps, r);
      case 'patch':
        return handlePatch(deps, r);
      case 'delete':
        return handleDelete(deps, r);
      case 'deletecollection':
        return handleDeleteCollection(deps, r);
      default:
        throw methodNotAllowed();
    }
  }

  private async nonResource(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed();
    if (path === '/api' || path === '/apis') {
      const aggregated = wantsAggregated(req.headers.accept);
      if (aggregated) {
        sendRaw(res, 200, aggregatedContentType(aggregated), aggregatedDiscovery(path === '/api' ? 'api' : 'apis', aggregated));
        return;
      }
      sendJson(res, 200, path === '/api' ? legacyApiVersions(this.o.serverAddress()) : legacyApiGroupList());
      return;
    }
    const segs = path.split('/').filter(Boolean);
    if (segs[0] === 'api' && segs.length === 2) {
      const doc = legacyResourceList('', segs[1]!);
      if (!doc) throw notFound();
      sendJson(res, 200, doc);
      return;
    }
    if (segs[0] === 'apis' && segs.length === 2) {
      const doc = legacyApiGroup(segs[1]!);
      if (!doc) throw notFound();
      sendJson(res, 200, doc);
      return;
    }
    if (segs[0] === 'apis' && segs.length === 3) {
      const doc = legacyResourceList(segs[1]!, segs[2]!);
      if (!doc) throw notFound();
      sendJson(res, 200, doc);
      return;
    }
    if (path === '/metrics') {
      const reg = this.o.deps.metrics.registry;
      this.o.deps.metrics.watchers.reset();
      for (const rc of this.o.deps.cache.resources.values()) {
        if (rc.subscribers.size) this.o.deps.metrics.watchers.set({ resource: rc.info.resource }, rc.subscribers.size);
      }
      sendRaw(res, 200, reg.contentType, await reg.metrics());
      return;
    }
    if (path === '/openapi/v2') {
      // kubectl 1.27/1.28 read it (protobuf only) for validation, explain and apply.
      res.setHeader('ETag', `"${openApiV2Etag()}"`);
      if ((req.headers.accept ?? '').includes('protobuf')) sendRaw(res, 200, OPENAPI_V2_PROTOBUF_CONTENT_TYPE, openApiV2Protobuf());
      else sendJson(res, 200, openApiV2Document());
      return;
    }
    if (path === '/openapi/v3') {
      sendJson(res, 200, openApiV3Index());
      return;
    }
    if (segs[0] === 'openapi' && segs[1] === 'v3' && segs.length > 2) {
      const doc = openApiV3Document(segs.slice(2).join('/'));
      if (!doc) throw notFound();
      sendJson(res, 200, doc);
      return;
    }
    throw notFound();
  }

  /** Entry for 'upgrade' (exec, attach, portforward over websocket/SPDY). Never rejects. */
  handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    this.upgrade(req, socket, head).catch((err: unknown) => {
      const se = isStatusError(err) ? err : new StatusError('InternalError', `Internal error occurred: ${String(err)}`);
      if (!isStatusError(err)) this.o.deps.logger.error({ err: String(err) }, 'upgrade failed');
      const body = JSON.stringify(se.toStatus());
      try {
        socket.end(`HTTP/1.1 ${se.code} ${se.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-cache, private\r\nConnection: close\r\n\r\n${body}`);
      } catch {
        socket.destroy();
      }
    });
  };

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'https://skiff.invalid');
    } catch {
      throw new StatusError('BadRequest', 'malformed request URL');
    }
    const user = authenticate(this.o.tokens, req.headers.authorization);
    if (!user) throw new StatusError('Unauthorized', 'Unauthorized');
    const ri = parseRequestInfo(req.method ?? 'GET', url.pathname, url.searchParams);
    if (ri.kind !== 'resource' || ri.resource !== 'pods' || !ri.subresource || !PROXY_SUBRESOURCES.has(ri.subresource) || !ri.namespace || !ri.name) {
      throw new StatusError('BadRequest', 'upgrade is only supported for pods/exec, pods/attach and pods/portforward');
    }
    this.resolve(ri);
    if (!(await this.o.authorize(user, { verb: 'create', resource: 'pods', subresource: ri.subresource, namespace: ri.namespace, name: ri.name }))) {
      throw forbidden(user, 'create', `pods/${ri.subresource}`);
    }
    this.o.deps.metrics.requests.inc({ verb: 'connect', resource: 'pods', subresource: ri.subresource, code: '101' });
    await proxyUpgrade(this.o.deps, req, socket, head, ri.namespace, ri.name);
  }
}

function forbidden(user: UserInfo, verb: string, what: string): StatusError {
  return new StatusError('Forbidden', `${what} is forbidden: User "${user.name}" cannot ${verb} ${what}`);
}

/** Which aggregated discovery version the Accept header asks for first, if any. */
export function wantsAggregated(accept: string | undefined): AggregatedVersion | undefined {
  for (const t of parseMediaTypes(accept)) {
    if (t.type === 'application/json' && t.params.g === 'apidiscovery.k8s.io' && t.params.as === 'APIGroupDiscoveryList') {
      if (t.params.v === 'v2') return 'v2';
      if (t.params.v === 'v2beta1') return 'v2beta1';
    }
    if (t.type === 'application/json' && !t.params.as) return undefined;
  }
  return undefined;
}
