/**
 * ApiClient over HTTP(S): JSON requests on a keep-alive agent, paths built from the
 * ResourceInfo table, errors rebuilt as StatusError, and watches read as a stream of
 * newline-delimited JSON events.
 */
import http from 'node:http';
import https from 'node:https';
import type { KubeList, KubeObject, Status, WatchEvent } from '../api/meta.js';
import type { ResourceInfo } from '../api/resources.js';
import { StatusError, statusCodeOf, type StatusReason } from '../api/status-error.js';
import { loadKubeconfig, type ConnectionConfig } from './kubeconfig.js';
import type {
  ApiClient,
  DeleteOptions,
  ListParams,
  PatchType,
  WatchCallbacks,
  WatchHandle,
  WatchParams,
  WriteOptions,
} from './types.js';

export interface RestClientOptions extends ConnectionConfig {
  /** Sockets per host for ordinary requests (watches use their own agent); default 128. */
  maxSockets?: number;
  /** Per-request timeout for non-watch requests; default 60 s. */
  requestTimeoutMs?: number;
  userAgent?: string;
}

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

type Query = Record<string, string | number | boolean | undefined>;

/** `/api/v1` for the core group, `/apis/<group>/<version>` otherwise. */
export function groupVersionPath(info: Pick<ResourceInfo, 'group' | 'version'>): string {
  return info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
}

/** The URL path of a collection, an object, or one of its subresources. */
export function resourcePath(info: ResourceInfo, opts: { namespace?: string; name?: string; subresource?: string } = {}): string {
  let p = groupVersionPath(info);
  if (info.namespaced && opts.namespace) p += `/namespaces/${encodeURIComponent(opts.namespace)}`;
  p += `/${info.resource}`;
  if (opts.name !== undefined) p += `/${encodeURIComponent(opts.name)}`;
  if (opts.subresource) p += `/${opts.subresource}`;
  return p;
}

function queryString(q: Query): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === '') continue;
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

function reasonForCode(code: number): StatusReason {
  const found = (Object.entries(statusCodeOf) as [StatusReason, number][]).find(([, c]) => c === code);
  return found ? found[0] : code >= 500 ? 'InternalError' : 'BadRequest';
}

/** A StatusError from a non-2xx answer: the server's Status when it sent one, else synthesised. */
export function errorFromResponse(code: number, body: string): StatusError {
  try {
    const parsed = JSON.parse(body) as Partial<Status>;
    if (parsed && parsed.kind === 'Status') {
      const err = StatusError.fromStatus({ ...parsed, code: parsed.code ?? code });
      return err;
    }
  } catch {
    // not JSON: fall through
  }
  const reason = reasonForCode(code);
  const text = body.trim().slice(0, 500);
  return new StatusError(reason, text ? `${reason} (${code}): ${text}` : `the server responded with ${code}`);
}

export class RestClient implements ApiClient {
  readonly server: string;
  /** The kubeconfig context's namespace, `default` when unset. */
  readonly defaultNamespace: string;
  private readonly base: URL;
  private readonly isHttps: boolean;
  private readonly agent: http.Agent;
  private readonly watchAgent: http.Agent;
  private readonly token?: string;
  private readonly requestTimeoutMs: number;
  private readonly userAgent: string;

