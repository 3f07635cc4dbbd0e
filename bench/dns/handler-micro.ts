/** CPU cost of the packet handler alone (no sockets): ns per query for precomputed answers. */
import { startDnsServer } from '../../src/dns/dns-server.js';
import { buildQuery } from '../../src/dns/testing/dns-client.js';
import { RRType } from '../../src/dns/wire/constants.js';
import { newInformers, populate, serviceName } from './fake-cluster.js';

const inf = newInformers();
populate(inf, 1000);
const s = await startDnsServer({ informers: inf, port: 0 });
const queries = Array.from({ length: 1000 }, (_, i) => buildQuery(serviceName(i).fqdn, RRType.A, { id: i }));
const ctx = { transport: 'udp' as const, address: '127.0.0.1', port: 1 };
for (let round = 0; round < 3; round++) {
  const n = 2_000_000;
  const t0 = process.hrtime.bigint();
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const out = s.handler.handle(queries[i % 1000]!, ctx) as Buffer;
    bytes += out.length;
  }
  const ns = Number(process.hrtime.bigint() - t0) / n;
  console.log(`handler: ${ns.toFixed(0)} ns/query (${(1e9 / ns / 1000).toFixed(0)}k queries/s on one core), ${bytes} bytes`);
}
await s.close();
