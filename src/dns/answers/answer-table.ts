/**
 * Open-addressing hash table keyed by lowercased wire-form DNS names, looked up straight from
 * the query packet bytes (hash from scanQuery, case-insensitive compare), so finding the
 * precomputed answers for a name allocates nothing. Writers (watch event handlers) use set()
 * and delete(); lookups never see a half-updated entry because Node runs them on one thread.
 */
import { hashWireName } from '../wire/query-scan.js';

/**
 * Keys are kept as latin1 strings (one byte per char): a V8 string costs far less than a
 * Buffer object per name at 40,000+ names, and charCodeAt compares as fast as byte reads.
 */
const TOMBSTONE = '\u0000tombstone';

export class AnswerTable<V> {
  private capacity = 1024;
  private keys: (string | undefined)[] = new Array<string | undefined>(1024);
  private hashes = new Int32Array(1024);
  private values: (V | undefined)[] = new Array<V | undefined>(1024);
  private live = 0;
  private used = 0;

  get size(): number {
    return this.live;
  }

  /** `buf[start, end)` is a wire-form name in any case; `hash` is hashWireName over it. */
  lookup(buf: Buffer, start: number, end: number, hash: number): V | undefined {
    const mask = this.capacity - 1;
    const n = end - start;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const k = this.keys[i];
      if (k === undefined) return undefined;
      if (this.hashes[i] === hash && k.length === n && k !== TOMBSTONE) {
        let j = 0;
        for (; j < n; j++) {
          let c = buf[start + j]!;
          if (c >= 0x41 && c <= 0x5a) c |= 0x20;
          if (c !== k.charCodeAt(j)) break;
        }
        if (j === n) return this.values[i];
      }
    }
  }

  /** `key` must already be lowercased wire form (nameToWireLower). */
  get(key: Buffer): V | undefined {
    return this.lookup(key, 0, key.length, hashWireName(key, 0, key.length));
  }

  set(keyBytes: Buffer, value: V): void {
    const hash = hashWireName(keyBytes, 0, keyBytes.length);
    const key = keyBytes.toString('latin1');
    const mask = this.capacity - 1;
    let firstFree = -1;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const k = this.keys[i];
      if (k === undefined) {
        const at = firstFree >= 0 ? firstFree : i;
        if (firstFree < 0) this.used++;
        this.keys[at] = key;
        this.hashes[at] = hash;
        this.values[at] = value;
        this.live++;
        if (this.used * 10 > this.capacity * 6) this.resize(this.live * 4 > this.capacity ? this.capacity * 2 : this.capacity);
        return;
      }
      if (k === TOMBSTONE) {
        if (firstFree < 0) firstFree = i;
        continue;
      }
      if (this.hashes[i] === hash && k === key) {
        this.values[i] = value;
        return;
      }
    }
  }

  delete(keyBytes: Buffer): boolean {
    const hash = hashWireName(keyBytes, 0, keyBytes.length);
    const key = keyBytes.toString('latin1');
    const mask = this.capacity - 1;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const k = this.keys[i];
      if (k === undefined) return false;
      if (k !== TOMBSTONE && this.hashes[i] === hash && k === key) {
        this.keys[i] = TOMBSTONE;
        this.values[i] = undefined;
        this.live--;
        return true;
      }
    }
  }

  /** Keys in latin1 wire form. */
  *entries(): IterableIterator<[string, V]> {
    for (let i = 0; i < this.capacity; i++) {
      const k = this.keys[i];
      if (k !== undefined && k !== TOMBSTONE) yield [k, this.values[i]!];
    }
  }

  private resize(capacity: number): void {
    const oldKeys = this.keys;
    const oldHashes = this.hashes;
    const oldValues = this.values;
    this.capacity = capacity;
    this.keys = new Array<string | undefined>(capacity);
    this.hashes = new Int32Array(capacity);
    this.values = new Array<V | undefined>(capacity);
    this.used = 0;
    const mask = capacity - 1;
    for (let j = 0; j < oldKeys.length; j++) {
      const k = oldKeys[j];
      if (k === undefined || k === TOMBSTONE) continue;
      let i = oldHashes[j]! & mask;
      while (this.keys[i] !== undefined) i = (i + 1) & mask;
      this.keys[i] = k;
      this.hashes[i] = oldHashes[j]!;
      this.values[i] = oldValues[j];
      this.used++;
    }
  }
}
