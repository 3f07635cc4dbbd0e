/**
 * Service creation → first correct answer over real UDP. A client queries the new name
 * in a tight loop (each query sent as soon as the previous answer arrives) while the Service's
 * event is delivered through the (fake) informer; the latency is from delivering the event to
 * the first answer carrying the new IP. 300 Services; prints p50/p99/max as JSON.
 * (The API server → watch → informer leg is measured by test/e2e/dns/.)
 */
import { createSocket } from 'node:dgram';
import { startDnsServer } from '../../src/dns/dns-server.js';
import { clusterIPService } from '../../src/dns/testing/builders.js';
import { buildQuery } from '../../src/dns/testing/dns-client.js';
import { RRType } from '../../src/dns/wire/constants.js';
import { decodeMessage } from '../../src/dns/wire/decoder.js';
import { newInformers, populate } from './fake-cluster.js';

const inf = newInformers();
populate(inf, 1000);
const s = await startDnsServer({ informers: inf, port: 0 });
const sock = createSocket('udp4');
await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
const samples: number[] = [];
for (let i = 0; i < 300; i++) {
  const name = `new${i}.bench.svc.cluster.local`;
  const ip = `198.19.100.${i % 250}`;
  const q = buildQuery(name, RRType.A, { id: i });
  let created = 0;
  const done = new Promise<void>((resolve) => {
    const onMsg = (msg: Buffer): void => {
      const m = decodeMessage(msg);
      if (created && m.answers.some((a) => a.data === ip)) {
        samples.push(performance.now() - created);
        sock.off('message', onMsg);
        resolve();
        return;
      }
      sock.send(q, s.udpPort, '127.0.0.1');
    };
    sock.on('message', onMsg);
  });
  sock.send(q, s.udpPort, '127.0.0.1');
  await new Promise((r) => setTimeout(r, 2));
  created = performance.now();
  inf.services.apply(clusterIPService('bench', `new${i}`, [ip]));
  await done;
}
samples.sort((a, b) => a - b);
const pct = (p: number): number => Number(samples[Math.min(samples.length - 1, Math.floor(samples.length * p))]!.toFixed(3));
console.log(JSON.stringify({ services: samples.length, p50Ms: pct(0.5), p99Ms: pct(0.99), maxMs: pct(1) }));
sock.close();
await s.close();
process.exit(0);