  constructor(opts: RestClientOptions) {
    this.server = opts.server.replace(/\/+$/, '');
    this.base = new URL(this.server);
    this.isHttps = this.base.protocol === 'https:';
    this.defaultNamespace = opts.namespace ?? 'default';
    this.token = opts.token;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 60_000;
    this.userAgent = opts.userAgent ?? 'skiff-client/0.1';
    const tls: https.AgentOptions = {
      ca: opts.ca,
      cert: opts.cert,
      key: opts.key,
      rejectUnauthorized: !opts.insecure,
      servername: opts.serverName,
    };
    const maxSockets = opts.maxSockets ?? 128;
    if (this.isHttps) {
      this.agent = new https.Agent({ ...tls, keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
      this.watchAgent = new https.Agent({ ...tls, keepAlive: false });
    } else {
      this.agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
      this.watchAgent = new http.Agent({ keepAlive: false });
    }
  }

  static async fromKubeconfig(path: string, extra: Partial<RestClientOptions> = {}): Promise<RestClient> {
    const cfg = await loadKubeconfig(path);
    return new RestClient({ ...cfg, ...extra });
  }

  /** Frees pooled sockets; in-flight requests finish. */
  close(): void {
    this.agent.destroy();
    this.watchAgent.destroy();
  }

  async get<T extends KubeObject>(resource: ResourceInfo, name: string, namespace?: string): Promise<T> {
    return (await this.request('GET', resourcePath(resource, { namespace, name }))) as T;
  }

  async list<T extends KubeObject>(resource: ResourceInfo, params: ListParams = {}): Promise<KubeList<T>> {
    const q: Query = {
      labelSelector: params.labelSelector,
      fieldSelector: params.fieldSelector,
      limit: params.limit,
      continue: params.continue,
      resourceVersion: params.resourceVersion,
    };
    return (await this.request('GET', resourcePath(resource, { namespace: params.namespace }) + queryString(q))) as KubeList<T>;
  }

  async create<T extends KubeObject>(resource: ResourceInfo, object: T, options: WriteOptions & { namespace?: string } = {}): Promise<T> {
    const namespace = options.namespace ?? object.metadata?.namespace;
    const path = options.subresource
      ? resourcePath(resource, { namespace, name: object.metadata.name, subresource: options.subresource })
      : resourcePath(resource, { namespace });
    return (await this.request('POST', path + queryString(writeQuery(options)), withTypeMeta(resource, object, options.subresource))) as T;
  }

  async update<T extends KubeObject>(resource: ResourceInfo, object: T, options: WriteOptions = {}): Promise<T> {
    const path = resourcePath(resource, {
      namespace: object.metadata.namespace,
      name: object.metadata.name,
      subresource: options.subresource,
    });
    return (await this.request('PUT', path + queryString(writeQuery(options)), withTypeMeta(resource, object, options.subresource))) as T;
  }

  async patch<T extends KubeObject>(
    resource: ResourceInfo,
    name: string,
    namespace: string | undefined,
    patch: unknown,
    type: PatchType,
    options: WriteOptions = {},
  ): Promise<T> {
    const q = writeQuery(options);
    if (type === 'apply' && !q.fieldManager) q.fieldManager = 'skiff';
    const path = resourcePath(resource, { namespace, name, subresource: options.subresource });
    return (await this.request('PATCH', path + queryString(q), patch, PATCH_CONTENT_TYPES[type])) as T;
  }

  async delete(resource: ResourceInfo, name: string, namespace?: string, options: DeleteOptions = {}): Promise<void> {
    const body: Record<string, unknown> = { kind: 'DeleteOptions', apiVersion: 'v1' };
    if (options.propagationPolicy) body.propagationPolicy = options.propagationPolicy;
    if (options.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = options.gracePeriodSeconds;
    if (options.preconditions) body.preconditions = options.preconditions;
    await this.request('DELETE', resourcePath(resource, { namespace, name }), body);
  }

  /** Any request by path (e.g. `/version`); JSON in, parsed JSON out, StatusError on non-2xx. */
  request(method: string, pathAndQuery: string, body?: unknown, contentType = 'application/json'): Promise<unknown> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    return new Promise((resolvePromise, reject) => {
      const req = this.send(this.agent, method, pathAndQuery, payload, contentType, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const code = res.statusCode ?? 0;
          if (code < 200 || code > 299) return reject(errorFromResponse(code, text));
          if (!text) return resolvePromise(undefined);
          try {
            resolvePromise(JSON.parse(text));
          } catch (e) {
            reject(new Error(`invalid JSON from ${method} ${pathAndQuery}: ${(e as Error).message}`));
          }
        });
      });
      req.setTimeout(this.requestTimeoutMs, () => req.destroy(new Error(`${method} ${pathAndQuery}: timed out after ${this.requestTimeoutMs} ms`)));
      req.on('error', reject);
    });
  }

  watch<T extends KubeObject>(resource: ResourceInfo, params: WatchParams, callbacks: WatchCallbacks<T>): WatchHandle {
    const q: Query = {
      watch: 'true',
      labelSelector: params.labelSelector,
      fieldSelector: params.fieldSelector,
      resourceVersion: params.resourceVersion,
      allowWatchBookmarks: params.allowWatchBookmarks ? 'true' : undefined,
      timeoutSeconds: params.timeoutSeconds,
    };
    const path = resourcePath(resource, { namespace: params.namespace }) + queryString(q);
    let finished = false;
    // After stop() or the first close, no callback runs again.
    const finish = (err?: Error) => {
      if (finished) return;
      finished = true;
      req.destroy();
      callbacks.onClose(err);
    };
    const req = this.send(this.watchAgent, 'GET', path, undefined, 'application/json', (res) => {
      const code = res.statusCode ?? 0;
      res.setEncoding('utf8');
      if (code < 200 || code > 299) {
        let text = '';
        res.on('data', (c: string) => (text += c));
        res.on('end', () => finish(errorFromResponse(code, text)));
        res.on('error', (e) => finish(e));
        return;
      }
      let buffered = '';
      res.on('data', (chunk: string) => {
        if (finished) return;
        buffered += chunk;
        let nl: number;
        while (!finished && (nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (line) handleLine(line);
        }
      });
      res.on('end', () => {
        const rest = buffered.trim();
        if (rest && !finished) handleLine(rest);
        finish();
      });
      res.on('error', (e) => finish(e));
      res.on('aborted', () => finish(new Error('watch stream aborted')));
    });
    req.on('error', (e) => finish(e));
    const handleLine = (line: string) => {
      let ev: WatchEvent<T>;
      try {
        ev = JSON.parse(line) as WatchEvent<T>;
      } catch (e) {
        finish(new Error(`invalid watch event: ${(e as Error).message}`));
        return;
      }
      if (ev.type === 'ERROR') {
        const st = ev.object as unknown as Partial<Status>;
        finish(StatusError.fromStatus({ ...st, code: st.code ?? 500 }));
        return;
      }
      try {
        callbacks.onEvent(ev);
      } catch (e) {
        finish(e as Error);
      }
    };
    return {
      stop: () => {
        if (finished) return;
        finished = true;
        req.destroy();
      },
    };
  }

  private send(
    agent: http.Agent,
    method: string,
    pathAndQuery: string,
    payload: string | undefined,
    contentType: string,
    onResponse: (res: http.IncomingMessage) => void,
  ): http.ClientRequest {
    const headers: http.OutgoingHttpHeaders = { Accept: 'application/json', 'User-Agent': this.userAgent };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (payload !== undefined) {
      headers['Content-Type'] = contentType;
      headers['Content-Length'] = Buffer.byteLength(payload);
    }
    const prefix = this.base.pathname === '/' ? '' : this.base.pathname.replace(/\/+$/, '');
    const opts: http.RequestOptions = {
      agent,
      method,
      host: this.base.hostname.replace(/^\[|\]$/g, ''),
      port: this.base.port || (this.isHttps ? 443 : 80),
      path: prefix + pathAndQuery,
      headers,
    };
    const req = this.isHttps ? https.request(opts, onResponse) : http.request(opts, onResponse);
    if (payload !== undefined) req.end(payload);
    else req.end();
    return req;
  }
}

function writeQuery(options: WriteOptions): Query {
  return { fieldManager: options.fieldManager, dryRun: options.dryRun ? 'All' : undefined };
}

/** Fills apiVersion/kind when the caller left them out (subresource bodies keep their own). */
function withTypeMeta<T extends KubeObject>(resource: ResourceInfo, object: T, subresource?: string): T {
  if (subresource === 'binding' || subresource === 'scale') return object;
  if (object.apiVersion && object.kind) return object;
  return { ...object, apiVersion: object.apiVersion ?? (resource.group ? `${resource.group}/${resource.version}` : resource.version), kind: object.kind ?? resource.kind };
}
