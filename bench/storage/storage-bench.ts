/**
 * Storage benchmark, one bounded run (< 2 min):
 *  1. durable creates/s with ~1 KiB values at concurrency 1 and 64: sqlite and etcd backends,
 *     next to raw etcd puts of the same size through the same etcd3 client (the reference);
 *  2. one write delivered to 1,000 watchers, p50/p99 from the write call to each delivery
 *     (includes the write's own commit) for sqlite and memory. etcd is not measured here:
 *     1,000 etcd watchers take the etcd3 client ~30 s just to attach (one at a time);
 *  3. list of 100k objects (sqlite with and without its latest-value index, memory).
 * Usage: npx tsx bench/storage/storage-bench.ts [--seconds N] [--list N] [--watchers N]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { etcdSkipReason, startEtcd } from '../../test/e2e/harness/etcd.js';
import { EtcdStorage } from '../../src/storage/etcd/etcd-storage.js';
import { MemoryStorage } from '../../src/storage/memory/memory-storage.js';
import { SqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import type { Storage } from '../../src/storage/storage.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '3' },
    list: { type: 'string', default: '100000' },
    watchers: { type: 'string', default: '1000' },
  },
});
const seconds = Number(args.seconds);
const listSize = Number(args.list);
const watcherCount = Number(args.watchers);
const value = 'x'.repeat(1024);
const cleanups: (() => unknown)[] = [];
const dir = mkdtempSync(join(tmpdir(), 'skiff-storage-bench-'));
cleanups.push(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `op(i)` from `concurrency` loops for `forSeconds`; returns completed ops per second. */
async function rate(concurrency: number, op: (i: number) => Promise<unknown>, forSeconds = seconds): Promise<number> {
  let next = 0;
  let done = 0;
  const started = performance.now();
  const until = started + forSeconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        await op(next++);
        done++;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function listBench(name: string, s: Storage): Promise<string> {
  const prefix = '/registry/configmaps/bench/';
  const loadStart = performance.now();
  const batch = 512;
  for (let i = 0; i < listSize; i += batch) {
    const writes: Promise<unknown>[] = [];
    for (let j = i; j < Math.min(listSize, i + batch); j++) writes.push(s.create(`${prefix}cm-${String(j).padStart(7, '0')}`, value));
    await Promise.all(writes);
  }
  const loadMs = performance.now() - loadStart;
  const times: number[] = [];
  let items = 0;
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    const res = await s.list(prefix);
    times.push(performance.now() - t0);
    items = res.items.length;
  }
  times.sort((a, b) => a - b);
  return `| list ${fmt(items)} objects (1 KiB), ${name} | ${fmt(times[1]!, 1)} ms (median of 3; min ${fmt(times[0]!, 1)}) | target < 500 ms | loaded in ${fmt(loadMs / 1000, 1)} s |`;
}

/**
 * One write, `watcherCount` watchers of its prefix. Two figures per delivery: from the write
 * call (includes the write's own durable commit) and from the first watcher's delivery of the
 * same write (the fan-out's own cost: how long the last watcher waits behind the others).
 */
async function fanoutBench(name: string, s: Storage, writes = 20): Promise<string> {
  const prefix = '/registry/pods/';
  const endToEnd: number[] = [];
  const spread: number[] = [];
  let writeStart = 0;
  let firstAt = 0;
  let pending = 0;
  let wake: (() => void) | undefined;
  const watchers = Array.from({ length: watcherCount }, () =>
    s.watch(prefix, { fromRevision: 0 }, {
      onEvents: () => {
        const now = performance.now();
        if (pending === watcherCount) firstAt = now;
        endToEnd.push(now - writeStart);
        spread.push(now - firstAt);
        if (--pending === 0) wake?.();
      },
      onError: (err) => console.error(`watch error (${name}): ${err.message}`),
    }),
  );
  for (let w = -1; w < writes; w++) {
    pending = watcherCount;
    const all = new Promise<void>((resolve) => (wake = resolve));
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, 5000));
    writeStart = performance.now();
    await s.create(`${prefix}default/fanout-${w + 1}`, value);
    await Promise.race([all, timeout]);
    if (w < 0) {
      // warm-up write
      endToEnd.length = 0;
      spread.length = 0;
    }
  }
  for (const w of watchers) w.stop();
  endToEnd.sort((a, b) => a - b);
  spread.sort((a, b) => a - b);
  const missing = watcherCount * writes - endToEnd.length;
  return (
    `| one write → ${fmt(watcherCount)} watchers, ${name} | from the write call: p50 ${fmt(pct(endToEnd, 50), 2)} ms, p99 ${fmt(pct(endToEnd, 99), 2)} ms; ` +
    `fan-out only: p50 ${fmt(pct(spread, 50), 2)} ms, p99 ${fmt(pct(spread, 99), 2)} ms | target p99 < 20 ms | ${writes} writes${missing ? `, ${missing} deliveries MISSING` : ''} |`
  );
}

