/**
 * The latest value of every live key, with keys kept sorted for prefix lists. Used by
 * backends that own their data (sqlite) to answer reads at the current revision without
 * touching disk. The caller updates it only with committed writes.
 *
 * Sorting is lazy: new keys and removals are folded into the sorted array on the next
 * ordered read (sort the new keys, merge, drop removed), so a burst of writes costs one merge.
 */
import type { KeyValue, ListResult } from './storage.js';

export class LatestIndex {
  private readonly map = new Map<string, KeyValue>();
  private sorted: string[] = [];
  /** Keys in `map` not yet in `sorted`. */
  private added: string[] = [];
  /** Keys removed from `map` that may still sit in `sorted` or `added`. */
  private removed = new Set<string>();

  get size(): number {
    return this.map.size;
  }

  get(key: string): KeyValue | undefined {
    return this.map.get(key);
  }

  set(kv: KeyValue): void {
    if (!this.map.has(kv.key)) {
      if (this.removed.has(kv.key)) this.removed.delete(kv.key);
      else this.added.push(kv.key);
    }
    this.map.set(kv.key, kv);
  }

  delete(key: string): void {
    if (this.map.delete(key)) this.removed.add(key);
  }

  /** Live keys under `prefix` after `startAfter`, at most `limit` (0: all); `remaining` counts the rest. */
  list(prefix: string, limit: number, startAfter: string | undefined, revision: number): ListResult {
    const keys = this.keys();
    let i = lowerBound(keys, prefix, false);
    if (startAfter !== undefined && startAfter >= prefix) i = lowerBound(keys, startAfter, true);
    const max = limit > 0 ? limit : Infinity;
    const items: KeyValue[] = [];
    for (; i < keys.length && items.length < max; i++) {
      const key = keys[i]!;
      if (!key.startsWith(prefix)) break;
      items.push(this.map.get(key)!);
    }
    let remaining = 0;
    for (; i < keys.length && keys[i]!.startsWith(prefix); i++) remaining++;
    return remaining > 0 ? { items, revision, more: true, remaining } : { items, revision, more: false };
  }

  count(prefix: string): number {
    const keys = this.keys();
    let n = 0;
    for (let i = lowerBound(keys, prefix, false); i < keys.length && keys[i]!.startsWith(prefix); i++) n++;
    return n;
  }

  private keys(): string[] {
    if (this.added.length === 0 && this.removed.size === 0) return this.sorted;
    const removed = this.removed;
    const added = (removed.size > 0 ? this.added.filter((k) => !removed.has(k)) : this.added).sort();
    const old = removed.size > 0 ? this.sorted.filter((k) => !removed.has(k)) : this.sorted;
    this.added = [];
    this.removed = new Set();
    if (added.length === 0) this.sorted = old;
    else if (old.length === 0 || added[0]! > old[old.length - 1]!) this.sorted = old.concat(added);
    else {
      const merged: string[] = new Array(old.length + added.length);
      let i = 0;
      let j = 0;
      let k = 0;
      while (i < old.length && j < added.length) merged[k++] = old[i]! < added[j]! ? old[i++]! : added[j++]!;
      while (i < old.length) merged[k++] = old[i++]!;
      while (j < added.length) merged[k++] = added[j++]!;
      this.sorted = merged;
    }
    return this.sorted;
  }
}

/** First index whose key is >= target (or > target when `strict`). */
function lowerBound(keys: string[], target: string, strict: boolean): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const k = keys[mid]!;
    if (k < target || (strict && k === target)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
