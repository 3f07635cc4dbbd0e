/**
 * Controller expectations (client-go's UIDTrackingControllerExpectations): after a controller
 * creates N pods or deletes some by UID, it waits to SEE those changes in its informer before
 * it counts again, so a slow watch never causes double creates or double deletes. Expectations
 * expire after `ttlMs` in case an event is lost.
 */
import type { Clock } from '../../util/clock.js';

interface Entry {
  adds: number;
  dels: Set<string>;
  atMs: number;
}

export class Expectations {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs = 5 * 60_000,
  ) {}

  satisfied(key: string): boolean {
    const e = this.entries.get(key);
    if (!e) return true;
    if (e.adds <= 0 && e.dels.size === 0) return true;
    return this.clock.now() - e.atMs > this.ttlMs;
  }

  expectCreations(key: string, n: number): void {
    const e = this.entry(key);
    e.adds = n;
    e.atMs = this.clock.now();
  }

  expectDeletions(key: string, uids: string[]): void {
    const e = this.entry(key);
    for (const u of uids) e.dels.add(u);
    e.atMs = this.clock.now();
  }

  creationObserved(key: string): void {
    const e = this.entries.get(key);
    if (e && e.adds > 0) e.adds--;
  }

  deletionObserved(key: string, uid: string | undefined): void {
    if (uid) this.entries.get(key)?.dels.delete(uid);
  }

  forget(key: string): void {
    this.entries.delete(key);
  }

  pending(key: string): { adds: number; dels: number } {
    const e = this.entries.get(key);
    return { adds: e?.adds ?? 0, dels: e?.dels.size ?? 0 };
  }

  private entry(key: string): Entry {
    let e = this.entries.get(key);
    if (!e) this.entries.set(key, (e = { adds: 0, dels: new Set(), atMs: this.clock.now() }));
    return e;
  }
}
