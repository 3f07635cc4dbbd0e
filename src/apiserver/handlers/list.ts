/**
 * LIST with Kubernetes' resourceVersion semantics:
 * - unset: a consistent read — from the watch cache once it has caught up with storage's
 *   current revision (what kube-apiserver ≥1.31 does), else from storage;
 * - "0": whatever the cache holds now (may be slightly stale, never waits for storage);
 * - N (NotOlderThan): the cache once it reached N; resourceVersionMatch=Exact: storage at N;
 * - continue: storage at the token's revision, after the token's key (410 once compacted).
 */
import { storagePrefix, type ResourceInfo } from '../../api/resources.js';
import { errors, StatusError } from '../../api/status-error.js';
import { isStorageError } from '../../storage/storage.js';
import type { ApiRequest, ServerDeps } from '../context.js';
import { sendRaw } from '../http-util.js';
import { buildFilter, nameFromFieldSelector, type ObjectFilter } from '../model.js';
import { contentTypeOf, negotiateOutput, renderList, writeJsonList, type ListMetaOut } from '../output.js';
import { translateStorageError } from '../storage-errors.js';
import { cachedFromKv, type CachedObject } from '../watch-cache.js';

interface ContinueToken {
  rv: number;
  start: string;
}

export function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: t.rv, start: t.start })).toString('base64url');
}

export function decodeContinue(text: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as { rv?: unknown; start?: unknown };
    if (typeof t.rv === 'number' && typeof t.start === 'string' && t.rv > 0) return { rv: t.rv, start: t.start };
  } catch {
    // fall through
  }
  throw errors.badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
}

export function parseLimit(query: URLSearchParams): number {
  const raw = query.get('limit');
  if (raw === null || raw === '') return 0;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw errors.badRequest(`invalid limit: ${raw}`);
  return n;
}

export function parseRv(raw: string | null): number | undefined {
  if (raw === null || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw errors.badRequest(`invalid resource version: ${raw}`);
  return n;
}

export interface ListResultOut {
  items: CachedObject[];
  meta: ListMetaOut;
}

export async function listObjects(deps: ServerDeps, info: ResourceInfo, namespace: string | undefined, query: URLSearchParams): Promise<ListResultOut> {
  const filter = buildFilter(info, query.get('labelSelector'), query.get('fieldSelector'));
  const onlyName = nameFromFieldSelector(query.get('fieldSelector'));
  const limit = parseLimit(query);
  const cont = query.get('continue');
  const rvRaw = query.get('resourceVersion');
  const rv = parseRv(rvRaw);
  const match = query.get('resourceVersionMatch');
  if (cont) {
    const token = decodeContinue(cont);
    // Later pages come from the cache while this resource has not changed since the first
    // page's revision (kubectl get pages by 500); otherwise from storage at that revision.
    await deps.cache.start();
    const rc = deps.cache.forResource(info);
    if (rc.unchangedSince(token.rv, deps.cache.rv)) return pageFromCache(rc.list(namespace), filter, limit, token);
    return listFromStorage(deps, info, namespace, filter, limit, token);
  }
  if (match === 'Exact' && rv) return listFromStorage(deps, info, namespace, filter, limit, { rv, start: '' });
  const cache = deps.cache;
  await cache.start();
  let fromCache: boolean;
  if (rv === 0) fromCache = true;
  else if (rv !== undefined) {
    if (!(await cache.waitFor(rv, 3000))) {
      throw new StatusError('Timeout', `Too large resource version: ${rv}, current: ${cache.rv}`, { retryAfterSeconds: 1 });
    }
    fromCache = true;
  } else fromCache = await cache.syncWithStorage();
  if (!fromCache) return listFromStorage(deps, info, namespace, filter, limit, undefined);

  // Synchronous from here: the cache cannot move under us.
  const rc = cache.forResource(info);
  const atRv = cache.rv;
  let candidates: CachedObject[];
  if (onlyName !== undefined) {
    const key = info.namespaced ? (namespace ? `${rc.prefix}${namespace}/${onlyName}` : undefined) : `${rc.prefix}${onlyName}`;
    if (key) {
      const one = rc.objects.get(key);
      candidates = one ? [one] : [];
    } else candidates = rc.list().filter((c) => c.name === onlyName);
  } else candidates = rc.list(namespace);
  const items: CachedObject[] = [];
  let more = false;
  for (const c of candidates) {
    if (filter && !filter(c)) continue;
    if (limit > 0 && items.length === limit) {
      more = true;
      break;
    }
    items.push(c);
  }
  const meta: ListMetaOut = { resourceVersion: String(atRv) };
  if (more && limit > 0 && rv !== 0) meta.continue = encodeContinue({ rv: atRv, start: items[items.length - 1]!.key });
  else if (more) {
    // resourceVersion=0 with a limit: Kubernetes answers the full cached list.
    return { items: candidates.filter((c) => !filter || filter(c)), meta };
  }
  return { items, meta };
}

function pageFromCache(all: readonly CachedObject[], filter: ObjectFilter | undefined, limit: number, token: ContinueToken): ListResultOut {
  const items: CachedObject[] = [];
  let more = false;
  for (const c of all) {
    if (c.key <= token.start) continue;
    if (filter && !filter(c)) continue;
    if (limit > 0 && items.length === limit) {
      more = true;
      break;
    }
    items.push(c);
  }
  const meta: ListMetaOut = { resourceVersion: String(token.rv) };
  if (more) meta.continue = encodeContinue({ rv: token.rv, start: items[items.length - 1]!.key });
  return { items, meta };
}

async function listFromStorage(
  deps: ServerDeps,
  info: ResourceInfo,
  namespace: string | undefined,
  filter: ObjectFilter | undefined,
  limit: number,
  token: ContinueToken | undefined,
): Promise<ListResultOut> {
  const prefix = namespace && info.namespaced ? `${storagePrefix(info)}${namespace}/` : storagePrefix(info);
  const items: CachedObject[] = [];
  let revision = token?.rv;
  let startAfter = token?.start || undefined;
  let more = false;
  try {
    for (;;) {
      const page = await deps.storage.list(prefix, { revision, startAfter, limit: limit > 0 ? Math.max(limit - items.length, 100) : 0 });
      revision ??= page.revision;
      for (const kv of page.items) {
        const c = cachedFromKv(info.kind, kv);
        if (filter && !filter(c)) continue;
        if (limit > 0 && items.length === limit) {
          more = true;
          break;
        }
        items.push(c);
      }
      if (more || !page.more || page.items.length === 0) {
        more = more || page.more;
        break;
      }
      startAfter = page.items[page.items.length - 1]!.key;
    }
  } catch (err) {
    if (isStorageError(err, 'Compacted') && token) {
      throw errors.gone('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
    }
    throw translateStorageError(err, info, '');
  }
  const meta: ListMetaOut = { resourceVersion: String(revision) };
  if (more && items.length > 0) meta.continue = encodeContinue({ rv: revision!, start: items[items.length - 1]!.key });
  return { items, meta };
}

export async function handleList(deps: ServerDeps, r: ApiRequest): Promise<void> {
  const format = negotiateOutput(r.req.headers.accept, r.query);
  const { items, meta } = await listObjects(deps, r.info, r.ri.namespace, r.query);
  if (format.kind === 'json' && items.length > 1000) {
    writeJsonList(r.res, r.info, items, meta);
    return;
  }
  const body = renderList(r.info, items, format, meta, deps.clock.now());
  sendRaw(r.res, 200, contentTypeOf(format), body);
}
