/** What every handler receives: the server's parts and the request being served. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResourceInfo } from '../api/resources.js';
import type { Storage } from '../storage/storage.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { UserInfo } from './auth.js';
import type { ApiMetrics } from './metrics.js';
import type { Registry } from './registry.js';
import type { ResourceRequest } from './request-info.js';
import type { WatchCache } from './watch-cache.js';

export interface ServerDeps {
  registry: Registry;
  cache: WatchCache;
  storage: Storage;
  clock: Clock;
  logger: Logger;
  metrics: ApiMetrics;
  /** Default watch length when the client sets no timeoutSeconds. */
  watchTimeoutMs: () => number;
  /** How often a watch that allows bookmarks gets one. */
  bookmarkIntervalMs: number;
}

export interface ApiRequest {
  req: IncomingMessage;
  res: ServerResponse;
  query: URLSearchParams;
  ri: ResourceRequest;
  info: ResourceInfo;
  user: UserInfo;
}

export function dryRunOf(query: URLSearchParams): boolean {
  const d = query.getAll('dryRun');
  return d.includes('All');
}

/** The field manager of a non-apply write: the query parameter, else the user agent's product. */
export function managerOf(r: ApiRequest): string {
  const q = r.query.get('fieldManager');
  if (q) return q;
  const ua = r.req.headers['user-agent'] ?? 'unknown';
  return ua.split('/')[0] || 'unknown';
}
