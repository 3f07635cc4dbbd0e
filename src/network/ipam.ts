/**
 * IPAM over one CIDR: hands out addresses to pod UIDs and persists the allocation (JSON file,
 * written atomically) so an agent restart never reuses the address of a pod still running.
 * Reserved: the network address, the broadcast address, and any `reserved` addresses (the
 * bridge/gateway). Allocation continues after the last address handed out (round robin), so a
 * freshly released address is not reused at once — late packets for a dead pod don't reach a
 * new one.
 * The file is written behind, off the event loop (a synchronous write + rename on ext4 under
 * load was ~1-3 ms per pod of a burst, on the agent's loop), coalesced while a write is in
 * flight: `persisted()` resolves once what was allocated so far is on disk, and the pod
 * networks await it before a pod gets its address.
 */
import { readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { formatCidr, ipToNumber, numberToIp, parseCidr, type Cidr } from '../util/cidr.js';

interface IpamFile {
  cidr: string;
  next: number;
  allocations: Record<string, string>; // ip -> owner (pod uid)
}

export interface IpamOptions {
  cidr: string;
  /** Where to persist; undefined keeps the state in memory only. */
  file?: string;
  reserved?: string[];
}

export class Ipam {
  private readonly cidr: Cidr;
  private readonly byIp = new Map<string, string>();
  private next = 0;
  private readonly reserved: Set<number>;

  constructor(private readonly options: IpamOptions) {
    this.cidr = parseCidr(options.cidr);
    this.reserved = new Set((options.reserved ?? []).map(ipToNumber));
    if (this.cidr.size > 2) {
      this.reserved.add(this.cidr.base);
      this.reserved.add(this.cidr.base + this.cidr.size - 1);
    }
    this.load();
  }

  get range(): string {
    return formatCidr(this.cidr);
  }

  get prefix(): number {
    return this.cidr.prefix;
  }

  private load(): void {
    if (!this.options.file) return;
    let data: IpamFile;
    try {
      data = JSON.parse(readFileSync(this.options.file, 'utf8')) as IpamFile;
    } catch {
      return;
    }
    // A different range (the node got a new podCIDR) invalidates what was stored.
    if (data.cidr !== formatCidr(this.cidr)) return;
    this.next = data.next ?? 0;
    for (const [ip, owner] of Object.entries(data.allocations ?? {})) this.byIp.set(ip, owner);
  }

  private writing?: Promise<void>;
  private dirty = false;

  /** Schedules a write of the current state (one at a time; changes meanwhile ride on the next). */
  private save(): void {
    if (!this.options.file) return;
    this.dirty = true;
    if (this.writing) return;
    this.writing = this.writeBehind().finally(() => (this.writing = undefined));
    this.writing.catch(() => {});
  }

  private async writeBehind(): Promise<void> {
    const file = this.options.file!;
    await mkdir(dirname(file), { recursive: true });
    while (this.dirty) {
      this.dirty = false;
      const data: IpamFile = { cidr: formatCidr(this.cidr), next: this.next, allocations: Object.fromEntries(this.byIp) };
      await writeFile(`${file}.tmp`, JSON.stringify(data));
      await rename(`${file}.tmp`, file);
    }
  }

  /** Resolves once every change so far is on disk (rejects if the write failed). */
  async persisted(): Promise<void> {
    while (this.writing) await this.writing;
  }

  /** The address of `owner`, allocating one if it has none. Throws when the range is full. */
  allocate(owner: string): string {
    const existing = this.addressOf(owner);
    if (existing) return existing;
    for (let i = 0; i < this.cidr.size; i++) {
      const offset = (this.next + i) % this.cidr.size;
      const n = this.cidr.base + offset;
      const ip = numberToIp(n);
      if (this.reserved.has(n) || this.byIp.has(ip)) continue;
      this.byIp.set(ip, owner);
      this.next = (offset + 1) % this.cidr.size;
      this.save();
      return ip;
    }
    throw new Error(`no free address in ${formatCidr(this.cidr)}`);
  }

  addressOf(owner: string): string | undefined {
    for (const [ip, o] of this.byIp) if (o === owner) return ip;
    return undefined;
  }

  release(owner: string): void {
    let changed = false;
    for (const [ip, o] of [...this.byIp]) {
      if (o === owner) {
        this.byIp.delete(ip);
        changed = true;
      }
    }
    if (changed) this.save();
  }

  /** Drops every allocation whose owner is not in `live` (after a restart). */
  retainOnly(live: Set<string>): string[] {
    const dropped: string[] = [];
    for (const [ip, o] of [...this.byIp]) {
      if (!live.has(o)) {
        this.byIp.delete(ip);
        dropped.push(o);
      }
    }
    if (dropped.length) this.save();
    return dropped;
  }

  owners(): string[] {
    return [...new Set(this.byIp.values())];
  }
}
