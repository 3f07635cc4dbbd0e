/**
 * The batched UDP transport: the addon (native/udp-batch.c) owns the socket and hands over up
 * to BATCH datagrams per call; each goes through the same DnsHandler as with dgram, and each
 * synchronous answer is copied into the output slab, which the addon sends with one
 * sendmmsg. Forwarded (asynchronous) answers are sent one by one when they resolve.
 */
import type { QueryContext } from '../handler.js';
import { bytesToIPv4, bytesToIPv6 } from '../wire/ip.js';
import {
  META_ADDRESS_BYTE,
  META_FAMILY,
  META_LENGTH,
  META_OUT_LENGTH,
  META_OUT_OFFSET,
  META_PORT,
  META_STRIDE,
  type UdpBatchAddon,
  type UdpBatchHandle,
} from './udp-batch-addon.js';
import { MAX_UDP_QUERY_BYTES, type UdpServer, type UdpServerOptions } from './udp-server-contract.js';

/** Datagrams per recvmmsg / sendmmsg and per JS call. */
const BATCH = 64;
/** One byte more than we accept, so an oversized datagram shows as a full slot (dropped). */
const SLOT_BYTES = MAX_UDP_QUERY_BYTES + 1;
/** Room for a batch of typical answers; an answer that does not fit goes out on its own. */
const OUTPUT_BYTES = 256 * 1024;

/**
 * The QueryContext of the slot being handled. The address string is built only when the
 * handler asks (autopath, loop checks: the slow path), not for every cluster answer.
 */
class SlotContext implements QueryContext {
  readonly transport = 'udp' as const;
  port = 0;
  private slot = 0;
  private text: string | undefined;

  constructor(private readonly metaBytes: Buffer, private readonly meta: Int32Array) {}

  select(slot: number): void {
    this.slot = slot;
    this.port = this.meta[slot * META_STRIDE + META_PORT]!;
    this.text = undefined;
  }

  get address(): string {
    if (this.text === undefined) {
      const at = this.slot * META_STRIDE * 4 + META_ADDRESS_BYTE;
      this.text = this.meta[this.slot * META_STRIDE + META_FAMILY] === 4 ? bytesToIPv4(this.metaBytes, at) : ipv6Text(this.metaBytes, at);
    }
    return this.text;
  }
}

export class BatchedUdpServer implements UdpServer {
  readonly transport = 'batched';
  private handle: UdpBatchHandle | undefined;

  constructor(
    private readonly o: UdpServerOptions,
    private readonly addon: UdpBatchAddon,
  ) {}

  batchStats(): [number, number, number] {
    return this.handle ? this.addon.stats(this.handle) : [0, 0, 0];
  }

  async listen(): Promise<number> {
    const addon = this.addon;
    const handle = addon.open(this.o.host, this.o.port, this.o.reusePort === true, this.o.receiveBufferSize ?? 4 * 1024 * 1024);
    this.handle = handle;
    const input = Buffer.alloc(BATCH * SLOT_BYTES);
    const meta = new Int32Array(BATCH * META_STRIDE);
    const output = Buffer.alloc(OUTPUT_BYTES);
    const ctx = new SlotContext(Buffer.from(meta.buffer), meta);
    const handler = this.o.handler;
    const metrics = this.o.metrics;
    const sendLate = (answer: Buffer | null, address: string, port: number, t0: number): void => {
      if (answer && this.handle) addon.sendTo(this.handle, answer, address, port);
      if (t0 !== 0) metrics!.observeLatency((performance.now() - t0) / 1000);
    };
    // Contract with the addon: runs synchronously per batch; slots [0, n) are valid until it
    // returns; META_OUT_* of a slot are read right after. handler.handle() never throws.
    const onBatch = (n: number): void => {
      let outAt = 0;
      for (let i = 0; i < n; i++) {
        const m = i * META_STRIDE;
        const length = meta[m + META_LENGTH]!;
        if (length < 0) {
          if (metrics) metrics.dropped++;
          continue;
        }
        const t0 = metrics?.sample() ? performance.now() : 0;
        if (metrics) metrics.byTransport.udp++;
        ctx.select(i);
        const at = i * SLOT_BYTES;
        // The handler keeps no reference to the query past its return (it copies what a
        // forwarded query needs), so the slot can be refilled by the next batch.
        const out = handler.handle(input.subarray(at, at + length), ctx);
        if (out === null) continue;
        if (out instanceof Promise) {
          const address = ctx.address;
          const port = ctx.port;
          void out.then((r) => sendLate(r, address, port, t0));
          continue;
        }
        if (outAt + out.length <= OUTPUT_BYTES) {
          // TypedArray#set, not Buffer#copy: the latter's JS wrapper costs more than the copy
          // at these sizes (measured for patchPrecomputed, answers/respond.ts).
          output.set(out, outAt);
          meta[m + META_OUT_OFFSET] = outAt;
          meta[m + META_OUT_LENGTH] = out.length;
          outAt += out.length;
        } else {
          addon.sendTo(handle, out, ctx.address, ctx.port);
        }
        if (t0 !== 0) metrics!.observeLatency((performance.now() - t0) / 1000);
      }
    };
    addon.start(handle, input, meta, output, BATCH, onBatch);
    return addon.localPort(handle);
  }

  async close(): Promise<void> {
    const h = this.handle;
    this.handle = undefined;
    if (h) this.addon.close(h);
  }
}

/** As Node's rinfo.address: RFC 5952 text, and `::ffff:a.b.c.d` for IPv4-mapped addresses. */
export function ipv6Text(b: Buffer, at: number): string {
  let mapped = b[at + 10] === 0xff && b[at + 11] === 0xff;
  for (let i = 0; i < 10 && mapped; i++) if (b[at + i] !== 0) mapped = false;
  return mapped ? `::ffff:${bytesToIPv4(b, at + 12)}` : bytesToIPv6(b, at);
}
