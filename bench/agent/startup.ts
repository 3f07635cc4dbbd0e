/**
 * Pod startup latency on one node in netns mode: create → Ready (HTTP readiness probe on the
 * pod's server) for N pods, p50/p99, beside the reference: spawning the same server process
 * directly and polling it until it answers. Also the agent's memory per running pod.
 *   npx tsx bench/agent/startup.ts [--pods 50] [--sequential 10] [--workload node,socat] [--agent tsx|dist]
 *                                  [--trace] [--agent-cpu-prof DIR]
 * Two pod workloads, each with its own reference rows:
 *   node  — a one-line Node.js HTTP server (an application: ~40 ms of CPU to start each);
 *   socat — socat answering HTTP with a fixed reply (one small C process: the stand-in for
 *           Kubernetes' pause image, so the rows show the system's own overhead).
 * Needs root (network namespaces). Uses an in-process API server (memory storage) and a real
 * `skiff agent` process whose node lives in its own namespace `skt-ag-bench`.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { findResource } from '../../src/api/resources.js';
import type { Pod } from '../../src/api/types.js';
import { startApiServer } from '../../src/apiserver/index.js';
import { RestClient } from '../../src/client/rest-client.js';
import { MemoryStorage } from '../../src/storage/memory/memory-storage.js';
import { silentLogger } from '../../src/util/logger.js';

const PODS = findResource('', 'pods')!;
const NODES = findResource('', 'nodes')!;
const ROOT = resolve(import.meta.dirname, '../..');
const NS = 'skt-ag-bench';
const NODE = 'bench-node';

const { values } = parseArgs({
  options: { pods: { type: 'string' }, sequential: { type: 'string' }, workload: { type: 'string' }, agent: { type: 'string' }, trace: { type: 'boolean' }, 'agent-cpu-prof': { type: 'string' } },
});
const N = Number(values.pods ?? 50);
const SEQ = Number(values.sequential ?? 10);

interface Workload {
  name: string;
  /** What the rows are labelled with. */
  label: string;
  /** The server's argv listening on host:port. */
  argv(port: number, host: string): string[];
}

const WORKLOADS: Record<string, Workload> = {
  node: {
    name: 'node',
    label: 'Node.js server',
    argv: (port, host) => [process.execPath, '-e', `require('http').createServer((q,s)=>s.end('ok\\n')).listen(${port}, '${host}')`],
  },
  // socat forks a sh per connection, which reads the request head (socat's crlf turns CRLF
  // into LF, so the empty line ends the loop) and prints a fixed HTTP/1.0 reply. Reading the
  // head first means no "Broken pipe" when socat forwards it. `true`, not `:`: socat would
  // split its address at the colon.
  socat: {
    name: 'socat',
    label: 'socat server',
    argv: (port, host) => [
      'socat',
      `TCP-LISTEN:${port},bind=${host},reuseaddr,fork,crlf`,
      'SYSTEM:while read l && [ -n "$l" ]; do true; done; echo HTTP/1.0 200 OK; echo; echo ok',
    ],
  },
};
const workloads = (values.workload ?? 'node,socat').split(',').map((w) => {
  const found = WORKLOADS[w.trim()];
  if (!found) throw new Error(`unknown workload ${w} (node, socat)`);
  return found;
});

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

