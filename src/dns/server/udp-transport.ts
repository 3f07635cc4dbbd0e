/**
 * Which UDP transport a DNS server uses: the batched addon when it loads, else Node's dgram.
 * `SKIFF_DNS_UDP=batched|dgram` forces one (tests and benchmarks run both paths).
 */
export type UdpTransportChoice = 'auto' | 'batched' | 'dgram';

export function udpTransportFromEnv(env: NodeJS.ProcessEnv): UdpTransportChoice {
  const v = env.SKIFF_DNS_UDP;
  if (v === undefined || v === '' || v === 'auto') return 'auto';
  if (v === 'batched' || v === 'dgram') return v;
  throw new Error(`SKIFF_DNS_UDP must be auto, batched or dgram, not "${v}"`);
}
