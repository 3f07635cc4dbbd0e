/**
 * A Skiff DNS server fed by fake informers, as a separate process for dnsperf:
 *   npx tsx bench/dns/serve-fake.ts --host 127.0.0.4 --port 0 --services 1000 [--workers N] [--udp batched|dgram]
 * Prints `READY <port>` once serving. With --workers N > 1 it runs N node:cluster workers,
 * each with its own informers/table (and, batched, its own SO_REUSEPORT UDP socket).
 */
import cluster from 'node:cluster';
import { parseArgs } from 'node:util';
import { startDnsServer } from '../../src/dns/dns-server.js';
import type { UdpTransportChoice } from '../../src/dns/server/udp-transport.js';
import { newInformers, populate } from './fake-cluster.js';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.4' },
    port: { type: 'string', default: '0' },
    services: { type: 'string', default: '1000' },
    workers: { type: 'string', default: '1' },
    udp: { type: 'string', default: 'auto' },
  },
});
const workers = Number(values.workers);

async function serve(port: number): Promise<number> {
  const inf = newInformers();
  populate(inf, Number(values.services));
  // --udp batched|dgram|auto picks the UDP transport; workers get their own SO_REUSEPORT
  // socket with the batched one (dgram workers share the primary's socket).
  const s = await startDnsServer({ informers: inf, host: values.host, port, udpTransport: values.udp as UdpTransportChoice, udpReusePort: cluster.isWorker });
  process.on('SIGTERM', () => void s.close().then(() => process.exit(0)));
  return s.udpPort;
}

if (workers > 1 && cluster.isPrimary) {
  const port = Number(values.port) || 20000 + Math.floor(Math.random() * 20000);
  let ready = 0;
  for (let i = 0; i < workers; i++) {
    const w = cluster.fork({ SKIFF_BENCH_PORT: String(port) });
    w.on('message', () => {
      if (++ready === workers) process.stdout.write(`READY ${port}\n`);
    });
  }
  process.on('SIGTERM', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.kill();
    process.exit(0);
  });
} else if (workers > 1) {
  await serve(Number(process.env.SKIFF_BENCH_PORT));
  process.send?.('ready');
} else {
  const port = await serve(Number(values.port));
  process.stdout.write(`READY ${port}\n`);
}