/** Proportional set size: shared pages (libc, the sh binary) divided among their users. */
function pssKb(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

async function until<T>(fn: () => Promise<T | undefined> | T | undefined, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timeout: ${what}`);
    await sleep(10);
  }
}

/** One GET with node:http (no connection reuse), like the agent's probe. */
function httpOk(port: number): Promise<true | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200 ? true : undefined);
    });
    req.on('error', () => resolve(undefined));
  });
}

/** Reference: spawn the same server directly, poll it every 10 ms until it answers. */
async function reference(w: Workload, count: number, concurrent: boolean): Promise<number[]> {
  const out: number[] = [];
  const children: ChildProcess[] = [];
  const one = async (i: number): Promise<void> => {
    const port = 20000 + i;
    const t0 = performance.now();
    const [cmd, ...args] = w.argv(port, '127.0.0.1');
    const c = spawn(cmd!, args, { stdio: 'ignore' });
    children.push(c);
    await until(() => httpOk(port), 30_000, `reference ${i}`);
    out.push(performance.now() - t0);
  };
  if (concurrent) await Promise.all(Array.from({ length: count }, (_, i) => one(i)));
  else for (let i = 0; i < count; i++) await one(i);
  for (const c of children) c.kill('SIGKILL');
  return out;
}

const PHASES: [string, string][] = [
  ['created', 'POST sent (bench)'],
  ['seen', 'pod seen by the agent (watch)'],
  ['net-done', 'pod network ready'],
  ['spawn-call', 'container start called'],
  ['started', 'FIFO handed over (shim running)'],
  ['probe-ok', 'first readiness success'],
  ['patch-sent-ready', 'Ready status patch sent'],
  ['patch-done-ready', 'Ready status patch answered'],
  ['bench-ready', 'Ready seen on the watch (bench)'],
];

/**
 * --trace: for the pods whose names start with `prefix`, each phase's first time after the
 * burst's first create (min / p50 / p99 / max over the pods), failed probe attempts, and how
 * long the agent's event loop was stalled (`lag` lines: callbacks late by more than 4 ms).
 */
function phaseTable(text: string, prefix: string, label: string): string {
  const byPod = new Map<string, Map<string, number>>();
  const lags: { t: number; ms: number }[] = [];
  const fails = new Map<string, number>();
  for (const line of text.trim().split('\n')) {
    const [t, pod, ...rest] = line.split(' ');
    const phase = rest.join(' ');
    if (phase.startsWith('lag ')) lags.push({ t: Number(t), ms: Number(phase.slice(4)) });
    if (!pod?.startsWith(prefix)) continue;
    if (phase === 'probe-fail') fails.set(pod, (fails.get(pod) ?? 0) + 1);
    const m = byPod.get(pod) ?? new Map<string, number>();
    byPod.set(pod, m);
    if (!m.has(phase)) m.set(phase, Number(t));
  }
  const pods = [...byPod.values()];
  const t0 = Math.min(...pods.map((m) => m.get('created') ?? Infinity));
  const tEnd = Math.max(...pods.map((m) => m.get('bench-ready') ?? 0));
  const out = [`phase trace, ${label} (ms after the first create):`, '| phase | pods | min | p50 | p99 | max |', '|---|---|---|---|---|---|'];
  for (const [key, what] of PHASES) {
    const xs = pods.map((m) => m.get(key)).filter((x): x is number => x !== undefined).map((x) => x - t0);
    if (!xs.length) continue;
    out.push(`| ${what} | ${xs.length} | ${[Math.min(...xs), pct(xs, 50), pct(xs, 99), Math.max(...xs)].map((x) => x.toFixed(0)).join(' | ')} |`);
  }
  const stalls = lags.filter((l) => l.t >= t0 && l.t <= tEnd);
  const f = pods.map((_, i) => fails.get(`${prefix}${i}`) ?? 0);
  out.push(
    `failed readiness attempts per pod: p50 ${pct(f, 50)}, max ${Math.max(...f)}; agent event loop stalled ${stalls.reduce((a, l) => a + l.ms, 0).toFixed(0)} ms of the ${(tEnd - t0).toFixed(0)} ms (${stalls.length} stalls > 4 ms, longest ${Math.max(0, ...stalls.map((l) => l.ms)).toFixed(0)} ms)`,
  );
  return out.join('\n');
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log('bench/agent/startup: needs root (network namespaces); skipped');
    return;
  }
  try {
    execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
  } catch {
    /* absent */
  }
  execFileSync('ip', ['netns', 'add', NS]);
  execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
  execFileSync('ip', ['-n', NS, 'addr', 'add', '198.19.128.30/32', 'dev', 'lo']);
  const dir = mkdtempSync(join(tmpdir(), 'skt-ag-bench-'));
  const storage = new MemoryStorage();
  const api = await startApiServer({ dataDir: join(dir, 'api'), storage, port: 0, serviceCidr: '198.19.0.0/17', clusterCidr: '198.18.0.0/16', logger: silentLogger });
  // A pool of 4 keep-alive connections, like a controller's client (client-go multiplexes one
  // HTTP/2 connection): 50 creates at once otherwise open 50 TLS connections, each handshake
  // paid on both ends inside this process, which is also the API server.
  const client = await RestClient.fromKubeconfig(api.kubeconfigPath, { maxSockets: 4 });
  const agentArgs = ['agent', '--kubeconfig', join(dir, 'api', 'components', 'agent.kubeconfig'), '--node-name', NODE, '--network', 'netns', '--node-netns', NS, '--node-ip', '198.19.128.30', '--data-dir', join(dir, 'agent'), '--port', '0', '--cluster-dns', '198.19.0.10'];
  // tsx (default): the sources as they are, no build needed; dist: `bin/skiff` as installed
  // (needs `npm run build`; a smaller process, so each fork of it is cheaper).
  const agentArgv = values.agent === 'dist' ? [join(ROOT, 'bin', 'skiff'), ...agentArgs] : ['--import', 'tsx', '-e', `import('./src/cmd/main.ts').then(m => m.main(${JSON.stringify(agentArgs)})).then(c => { process.exitCode = c; })`];
  // --agent-cpu-prof DIR: a V8 CPU profile of the agent, written when it exits.
  if (values['agent-cpu-prof']) agentArgv.unshift('--cpu-prof', `--cpu-prof-dir=${values['agent-cpu-prof']}`);
  // --trace: the agent and this process append per-pod phase times to one file (see phaseTable).
  const traceFile = values.trace ? join(dir, 'trace.txt') : undefined;
  const agent = spawn(process.execPath, agentArgv, {
    cwd: ROOT,
    env: { ...process.env, SKIFF_LOG_LEVEL: 'warn', ...(traceFile ? { SKIFF_TRACE_FILE: traceFile } : {}) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let cleanedUp = false;
  const cleanup = async (): Promise<void> => {
    if (cleanedUp) return;
    cleanedUp = true;
    agent.kill('SIGTERM');
    await new Promise((r) => agent.once('exit', r));
    client.close();
    await api.close();
    await storage.close();
    try {
      execFileSync('ip', ['netns', 'del', NS]);
    } catch {
      /* gone */
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await until(async () => {
      try {
        const n = await client.get(NODES, NODE);
        return n;
      } catch {
        return undefined;
      }
    }, 30_000, 'node registered');
    await sleep(1000);
    const agentRssBefore = rssKb(agent.pid!);
    const tr = (name: string, phase: string): void => {
      if (traceFile) appendFileSync(traceFile, `${(performance.timeOrigin + performance.now()).toFixed(3)} ${name} ${phase}\n`);
    };
    // Ready times from a watch, so polling does not add latency.
    const created = new Map<string, number>();
    const ready = new Map<string, number>();
    const watch = client.watch<Pod>(PODS, { namespace: 'default' }, {
      onEvent: (ev) => {
        const p = ev.object;
        const name = p.metadata.name!;
        if (!ready.has(name) && created.has(name) && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) {
          ready.set(name, performance.now());
          tr(name, 'bench-ready');
        }
      },
      onClose: () => {},
    });
    const pod = (w: Workload, name: string): Pod => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default' },
      spec: {
        nodeName: NODE,
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'web', image: `skiff/${w.name}`, command: w.argv(80, '0.0.0.0'), readinessProbe: { httpGet: { port: 80, path: '/' }, periodSeconds: 1 } }],
      },
    });
    const createAndTime = async (w: Workload, name: string): Promise<void> => {
      created.set(name, performance.now());
      tr(name, 'created');
      await client.create(PODS, pod(w, name));
      tr(name, 'posted');
    };
    const latency = (name: string): number => ready.get(name)! - created.get(name)!;
    const row = (label: string, ours: number[], ref: number[]): string => {
      const o50 = pct(ours, 50);
      const o99 = pct(ours, 99);
      const r50 = pct(ref, 50);
      const r99 = pct(ref, 99);
      return `| ${label} | ${o50.toFixed(0)} | ${o99.toFixed(0)} | ${r50.toFixed(0)} | ${r99.toFixed(0)} | ${(o50 / r50).toFixed(2)}× / ${(o99 / r99).toFixed(2)}× |`;
    };
    const rows: string[] = [];
    const notes: string[] = [];
    for (const w of workloads) {
      const rssBefore = rssKb(agent.pid!);
      // 1. one pod at a time, each after one reference spawn (so both see the same load)
      const refSeq: number[] = [];
      for (let i = 0; i < SEQ; i++) {
        refSeq.push(...(await reference(w, 1, false)));
        const name = `${w.name}-seq-${i}`;
        await createAndTime(w, name);
        await until(() => (ready.has(name) ? true : undefined), 30_000, `${name} ready`);
      }
      const seqLat = Array.from({ length: SEQ }, (_, i) => latency(`${w.name}-seq-${i}`));
      // 2. a burst of N pods at once, after a burst of N direct spawns
      const refBurst = await reference(w, N, true);
      await Promise.all(Array.from({ length: N }, (_, i) => createAndTime(w, `${w.name}-burst-${i}`)));
      await until(() => (Array.from({ length: N }, (_, i) => ready.has(`${w.name}-burst-${i}`)).every(Boolean) ? true : undefined), 120_000, 'burst ready');
      const burstLat = Array.from({ length: N }, (_, i) => latency(`${w.name}-burst-${i}`));
      if (traceFile) notes.push(phaseTable(readFileSync(traceFile, 'utf8'), `${w.name}-burst-`, `${w.label}, burst of ${N}`));
      rows.push(row(`${w.label}: one at a time (${SEQ} pods)`, seqLat, refSeq));
      rows.push(row(`${w.label}: burst of ${N} pods`, burstLat, refBurst));
      await sleep(1500);
      const rssAfter = rssKb(agent.pid!);
      const running = SEQ + N;
      // Per-pod processes besides the container itself: the shim (sh) of each container.
      const shims = execFileSync('ps', ['-e', '-o', 'pid=,args='], { encoding: 'utf8' })
        .split('\n')
        .filter((l) => l.includes('hn=$1; out=$2') && l.includes(dir))
        .map((l) => Number(l.trim().split(/\s+/)[0]));
      const shimRss = shims.reduce((a, p) => a + rssKb(p), 0);
      const shimPss = shims.reduce((a, p) => a + pssKb(p), 0);
      notes.push(`${w.label}: agent RSS ${(rssBefore / 1024).toFixed(1)} MiB before → ${(rssAfter / 1024).toFixed(1)} MiB with ${running} pods = ${((rssAfter - rssBefore) / running).toFixed(0)} KiB per pod`);
      notes.push(`${w.label}: shim (sh) per container ${shims.length ? (shimRss / shims.length).toFixed(0) : 0} KiB RSS, ${shims.length ? (shimPss / shims.length).toFixed(0) : 0} KiB PSS (${shims.length} shims)`);
      // Delete this workload's pods and wait until the agent removed them.
      const all = (await client.list<Pod>(PODS, { namespace: 'default' })).items;
      const t0 = performance.now();
      await Promise.all(all.map((p) => client.delete(PODS, p.metadata.name!, 'default')));
      await until(async () => ((await client.list<Pod>(PODS, { namespace: 'default' })).items.length === 0 ? true : undefined), 60_000, 'pods deleted');
      notes.push(`${w.label}: deleting ${all.length} pods (graceful, SIGTERM) took ${(performance.now() - t0).toFixed(0)} ms until all objects were gone`);
    }
    watch.stop();
    console.log(`\npod startup, create → Ready (HTTP readiness probe), netns mode, agent via ${values.agent === 'dist' ? 'bin/skiff (dist)' : 'tsx'}, ${new Date().toISOString()}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    console.log('| scenario | skiff p50 ms | skiff p99 ms | direct spawn p50 ms | direct spawn p99 ms | ratio p50 / p99 |');
    console.log('|---|---|---|---|---|---|');
    for (const r of rows) console.log(r);
    console.log('');
    for (const n of notes) console.log(n);
    console.log(`agent RSS idle (no pods yet): ${(agentRssBefore / 1024).toFixed(1)} MiB`);
  } finally {
    await cleanup();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
