// Sync cost at scale: 10,000 Services x 10 endpoints (100,000 endpoints), nftables and
// iptables, inside a throwaway network namespace (root). Prints full sync and add-one-Service
// times. Usage: npx tsx bench/proxy/sync-scale.ts [services=10000] [endpoints=10]
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { realExec } from '../../src/util/exec.js';
import { execInNetns } from '../../src/proxy/netns-exec.js';
import { NftablesBackend } from '../../src/proxy/nftables/nftables-backend.js';
import { NftSession } from '../../src/proxy/nftables/nft-session.js';
import { IptablesBackend } from '../../src/proxy/iptables/iptables-backend.js';
import type { EndpointInfo, ProxyBackend, ServicePortState } from '../../src/proxy/types.js';
import { servicePort } from '../../src/proxy/golden-fixtures.js';
import { deltaRuleset, rulesForPort } from '../../src/proxy/nftables/ruleset.js';
import type { Exec } from '../../src/util/exec.js';

const SERVICES = Number(process.argv[2] ?? 10_000);
const EPS = Number(process.argv[3] ?? 10);
const NS = `skt-px-bench-${process.pid}`;

function ip(base: number, n: number): string {
  return `${base >>> 24}.${(base >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

function service(i: number): ServicePortState {
  const eps: EndpointInfo[] = [];
  for (let e = 0; e < EPS; e++) {
    const n = i * EPS + e;
    eps.push({ ip: `198.18.${(n >>> 8) & 255}.${n & 255}`, port: 8080 + (n >>> 16), ready: true, serving: true, terminating: false, isLocal: false, nodeName: 'n' });
  }
  return servicePort({
    id: `bench/svc-${i}:http/TCP`,
    namespace: 'bench',
    name: `svc-${i}`,
    portName: 'http',
    clusterIPs: [ip(0xc6130000, i + 1)], // 198.19.x.y
    nodePort: i < 2000 ? 30000 + i : 0,
    eps,
  });
}

/** CPU seconds (user+sys) of finished child processes (nft / iptables-restore and the kernel work they caused). */
function childCpuMs(): number {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return ((Number(f[13]) + Number(f[14])) * 1000) / 100; // cutime + cstime, in clock ticks (100 Hz)
}

interface Timing {
  wallMs: number;
  cpuMs: number;
}

/** CPU ms of a live process (the persistent `nft -i`). */
function liveCpuMs(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

let sessionPid: () => number | undefined = () => undefined;

async function timed(fn: () => Promise<unknown>): Promise<Timing> {
  const c = childCpuMs() + liveCpuMs(sessionPid());
  const t = performance.now();
  await fn();
  return { wallMs: performance.now() - t, cpuMs: childCpuMs() + liveCpuMs(sessionPid()) - c };
}

function medianTiming(ts: Timing[]): Timing {
  const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return { wallMs: mid(ts.map((t) => t.wallMs)), cpuMs: mid(ts.map((t) => t.cpuMs)) };
}

let warm: () => Promise<unknown> = async () => {};

async function measure(name: string, backend: ProxyBackend): Promise<{ full: Timing; add: Timing; update: Timing; rules: number }> {
  const ports = new Map<string, ServicePortState>();
  for (let i = 0; i < SERVICES; i++) {
    const s = service(i);
    ports.set(s.id, s);
  }
  let rules = 0;
  const full = await timed(async () => ({ rules } = await backend.sync({ nodeName: 'n', ports }, [], true)));
  await warm();
  // Median of 7 single-Service additions (each its own sync, as after one API event).
  const adds: Timing[] = [];
  for (let k = 1; k <= 7; k++) {
    const extra = service(SERVICES + k);
    ports.set(extra.id, extra);
    adds.push(await timed(() => backend.sync({ nodeName: 'n', ports }, [{ id: extra.id, new: extra }], false)));
  }
  const add = medianTiming(adds);
  // One endpoint of one Service replaced (the common case: a pod restarted), median of 7.
  const updates: Timing[] = [];
  for (let k = 0; k < 7; k++) {
    // Spread over the table, valid for any --services count (a fixed stride crashed below 605).
    const old = ports.get(`bench/svc-${Math.floor(((k + 0.5) * SERVICES) / 7)}:http/TCP`)!;
    const eps = [...old.clusterEndpoints.slice(1), { ...old.clusterEndpoints[0]!, ip: `198.18.255.${200 + k}` }];
    const changed = { ...old, endpoints: eps, clusterEndpoints: eps, externalEndpoints: eps };
    ports.set(changed.id, changed);
    updates.push(await timed(() => backend.sync({ nodeName: 'n', ports }, [{ id: changed.id, old, new: changed }], false)));
  }
  const update = medianTiming(updates);
  console.error(`${name}: full ${fmt(full)}, add one Service ${fmt(add)}, replace one endpoint ${fmt(update)}, ${rules} rules/elements`);
  return { full, add, update, rules };
}

function fmt(t: Timing): string {
  return t.wallMs >= 1000 ? `${(t.wallMs / 1000).toFixed(2)} s (${(t.cpuMs / 1000).toFixed(2)} s)` : `${t.wallMs.toFixed(1)} ms (${t.cpuMs.toFixed(0)} ms)`;
}

/** Median wall ms of 7 runs of `fn`. */
async function median7(fn: () => unknown): Promise<number> {
  const xs: number[] = [];
  for (let k = 0; k < 7; k++) {
    const t = performance.now();
    await fn();
    xs.push(performance.now() - t);
  }
  return xs.sort((a, b) => a - b)[3]!;
}

/** Where an incremental nftables add spends its time: our JS, the session round trip, a fresh nft process. */
async function nftBreakdown(session: NftSession, exec: Exec): Promise<string> {
  const opts = { nodeIPs: ['198.19.128.1'], clusterCIDR: '198.18.0.0/16' };
  const js = await median7(() => deltaRuleset([{ new: rulesForPort(service(SERVICES + 100), opts) }], { slotCounts: new Set([EPS]), affinityTimeouts: new Set() }));
  const viaSession = await median7(() => session.run('add table ip skiff'));
  const viaFork = await median7(() => exec('nft', ['-f', '-'], { input: 'add table ip skiff\n' }));
  return `nftables add, where the time goes (medians of 7): our JS (rulesForPort + deltaRuleset) ${js.toFixed(2)} ms; a no-op transaction through the nft -i session ${viaSession.toFixed(2)} ms; the same through a new nsenter + nft -f process ${viaFork.toFixed(1)} ms`;
}

const load = loadavg();

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.error('needs root (creates a network namespace)');
    process.exit(1);
  }
  await realExec('ip', ['netns', 'add', NS]);
  const skipIptables = process.env.SKIP_IPTABLES === '1';
  try {
    const exec = execInNetns(realExec, NS);
    const session = new NftSession(['nsenter', `--net=/run/netns/${NS}`, 'nft', '-i']);
    const nftBackend = new NftablesBackend({ exec, nodeIPs: ['198.19.128.1'], clusterCIDR: '198.18.0.0/16', session });
    sessionPid = () => session.pid;
    warm = () => session.run(`add table ip skiff`); // start the persistent nft before timing
    const nft = await measure('nftables', nftBackend);
    const breakdown = await nftBreakdown(session, exec);
    sessionPid = () => undefined;
    warm = async () => {};
    await nftBackend.stop();
    await new NftablesBackend({ exec, nodeIPs: [] }).cleanup();
    const ipt = skipIptables
      ? { full: { wallMs: NaN, cpuMs: NaN }, add: { wallMs: NaN, cpuMs: NaN }, update: { wallMs: NaN, cpuMs: NaN }, rules: 0 }
      : await measure('iptables', new IptablesBackend({ exec, clusterCIDR: '198.18.0.0/16' }));
    console.log(`\n${SERVICES} Services x ${EPS} endpoints (${SERVICES * EPS} endpoints), ${Math.min(SERVICES, 2000)} of them NodePort`);
    console.log(`load average at start ${load.map((x) => x.toFixed(1)).join(' ')}, at end ${loadavg().map((x) => x.toFixed(1)).join(' ')} (2 cores shared)`);
    console.log('| mode | full sync wall (CPU) | add one Service wall (CPU), median of 7 | replace one endpoint wall (CPU), median of 7 | rules / elements |');
    console.log('|---|---|---|---|---|');
    for (const [n, r] of [['nftables', nft], ['iptables', ipt]] as const) console.log(`| ${n} | ${fmt(r.full)} | ${fmt(r.add)} | ${fmt(r.update)} | ${r.rules} |`);
    console.log(breakdown);
    console.log(`targets (nftables): full < 2 s, add < 10 ms. iptables/nftables full sync: ${(ipt.full.wallMs / nft.full.wallMs).toFixed(1)}x wall, ${(ipt.full.cpuMs / nft.full.cpuMs).toFixed(1)}x CPU`);
  } finally {
    await realExec('ip', ['netns', 'del', NS], { check: false });
  }
}

await main();
