/**
 * A bitmap allocator over a range of offsets [0, size), with storage as the arbiter: each
 * allocated offset is a key `<prefix><label>`, taken with an atomic create. The bitmap is this
 * server's view (a hint for where free offsets are); two servers over one etcd never hand out
 * the same offset because only one `create` of a key can succeed.
 */
import { isStorageError, type Storage } from '../../storage/storage.js';

export interface RangeAllocatorOptions {
  storage: Storage;
  /** Storage key prefix, e.g. `/registry/skiff.dev/serviceips/`. */
  keyPrefix: string;
  size: number;
  /** Offsets never handed out (network/broadcast addresses). */
  reserved?: ReadonlySet<number>;
  /** Dynamic allocation prefers offsets >= this (the static band below stays for explicit requests). */
  dynamicFrom?: number;
  /** Hand out the lowest free offset first (pod CIDRs) instead of a random one (IPs, ports). */
  sequential?: boolean;
  /** How an offset appears in its key (the IP or port text). */
  label(offset: number): string;
  parse(label: string): number | undefined;
}

export class RangeFullError extends Error {}
export class AlreadyAllocatedError extends Error {}

export class RangeAllocator {
  private readonly bits: Uint8Array;
  private used = 0;

  constructor(private readonly o: RangeAllocatorOptions) {
    this.bits = new Uint8Array(o.size);
  }

  get size(): number {
    return this.o.size;
  }

  get free(): number {
    return this.o.size - this.used - (this.o.reserved?.size ?? 0);
  }

  has(offset: number): boolean {
    return this.bits[offset] === 1;
  }

  private mark(offset: number, on: boolean): void {
    if (on && this.bits[offset] !== 1) this.used++;
    if (!on && this.bits[offset] === 1) this.used--;
    this.bits[offset] = on ? 1 : 0;
  }

  /** Loads what storage holds (call at start); returns the offsets found with their owners. */
  async rebuild(): Promise<Map<number, string>> {
    this.bits.fill(0);
    this.used = 0;
    const owners = new Map<number, string>();
    const listed = await this.o.storage.list(this.o.keyPrefix);
    for (const kv of listed.items) {
      const offset = this.o.parse(kv.key.slice(this.o.keyPrefix.length));
      if (offset === undefined || offset < 0 || offset >= this.o.size) continue;
      this.mark(offset, true);
      owners.set(offset, kv.value);
    }
    return owners;
  }

  /** Takes a specific offset for `owner`; AlreadyAllocatedError when someone holds it. */
  async allocate(offset: number, owner: string): Promise<void> {
    if (this.o.reserved?.has(offset)) throw new AlreadyAllocatedError(`offset ${offset} is reserved`);
    try {
      await this.o.storage.create(this.key(offset), owner);
      this.mark(offset, true);
    } catch (err) {
      if (isStorageError(err, 'KeyExists')) {
        this.mark(offset, true);
        throw new AlreadyAllocatedError(`offset ${offset} is allocated`);
      }
      throw err;
    }
  }

  /**
   * Takes any free offset, preferring the dynamic band, starting at a random point. When this
   * server's bitmap shows no room it re-reads storage once (another server may have released).
   */
  async allocateNext(owner: string): Promise<number> {
    const found = await this.scan(owner);
    if (found !== undefined) return found;
    await this.rebuild();
    const again = await this.scan(owner);
    if (again !== undefined) return again;
    throw new RangeFullError('range is full');
  }

  private async scan(owner: string): Promise<number | undefined> {
    const size = this.o.size;
    const from = Math.min(this.o.dynamicFrom ?? 0, size);
    const bands: [number, number][] = from > 0 ? [[from, size], [0, from]] : [[0, size]];
    for (const [lo, hi] of bands) {
      const span = hi - lo;
      if (span <= 0) continue;
      const start = this.o.sequential ? lo : lo + Math.floor(Math.random() * span);
      for (let i = 0; i < span; i++) {
        const offset = lo + ((start - lo + i) % span);
        if (this.bits[offset] === 1 || this.o.reserved?.has(offset)) continue;
        try {
          await this.allocate(offset, owner);
          return offset;
        } catch (err) {
          if (err instanceof AlreadyAllocatedError) continue;
          throw err;
        }
      }
    }
    return undefined;
  }

  async release(offset: number): Promise<void> {
    this.mark(offset, false);
    try {
      await this.o.storage.delete(this.key(offset));
    } catch (err) {
      if (!isStorageError(err, 'NotFound')) throw err;
    }
  }

  private key(offset: number): string {
    return `${this.o.keyPrefix}${this.o.label(offset)}`;
  }
}
