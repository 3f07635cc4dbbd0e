/**
 * Memory at 10,000 Services + 100,000 pods (10 ready endpoints each, one slice per Service),
 * pods mode verified (pod IP index kept). Prints JSON: RSS and heap growth after GC.
 * MODE=full: the fake informers keep every object, as a real SharedInformer cache does;
 * MODE=lean: they keep nothing, so the figure is the DNS side alone (views, records, packets).
 * Run with --expose-gc (bench.ts does).
 */
import { startDnsServer } from '../../src/dns/dns-server.js';
import { newInformers, populate } from './fake-cluster.js';

const SERVICES = 10_000;
const PODS_PER_SERVICE = Number(process.env.PODS_PER_SERVICE ?? 10);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

async function measure(keepObjects: boolean): Promise<{ rss0MB: number; rssMB: number; heapMB: number; names: number; ms: number }> {
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const rss0 = process.memoryUsage().rss;
  const inf = newInformers(keepObjects);
  const t0 = Date.now();
  const s = await startDnsServer({ informers: inf, port: 0, podsMode: 'verified' });
  populate(inf, SERVICES, PODS_PER_SERVICE);
  const ms = Date.now() - t0;
  gc();
  gc();
  const mu = process.memoryUsage();
  const result = { rss0MB: rss0 / 2 ** 20, rssMB: mu.rss / 2 ** 20, heapMB: (mu.heapUsed - heap0) / 2 ** 20, names: s.store.nameCount, ms };
  await s.close();
  return result;
}

// One measurement per process (RSS is only meaningful in a fresh one): MODE=lean | full.
const mode = process.env.MODE ?? 'full';
const r = await measure(mode === 'full');
const coreDnsMB = ((SERVICES + SERVICES * PODS_PER_SERVICE) * 0.86) / 1024 + 49;
console.log(
  JSON.stringify({
    mode,
    services: SERVICES,
    pods: SERVICES * PODS_PER_SERVICE,
    heapMB: Number(r.heapMB.toFixed(1)),
    processRssMB: Number(r.rssMB.toFixed(1)),
    rssBeforeLoadMB: Number(r.rss0MB.toFixed(1)),
    coreDnsPublishedMB: Number(coreDnsMB.toFixed(1)),
    ratioRssToCoreDns: Number((r.rssMB / coreDnsMB).toFixed(2)),
    namesInTable: r.names,
    loadMs: r.ms,
  }),
);
process.exit(0);
