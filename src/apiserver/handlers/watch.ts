/**
 * WATCH, served from the watch cache. Each event is encoded once per wire format (JSON event,
 * one-row Table, PartialObjectMetadata) and written to every matching watcher; selectors turn
 * MODIFIED into ADDED/DELETED when an object enters or leaves them, as in Kubernetes.
 */
import { apiVersionOf, type ResourceInfo } from '../../api/resources.js';
import { StatusError } from '../../api/status-error.js';
import type { ApiRequest, ServerDeps } from '../context.js';
import { buildFilter } from '../model.js';
import { negotiateOutput, renderObject, type OutputFormat } from '../output.js';
import { type CacheEvent, type CacheEventType, type CacheSubscriber, type CachedObject } from '../watch-cache.js';
import { parseRv } from './list.js';

/** A watcher whose client stopped reading is dropped when this much output is queued. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

function formatKey(f: OutputFormat): string {
  return f.kind === 'table' ? `t${f.version}${f.includeObject}` : f.kind === 'metadata' ? `m${f.version}` : 'j';
}

function encodeEvent(info: ResourceInfo, f: OutputFormat, type: string, c: CachedObject, nowMs: number): string {
  const obj = f.kind === 'json' || f.kind === 'yaml' ? c.json : renderObject(info, c.obj(), f, nowMs);
  return `{"type":"${type}","object":${obj}}\n`;
}

export function statusEventLine(err: StatusError): string {
  return `${JSON.stringify({ type: 'ERROR', object: err.toStatus() })}\n`;
}

export async function handleWatch(deps: ServerDeps, r: ApiRequest): Promise<void> {
  const { cache, metrics, clock } = deps;
  const info = r.info;
  let format = negotiateOutput(r.req.headers.accept, r.query);
  if (format.kind === 'yaml') format = { kind: 'json' };
  const fk = formatKey(format);
  const rv = parseRv(r.query.get('resourceVersion'));
  const fieldSelector = r.query.get('fieldSelector');
  const selectorFilter = buildFilter(info, r.query.get('labelSelector'), fieldSelector);
  const name = r.ri.name;
  const namespace = r.ri.namespace;
  const filter = (c: CachedObject): boolean =>
    (!name || c.name === name) && (!namespace || !info.namespaced || c.namespace === namespace) && (!selectorFilter || selectorFilter(c));
  const bookmarks = r.query.get('allowWatchBookmarks') === 'true';
  const sendInitial = r.query.get('sendInitialEvents') === 'true';
  const timeoutRaw = Number(r.query.get('timeoutSeconds'));
  const timeoutMs = Number.isFinite(timeoutRaw) && timeoutRaw > 0 ? timeoutRaw * 1000 : deps.watchTimeoutMs();

  await cache.start();
  if (rv !== undefined && rv > cache.rv && !(await cache.waitFor(rv, 3000))) {
    throw new StatusError('Timeout', `Too large resource version: ${rv}, current: ${cache.rv}`, { retryAfterSeconds: 1 });
  }
  const res = r.res;
  if (res.destroyed) return;
  const rc = cache.forResource(info);

  // From here to subscribing, everything is synchronous: no event can slip between.
  res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
  const nowMs = clock.now();
  let lastRv = cache.rv;
  const write = (line: string): void => {
    res.write(line);
  };
  const initial = rv === undefined || rv === 0 || sendInitial;
  if (initial) {
    for (const c of rc.list(info.namespaced ? namespace : undefined)) if (filter(c)) write(encodeEvent(info, format, 'ADDED', c, nowMs));
    if (sendInitial && bookmarks) write(bookmarkLine(info, cache.rv, true));
  } else {
    let replay: CacheEvent[];
    try {
      replay = rc.eventsSince(rv);
    } catch (err) {
      if (err instanceof StatusError) {
        res.end(statusEventLine(err));
        return;
      }
      throw err;
    }
    for (const ev of replay) {
      const line = lineFor(ev);
      if (line) write(line);
    }
  }

  function lineFor(ev: CacheEvent): string | undefined {
    const cur = filter(ev.cur);
    const prev = ev.prev ? filter(ev.prev) : false;
    let type: CacheEventType;
    if (ev.type === 'DELETED') {
      if (!prev) return undefined;
      type = 'DELETED';
    } else if (cur && prev) type = 'MODIFIED';
    else if (cur) type = 'ADDED';
    else if (prev) type = 'DELETED';
    else return undefined;
    const key = `${fk}${type}`;
    ev.encoded ??= new Map();
    let line = ev.encoded.get(key);
    if (line === undefined) {
      line = encodeEvent(info, format, type, ev.cur, clock.now());
      ev.encoded.set(key, line);
    }
    return line;
  }

  let done = false;
  const cancelTimers: (() => void)[] = [];
  const finish = (): void => {
    if (done) return;
    done = true;
    rc.subscribers.delete(sub);
    metrics.watchers.dec({ resource: info.resource });
    for (const c of cancelTimers) c();
    if (!res.writableEnded) res.end();
  };
  const sub: CacheSubscriber = {
    namespace,
    onEvent(ev) {
      lastRv = ev.rv;
      const line = lineFor(ev);
      if (!line) return;
      res.write(line);
      metrics.watchEvents.inc({ resource: info.resource });
      if (res.writableLength > MAX_BUFFERED_BYTES) finish();
    },
    onReset: finish,
  };
  rc.subscribers.add(sub);
  metrics.watchers.inc({ resource: info.resource });
  res.on('close', finish);
  res.on('error', finish);
  cancelTimers.push(clock.setTimeout(finish, timeoutMs));
  if (bookmarks) {
    let cancelTick = (): void => {};
    const tick = (): void => {
      if (done) return;
      write(bookmarkLine(info, Math.max(cache.rv, lastRv), false));
      cancelTick = clock.setTimeout(tick, deps.bookmarkIntervalMs);
    };
    cancelTick = clock.setTimeout(tick, deps.bookmarkIntervalMs);
    cancelTimers.push(() => cancelTick());
  }
}

function bookmarkLine(info: ResourceInfo, rv: number, initialEnd: boolean): string {
  const metadata: Record<string, unknown> = { resourceVersion: String(rv) };
  if (initialEnd) metadata.annotations = { 'k8s.io/initial-events-end': 'true' };
  return `${JSON.stringify({ type: 'BOOKMARK', object: { kind: info.kind, apiVersion: apiVersionOf(info), metadata } })}\n`;
}
