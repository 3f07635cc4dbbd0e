import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { FakeExec } from '../../util/exec.js';
import { fixture, fixtureChanged } from '../golden-fixtures.js';
import { NftablesBackend } from './nftables-backend.js';
import type { ServicePortState } from '../types.js';

function golden(name: string, actual: string): void {
  const path = new URL(`../testdata/${name}`, import.meta.url);
  if (process.env.UPDATE_GOLDEN) writeFileSync(path, actual);
  assert.equal(actual, readFileSync(path, 'utf8'), `golden ${name} differs (UPDATE_GOLDEN=1 rewrites it; review the diff)`);
}

const snap = (ports: ServicePortState[]) => ({ nodeName: 'node-a', ports: new Map(ports.map((p) => [p.id, p])) });

test('nftables: full sync and incremental delta match the golden rulesets', async () => {
  const fake = new FakeExec();
  const b = new NftablesBackend({ exec: fake.exec, nodeIPs: ['198.19.128.1'], clusterCIDR: '198.18.0.0/16' });
  const full = await b.sync(snap(fixture()), [], true);
  assert.equal(fake.calls.length, 1);
  assert.deepEqual([fake.calls[0]!.file, ...fake.calls[0]!.args], ['nft', '-f', '-']);
  golden('nftables-full.nft', fake.calls[0]!.input!);
  const { changes, all } = fixtureChanged();
  const delta = await b.sync(snap(all), changes, false);
  assert.equal(fake.calls.length, 2);
  golden('nftables-delta.nft', fake.calls[1]!.input!);
  assert.ok(full.rules > 0 && delta.rules > 0);

  // A no-op sync runs nothing.
  await b.sync(snap(all), [], false);
  assert.equal(fake.calls.length, 2);
  // A full sync of the changed state equals what the deltas built (same elements).
  const fake2 = new FakeExec();
  const b2 = new NftablesBackend({ exec: fake2.exec, nodeIPs: ['198.19.128.1'], clusterCIDR: '198.18.0.0/16' });
  await b2.sync(snap(all), [], true);
  const elements = (t: string) => new Set(t.split('\n').filter((l) => l.startsWith('add element')).flatMap((l) => l.replace(/^add element ip skiff (\S+) \{ (.*) \}$/, '$1|$2').split(/, (?=\d)/).map((e, i, a) => (i === 0 ? e : `${a[0]!.split('|')[0]}|${e}`))));
  const fromFull = elements(fake2.calls[0]!.input!);
  const built = elements(fake.calls[0]!.input!);
  for (const l of fake.calls[1]!.input!.split('\n')) {
    const m = /^(add|delete) element ip skiff (\S+) \{ (.*) \}$/.exec(l);
    if (!m) continue;
    for (const e of m[3]!.split(/, (?=\d)/)) {
      if (m[1] === 'add') built.add(`${m[2]}|${e}`);
      else for (const x of built) if (x === `${m[2]}|${e}` || x.startsWith(`${m[2]}|${e} : `)) built.delete(x);
    }
  }
  // slot_chains / affinity_chains only grow between full syncs (chains are collected by the next full sync).
  const services = (xs: Set<string>) => [...xs].filter((x) => !/^(slot|affinity)_chains\|/.test(x)).sort();
  assert.deepEqual(services(built), services(fromFull));
});

test('nftables: a failed apply throws; cleanup deletes the table and tolerates its absence', async () => {
  const fake = new FakeExec((file, args) => (args[0] === '-f' ? { code: 1, stderr: 'Error: syntax' } : file === 'nft' ? { code: 1, stderr: 'Error: No such file or directory' } : {}));
  const b = new NftablesBackend({ exec: fake.exec, nodeIPs: [] });
  await assert.rejects(b.sync(snap(fixture()), [], true), /syntax/);
  await b.cleanup();
  assert.deepEqual(fake.calls.at(-1)!.args, ['delete', 'table', 'ip', 'skiff']);
});
