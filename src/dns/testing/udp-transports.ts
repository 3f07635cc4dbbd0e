/**
 * Runs a server test once per UDP transport (batched addon, dgram fallback), so both paths
 * meet the same assertions. The batched case is skipped, saying why, when the addon is not
 * built (no C compiler); `npm run build` builds it.
 */
import { test, type TestContext } from 'node:test';
import { loadUdpBatchAddon } from '../server/udp-batch-addon.js';

export type UdpTransportName = 'batched' | 'dgram';

export interface UdpTestOptions {
  skip?: string | false;
  timeout?: number;
}

export function testEachUdpTransport(name: string, options: UdpTestOptions, fn: (t: TestContext, udpTransport: UdpTransportName) => Promise<void>): void {
  const built = loadUdpBatchAddon() !== undefined;
  for (const udpTransport of ['batched', 'dgram'] as const) {
    const skip = options.skip || (udpTransport === 'batched' && !built ? 'batched UDP addon not built (npm run build needs a C compiler)' : false);
    test(`${name} [udp ${udpTransport}]`, { ...options, skip }, (t) => fn(t, udpTransport));
  }
}
