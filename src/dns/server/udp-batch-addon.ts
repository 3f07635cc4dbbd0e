/**
 * The batched UDP addon (native/udp-batch.c, built by scripts/build-native.mjs into
 * build/native/): its functions, its metadata layout, and a loader that returns undefined
 * when the addon was not built (no C compiler) so the caller falls back to dgram.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** An opaque socket owned by the addon. */
export type UdpBatchHandle = { readonly __udpBatchHandle: unique symbol };

export interface UdpBatchAddon {
  /** Creates and binds the socket; throws an Error with `code` (EADDRINUSE, ...). */
  open(host: string, port: number, reusePort: boolean, bufferBytes: number): UdpBatchHandle;
  localPort(handle: UdpBatchHandle): number;
  /**
   * Starts polling. Per readable batch of n datagrams (slot i at `i * input.length / batch`),
   * `onBatch(n)` runs once; answers it leaves in `output` (META_OUT_OFFSET / META_OUT_LENGTH)
   * are sent by one sendmmsg after it returns.
   */
  start(handle: UdpBatchHandle, input: Buffer, meta: Int32Array, output: Buffer, batch: number, onBatch: (n: number) => void): void;
  /** One datagram now (late answers); false when the kernel refused it. */
  sendTo(handle: UdpBatchHandle, packet: Buffer, address: string, port: number): boolean;
  /** [batches, datagrams, answers dropped by the kernel] since open. */
  stats(handle: UdpBatchHandle): [number, number, number];
  /** Closes the socket at once (the port is free when this returns). */
  close(handle: UdpBatchHandle): void;
}

/** int32 words per slot in the metadata array; must match META_STRIDE in udp-batch.c. */
export const META_STRIDE = 12;
/** Datagram length; -1 = larger than a slot, dropped unread. */
export const META_LENGTH = 0;
export const META_FAMILY = 1;
export const META_PORT = 2;
export const META_OUT_OFFSET = 3;
/** 0 = no answer for this slot. */
export const META_OUT_LENGTH = 4;
/** Byte offset of the source address (4 or 16 bytes) inside a slot's metadata. */
export const META_ADDRESS_BYTE = 32;

let cached: UdpBatchAddon | null | undefined;

/** The addon, or undefined when build/native/udp-batch.node is missing or does not load. */
export function loadUdpBatchAddon(): UdpBatchAddon | undefined {
  if (cached === undefined) {
    // src/dns/server/ and dist/dns/server/ are both three levels below the package root.
    const path = fileURLToPath(new URL('../../../build/native/udp-batch.node', import.meta.url));
    try {
      cached = createRequire(import.meta.url)(path) as UdpBatchAddon;
    } catch {
      cached = null;
    }
  }
  return cached ?? undefined;
}
