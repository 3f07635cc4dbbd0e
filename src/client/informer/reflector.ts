/**
 * Keeps a local copy of one resource current: list, then watch from the list's
 * resourceVersion. A watch that closes cleanly (server timeout) is resumed from the last
 * resourceVersion seen (bookmarks included); a watch that fails (410 Gone/Expired, broken
 * stream, network error) leads to a full re-list after a back-off, whose result is handed to
 * `onReplace` so the owner can deliver the difference.
 */
import type { KubeObject, WatchEvent } from '../../api/meta.js';
import type { ResourceInfo } from '../../api/resources.js';
import { isGone } from '../../api/status-error.js';
import { Backoff } from '../../util/backoff.js';
import { systemClock, type Clock } from '../../util/clock.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import type { ApiClient, WatchHandle } from '../types.js';

export interface ReflectorOptions<T extends KubeObject> {
  client: ApiClient;
  resource: ResourceInfo;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Items per list page; 0 lists everything in one request. Default 500. */
  pageSize?: number;
  clock?: Clock;
  logger?: Logger;
  /** Back-off between failed lists / broken watches: base and cap (default 200 ms .. 30 s). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Server-side watch timeout; a fresh watch is opened after it (default random 300-600 s). */
  watchTimeoutSeconds?: number;
  /** A complete list: replace the local state with it. */
  onReplace(items: T[], resourceVersion: string): void;
  /** One watch event (ADDED / MODIFIED / DELETED; bookmarks are consumed here). */
  onEvent(event: WatchEvent<T>): void;
}

export class Reflector<T extends KubeObject> {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly backoff: Backoff;
  private stopped = true;
  private watchHandle?: WatchHandle;
  private cancelTimer?: () => void;
  private lastResourceVersion = '';
  /** How many full lists have completed (tests and metrics read it). */
  listCount = 0;

  constructor(private readonly opts: ReflectorOptions<T>) {
    this.clock = opts.clock ?? systemClock;
    this.log = opts.logger ?? silentLogger;
    this.backoff = new Backoff(opts.backoffBaseMs ?? 200, opts.backoffMaxMs ?? 30_000);
  }

  get resourceVersion(): string {
    return this.lastResourceVersion;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.listAndWatch();
  }

  stop(): void {
    this.stopped = true;
    this.watchHandle?.stop();
    this.watchHandle = undefined;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }

  private schedule(fn: () => void, delayMs: number): void {
    this.cancelTimer?.();
    this.cancelTimer = this.clock.setTimeout(() => {
      this.cancelTimer = undefined;
      if (!this.stopped) fn();
    }, delayMs);
  }

  private retryList(reason: unknown): void {
    const delay = this.backoff.next('list');
    this.log.warn({ resource: this.opts.resource.resource, err: String(reason), delayMs: delay }, 'reflector: re-listing after back-off');
    this.schedule(() => void this.listAndWatch(), delay);
  }

  private async listAndWatch(): Promise<void> {
    if (this.stopped) return;
    let items: T[];
    let rv: string;
    try {
      ({ items, rv } = await this.listAll());
    } catch (err) {
      if (!this.stopped) this.retryList(err);
      return;
    }
    if (this.stopped) return;
    this.backoff.forget('list');
    this.listCount++;
    this.lastResourceVersion = rv;
    this.opts.onReplace(items, rv);
    this.watch();
  }

  private async listAll(): Promise<{ items: T[]; rv: string }> {
    const { client, resource, namespace, labelSelector, fieldSelector } = this.opts;
    const pageSize = this.opts.pageSize ?? 500;
    const items: T[] = [];
    let cont: string | undefined;
    let rv = '';
    try {
      do {
        const page = await client.list<T>(resource, { namespace, labelSelector, fieldSelector, limit: pageSize || undefined, continue: cont });
        if (!rv) rv = page.metadata?.resourceVersion ?? '';
        for (const item of page.items ?? []) items.push(item);
        cont = page.metadata?.continue || undefined;
      } while (cont && pageSize && !this.stopped);
    } catch (err) {
      // An expired continue token: fall back to one unpaginated list.
      if (cont && isGone(err)) {
        const all = await client.list<T>(resource, { namespace, labelSelector, fieldSelector });
        return { items: all.items ?? [], rv: all.metadata?.resourceVersion ?? '' };
      }
      throw err;
    }
    return { items, rv };
  }

  private watch(): void {
    if (this.stopped) return;
    const started = this.clock.now();
    const timeoutSeconds = this.opts.watchTimeoutSeconds ?? 300 + Math.floor(Math.random() * 300);
    this.watchHandle = this.opts.client.watch<T>(
      this.opts.resource,
      {
        namespace: this.opts.namespace,
        labelSelector: this.opts.labelSelector,
        fieldSelector: this.opts.fieldSelector,
        resourceVersion: this.lastResourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds,
      },
      {
        onEvent: (ev) => {
          if (this.stopped) return;
          const rv = ev.object?.metadata?.resourceVersion;
          if (rv) this.lastResourceVersion = rv;
          if (ev.type === 'BOOKMARK') return;
          this.opts.onEvent(ev);
        },
        onClose: (err) => {
          this.watchHandle = undefined;
          if (this.stopped) return;
          if (!err) {
            // A clean server-side close: resume, unless the server keeps closing at once.
            const lived = this.clock.now() - started;
            if (lived >= 1000) {
              this.backoff.forget('watch');
              this.watch();
            } else {
              this.schedule(() => this.watch(), this.backoff.next('watch'));
            }
            return;
          }
          if (isGone(err)) this.log.info({ resource: this.opts.resource.resource }, 'reflector: watch expired, re-listing');
          this.retryList(err);
        },
      },
    );
  }
}
