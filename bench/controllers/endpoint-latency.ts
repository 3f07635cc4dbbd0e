/**
 * Endpoint programming latency: with SERVICES Services and PODS pods (objects only, 5 pods per
 * Service by default), the time from a pod's Ready status write to the EndpointSlice update
 * seen by a watcher, over CHANGES changes (one at a time), p50/p99 — beside the API server's
 * own latency for the same status writes (the reference, same run).
 *
 *   npx tsx bench/controllers/endpoint-latency.ts            # 10,000 Services, 50,000 pods, 1,000 changes
 *   BENCH_SCALE=0.1 npx tsx bench/controllers/endpoint-latency.ts
 */
import os from 'node:os';
import type { EndpointSlice, Pod, Service } from '../../src/api/types.js';
import { RestClient } from '../../src/client/rest-client.js';
import { R } from '../../src/controllers/shared/resources.js';
import { cleanups, fmt, percentile, pool, startControllers, startServer } from './bench-util.js';

const scale = Number(process.env.BENCH_SCALE ?? 1);
const SERVICES = Math.round(Number(process.env.SERVICES ?? 10_000) * scale);
const PODS = Math.round(Number(process.env.PODS ?? 50_000) * scale);
const CHANGES = Number(process.env.CHANGES ?? Math.max(100, Math.round(1000 * Math.min(1, scale * 10))));
const CONCURRENCY = 64;
const NS = 'default';

function ipOf(i: number): string {
  return `198.18.${Math.floor(i / 250)}.${(i % 250) + 1}`;
}

async function main(): Promise<void> {
  const c = cleanups();
  const started = Date.now();
  const log = (msg: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);
  try {
    log(`load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}, ${os.cpus().length} cpus; ${SERVICES} services, ${PODS} pods, ${CHANGES} changes`);
    const server = await startServer(c);
    const client = await RestClient.fromKubeconfig(server.kubeconfig);
    c.after(() => client.close());
    log('server up; creating services');
    await pool(SERVICES, CONCURRENCY, async (i) => {
      await client.create<Service>(R.services, { apiVersion: 'v1', kind: 'Service', metadata: { name: `s${i}`, namespace: NS }, spec: { selector: { app: `s${i}` }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } });
    });
    log('creating pods');
    const podStatus = (i: number, ready: boolean) => ({
      phase: 'Running' as const,
      podIP: ipOf(i),
      podIPs: [{ ip: ipOf(i) }],
      conditions: [{ type: 'Ready', status: ready ? ('True' as const) : ('False' as const) }],
    });
    const pods: Pod[] = new Array(PODS);
    await pool(PODS, CONCURRENCY, async (i) => {
      pods[i] = await client.create<Pod>(R.pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: `p${i}`, namespace: NS, labels: { app: `s${i % SERVICES}` } }, spec: { nodeName: 'bench-node', containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 8080 }] }] } });
    });
    log('setting pod status (Running, Ready, IP)');
    await pool(PODS, CONCURRENCY, async (i) => {
      pods[i] = await client.update<Pod>(R.pods, { ...pods[i], status: podStatus(i, true) }, { subresource: 'status' });
    });
    // Watch slices from now on: ready state per IP.
    const readyByIp = new Map<string, boolean>();
    let waiter: { ip: string; want: boolean; resolve: () => void } | undefined;
    const list = await client.list<EndpointSlice>(R.endpointSlices, { namespace: NS, limit: 1 });
    const watch = client.watch<EndpointSlice>(R.endpointSlices, { namespace: NS, resourceVersion: list.metadata.resourceVersion }, {
      onEvent: (ev) => {
        if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED') return;
        for (const e of ev.object.endpoints ?? []) {
          const ip = e.addresses[0];
          const r = e.conditions?.ready === true;
          readyByIp.set(ip, r);
          if (waiter && waiter.ip === ip && waiter.want === r) {
            const w = waiter;
            waiter = undefined;
            w.resolve();
          }
        }
      },
      onClose: (err) => {
        if (err) console.error('watch closed', err);
      },
    });
    log('starting controllers (endpointslice + endpoints) in their own process');
    const t0 = Date.now();
    startControllers(c, server.kubeconfig, ['--controllers', 'endpointslice,endpoints', '--no-scheduler']);
    for (;;) {
      let ready = 0;
      for (const v of readyByIp.values()) if (v) ready++;
      if (ready >= PODS) break;
      if (Date.now() - t0 > 300_000) throw new Error(`initial sync incomplete after 300 s: ${ready}/${PODS}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const initialSyncMs = Date.now() - t0;
    log(`initial sync: all ${PODS} endpoints ready in ${(initialSyncMs / 1000).toFixed(1)} s`);
    const writeMs: number[] = [];
    const e2eMs: number[] = [];
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let k = 0; k < CHANGES; k++) {
      const i = Math.floor(rand() * PODS);
      const ip = ipOf(i);
      const want = !readyByIp.get(ip);
      const seen = new Promise<void>((resolve) => (waiter = { ip, want, resolve }));
      const start = performance.now();
      pods[i] = await client.update<Pod>(R.pods, { ...pods[i], status: podStatus(i, want) }, { subresource: 'status' });
      writeMs.push(performance.now() - start);
      const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000).unref());
      if ((await Promise.race([seen, timeout])) === 'timeout') throw new Error(`change ${k}: slice update for ${ip} not seen in 10 s`);
      e2eMs.push(performance.now() - start);
    }
    watch.stop();
    writeMs.sort((a, b) => a - b);
    e2eMs.sort((a, b) => a - b);
    const row = (name: string, xs: number[]) => `| ${name} | ${fmt(percentile(xs, 50))} | ${fmt(percentile(xs, 90))} | ${fmt(percentile(xs, 99))} | ${fmt(xs[xs.length - 1])} |`;
    console.log('');
    console.log(`${SERVICES} Services, ${PODS} pods, ${CHANGES} Ready flips (sequential), controllers in their own process, sqlite`);
    console.log('| what | p50 ms | p90 ms | p99 ms | max ms |');
    console.log('|---|---|---|---|---|');
    console.log(row('pod status write → EndpointSlice event at a watcher (ours)', e2eMs));
    console.log(row('pod status write acknowledged by the API server (reference)', writeMs));
    console.log(`ratio p50 ${(percentile(e2eMs, 50) / percentile(writeMs, 50)).toFixed(2)}x, p99 ${(percentile(e2eMs, 99) / percentile(writeMs, 99)).toFixed(2)}x of the API write; initial sync ${(initialSyncMs / 1000).toFixed(1)} s; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  } finally {
    await c.run();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