async function main(): Promise<void> {
  const rows: string[] = [];
  const started = performance.now();
  const load = (): string => loadavg().map((l) => l.toFixed(1)).join(' ');
  console.log(`storage benchmark ${new Date().toISOString()}, ${seconds} s per throughput run, node ${process.version}, load average ${load()}`);

  // 1. durable creates/s. The raw etcd reference and EtcdStorage run in alternating 1 s
  //    slices, so load drifting on a shared machine hits both sides alike.
  const skip = etcdSkipReason();
  let es: EtcdStorage | undefined;
  if (skip) console.log(`etcd rows skipped: ${skip}`);
  else {
    const etcd = await startEtcd({ after: (fn) => cleanups.push(fn) });
    es = await EtcdStorage.open({ endpoints: etcd.endpoints });
    const client = es;
    cleanups.push(() => client.close());
  }
  const buf = Buffer.from(value);
  const sqlite = {
    full: new SqliteStorage({ path: join(dir, 'tput-full.sqlite'), synchronous: 'full', compactIntervalMs: 0 }),
    normal: new SqliteStorage({ path: join(dir, 'tput-normal.sqlite'), synchronous: 'normal', compactIntervalMs: 0 }),
  };
  for (const c of [1, 64]) {
    // raw etcd put, EtcdStorage.create and SqliteStorage.create (full) alternate in 1 s slices.
    let rawSum = 0;
    let etcdSum = 0;
    let fullSum = 0;
    const rounds = Math.max(1, Math.round(seconds));
    for (let r = 0; r < rounds; r++) {
      if (es) {
        const client = es;
        rawSum += await rate(c, (i) => client.client.kv.put({ key: Buffer.from(`/raw${c}-${r}/${i}`), value: buf }), 1);
        etcdSum += await rate(c, (i) => client.create(`/etcd${c}-${r}/${i}`, value), 1);
      }
      fullSum += await rate(c, (i) => sqlite.full.create(`/s${c}-${r}/${i}`, value), 1);
    }
    const ref = rawSum / rounds;
    const ratio = (v: number): string => (ref > 0 ? `${fmt(v / ref, 2)}× raw` : 'n/a (no etcd)');
    if (es) {
      const e = etcdSum / rounds;
      rows.push(`| raw etcd put (reference), c=${c} | ${fmt(ref)} /s | 1.00× | etcd3 \`kv.put\`; ${rounds} × 1 s slices alternating with the next two rows |`);
      rows.push(`| EtcdStorage.create, c=${c} | ${fmt(e)} /s | ${ratio(e)} | txn(create_revision == 0) |`);
    }
    const full = fullSum / rounds;
    rows.push(`| SqliteStorage.create synchronous=full, c=${c} | ${fmt(full)} /s | ${ratio(full)}${c === 64 ? ' (target ≥ 1.0×)' : ''} | acknowledged after WAL fdatasync: survives power loss |`);
    const normal = await rate(c, (i) => sqlite.normal.create(`/n${c}/${i}`, value));
    rows.push(`| SqliteStorage.create synchronous=normal, c=${c} | ${fmt(normal)} /s | ${ratio(normal)} | no fdatasync: survives kill -9, not power loss |`);
  }
  await sqlite.full.close();
  await sqlite.normal.close();

  // 2. fan-out (before the 100k lists, so their garbage is not collected during it)
  {
    const s = new SqliteStorage({ path: join(dir, 'fanout.sqlite'), compactIntervalMs: 0 });
    rows.push(await fanoutBench('sqlite', s, 50));
    await s.close();
    const m = new MemoryStorage();
    rows.push(await fanoutBench('memory', m, 50));
    await m.close();
  }

  // 3. list of 100k objects
  {
    const s = new SqliteStorage({ path: join(dir, 'list.sqlite'), compactIntervalMs: 0 });
    rows.push(await listBench('sqlite', s));
    await s.close();
    const raw = new SqliteStorage({ path: join(dir, 'list-nocache.sqlite'), compactIntervalMs: 0, cacheLatest: false });
    rows.push(await listBench('sqlite cacheLatest=false (SQL path)', raw));
    await raw.close();
    const m = new MemoryStorage();
    rows.push(await listBench('memory', m));
    await m.close();
  }

  console.log('');
  console.log('| measurement | result | vs reference / target | note |');
  console.log('|---|---|---|---|');
  for (const r of rows) console.log(r);
  console.log('');
  console.log(`total ${fmt((performance.now() - started) / 1000, 1)} s, load average at the end ${load()}`);
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(async () => {
    const t0 = performance.now();
    for (const fn of cleanups.reverse()) await fn();
    console.log(`cleanup ${fmt(performance.now() - t0)} ms`);
  });
