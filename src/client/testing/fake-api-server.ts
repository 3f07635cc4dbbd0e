/**
 * A small in-memory API server on 127.0.0.1 for client unit tests: list, watch (with replay
 * from a resourceVersion, bookmarks, 410 after `compact()`), get/create/update/delete, plus
 * knobs to break things (`dropWatches()`, `failNext()`). Not a conformance server: only what
 * the client library needs to be tested against real HTTP.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeObject } from '../../api/meta.js';

interface StoredEvent {
  rv: number;
  resource: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeObject;
}

interface Watcher {
  resource: string;
  namespace?: string;
  res: http.ServerResponse;
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function parsePath(pathname: string): { resource: string; namespace?: string; name?: string; subresource?: string } | undefined {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  let i = parts[0] === 'api' ? 2 : parts[0] === 'apis' ? 3 : -1;
  if (i < 0) return undefined;
  let namespace: string | undefined;
  if (parts[i] === 'namespaces' && parts.length > i + 2) {
    namespace = parts[i + 1];
    i += 2;
  }
  const resource = parts[i];
  if (!resource) return undefined;
  return { resource, namespace, name: parts[i + 1], subresource: parts[i + 2] };
}

export class FakeApiServer {
  private server = http.createServer((req, res) => this.handle(req, res));
  private rv = 1;
  private objects = new Map<string, Map<string, KubeObject>>();
  private events: StoredEvent[] = [];
  private compactedRv = 0;
  private watchers = new Set<Watcher>();
  private failures: Array<{ code: number; body: unknown }> = [];
  readonly requests: RecordedRequest[] = [];
  /** Page size the server imposes on lists with `limit` (honours the client's limit). */
  listCalls = 0;
  watchCalls = 0;
  url = '';

  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async close(): Promise<void> {
    for (const w of this.watchers) w.res.destroy();
    this.watchers.clear();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  get resourceVersion(): string {
    return String(this.rv);
  }

  activeWatches(): number {
    return this.watchers.size;
  }

  /** The next request (any) answers with this code and body. */
  failNext(code: number, body: unknown): void {
    this.failures.push({ code, body });
  }

  /** Forgets history: watches from an older resourceVersion get a 410 ERROR event. */
  compact(): void {
    this.compactedRv = this.rv;
    this.events = [];
  }

  /** Drops every open watch connection abruptly (no clean end). */
  dropWatches(): void {
    for (const w of this.watchers) w.res.socket?.destroy();
    this.watchers.clear();
  }

  /** Ends every open watch cleanly (like a server-side timeout). */
  endWatches(): void {
    for (const w of this.watchers) w.res.end();
    this.watchers.clear();
  }

  /** Sends a 410 ERROR event on every open watch, then ends it. */
  expireWatches(): void {
    for (const w of this.watchers) {
      w.res.write(JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Expired', code: 410, message: 'too old resource version' } }) + '\n');
      w.res.end();
    }
    this.watchers.clear();
  }

  /** Sends a BOOKMARK at the current resourceVersion on every open watch. */
  bookmark(): void {
    for (const w of this.watchers) w.res.write(JSON.stringify({ type: 'BOOKMARK', object: { metadata: { resourceVersion: String(this.rv) } } }) + '\n');
  }

  /** Creates or replaces an object (resource = plural), emitting the watch event. */
  put(resource: string, obj: KubeObject, opts: { silent?: boolean } = {}): KubeObject {
    const coll = this.collection(resource);
    const key = this.key(obj);
    const existed = coll.has(key);
    const stored = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.rv), uid: obj.metadata.uid ?? `uid-${this.rv}` } };
    coll.set(key, stored);
    if (!opts.silent) this.emit({ rv: this.rv, resource, type: existed ? 'MODIFIED' : 'ADDED', object: stored });
    return stored;
  }

  remove(resource: string, namespace: string | undefined, name: string, opts: { silent?: boolean } = {}): boolean {
    const coll = this.collection(resource);
    const key = namespace ? `${namespace}/${name}` : name;
    const obj = coll.get(key);
    if (!obj) return false;
    coll.delete(key);
    ++this.rv;
    if (!opts.silent) this.emit({ rv: this.rv, resource, type: 'DELETED', object: { ...obj, metadata: { ...obj.metadata, resourceVersion: String(this.rv) } } });
    return true;
  }

  getObject(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.collection(resource).get(namespace ? `${namespace}/${name}` : name);
  }

  private key(obj: KubeObject): string {
    return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : `${obj.metadata.name}`;
  }

  private collection(resource: string): Map<string, KubeObject> {
    let c = this.objects.get(resource);
    if (!c) this.objects.set(resource, (c = new Map()));
    return c;
  }

  private emit(ev: StoredEvent): void {
    this.events.push(ev);
    const line = JSON.stringify({ type: ev.type, object: ev.object }) + '\n';
    for (const w of this.watchers) {
      if (w.resource !== ev.resource) continue;
      if (w.namespace && w.namespace !== ev.object.metadata.namespace) continue;
      w.res.write(line);
    }
  }

  private send(res: http.ServerResponse, code: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  private status(res: http.ServerResponse, code: number, reason: string, message: string): void {
    this.send(res, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason, message, code });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      this.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const fail = this.failures.shift();
      if (fail) return this.send(res, fail.code, fail.body);
      const url = new URL(req.url ?? '/', 'http://x');
      const p = parsePath(url.pathname);
      if (!p) return this.status(res, 404, 'NotFound', 'the server could not find the requested resource');
      const coll = this.collection(p.resource);
      const key = p.namespace ? `${p.namespace}/${p.name}` : `${p.name}`;
      switch (req.method) {
        case 'GET': {
          if (p.name) {
            const obj = coll.get(key);
            return obj ? this.send(res, 200, obj) : this.status(res, 404, 'NotFound', `${p.resource} "${p.name}" not found`);
          }
          if (url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1') return this.watch(p.resource, p.namespace, url, req, res);
          this.listCalls++;
          let items = [...coll.values()].filter((o) => !p.namespace || o.metadata.namespace === p.namespace);
          items.sort((a, b) => this.key(a).localeCompare(this.key(b)));
          const limit = Number(url.searchParams.get('limit') ?? 0);
          const start = Number(url.searchParams.get('continue') ?? 0);
          let cont: string | undefined;
          if (limit > 0) {
            if (start + limit < items.length) cont = String(start + limit);
            items = items.slice(start, start + limit);
          }
          return this.send(res, 200, { kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: String(this.rv), continue: cont }, items });
        }
        case 'POST': {
          const obj = JSON.parse(body) as KubeObject;
          if (p.namespace) obj.metadata.namespace = p.namespace;
          if (coll.has(this.key(obj))) return this.status(res, 409, 'AlreadyExists', `${p.resource} "${obj.metadata.name}" already exists`);
          return this.send(res, 201, this.put(p.resource, obj));
        }
        case 'PUT': {
          const obj = JSON.parse(body) as KubeObject;
          const cur = coll.get(key);
          if (!cur) return this.status(res, 404, 'NotFound', `${p.resource} "${p.name}" not found`);
          if (obj.metadata.resourceVersion && obj.metadata.resourceVersion !== cur.metadata.resourceVersion) {
            return this.status(res, 409, 'Conflict', `Operation cannot be fulfilled on ${p.resource} "${p.name}": the object has been modified`);
          }
          return this.send(res, 200, this.put(p.resource, obj));
        }
        case 'DELETE': {
          const cur = coll.get(key);
          if (!cur) return this.status(res, 404, 'NotFound', `${p.resource} "${p.name}" not found`);
          this.remove(p.resource, p.namespace, p.name!);
          return this.send(res, 200, cur);
        }
        default:
          return this.status(res, 405, 'MethodNotAllowed', 'method not allowed');
      }
    });
  }

  private watch(resource: string, namespace: string | undefined, url: URL, req: http.IncomingMessage, res: http.ServerResponse): void {
    this.watchCalls++;
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    const from = Number(url.searchParams.get('resourceVersion') || 0);
    if (from && from < this.compactedRv) {
      res.write(JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Expired', code: 410, message: `too old resource version: ${from} (${this.compactedRv})` } }) + '\n');
      res.end();
      return;
    }
    const w: Watcher = { resource, namespace, res };
    if (from) {
      for (const ev of this.events) {
        if (ev.rv <= from || ev.resource !== resource) continue;
        if (namespace && ev.object.metadata.namespace !== namespace) continue;
        res.write(JSON.stringify({ type: ev.type, object: ev.object }) + '\n');
      }
    } else {
      for (const obj of this.collection(resource).values()) {
        if (namespace && obj.metadata.namespace !== namespace) continue;
        res.write(JSON.stringify({ type: 'ADDED', object: obj }) + '\n');
      }
    }
    this.watchers.add(w);
    const timeout = Number(url.searchParams.get('timeoutSeconds') || 0);
    const timer = timeout ? setTimeout(() => { this.watchers.delete(w); res.end(); }, timeout * 1000) : undefined;
    req.socket.on('close', () => {
      if (timer) clearTimeout(timer);
      this.watchers.delete(w);
    });
  }
}
