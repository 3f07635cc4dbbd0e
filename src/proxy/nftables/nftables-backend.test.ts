import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { FakeExec } from '../../util/exec.js';
import { ep, fixture, fixtureChanged, servicePort } from '../golden-fixtures.js';
import { NftablesBackend, SESSION_MAX_CHARS } from './nftables-backend.js';
import type { NftSession } from './nft-session.js';
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

test('nftables: small deltas go to the nft -i session, big ones (past SESSION_MAX_CHARS) through nft -f', async () => {
  const fake = new FakeExec();
  const sent: string[] = [];
  const session = { run: async (text: string) => void sent.push(text), close: () => {} } as unknown as NftSession;
  const b = new NftablesBackend({ exec: fake.exec, nodeIPs: [], session });
  await b.sync(snap(fixture()), [], true);
  assert.equal(fake.calls.length, 1, 'the full sync through nft -f');
  const one = servicePort({ name: 'one', clusterIPs: ['198.19.1.1'], eps: [ep('198.18.1.1')] });
  await b.sync(snap([...fixture(), one]), [{ id: one.id, new: one }], false);
  assert.equal(sent.length, 1);
  assert.match(sent[0]!, /198\.19\.1\.1 \. tcp \. 80 \. 0 : 198\.18\.1\.1 \. 8080/);
  assert.equal(fake.calls.length, 1);
  // A burst: 300 new Services in one sync.
  const burst = Array.from({ length: 300 }, (_, i) => servicePort({ name: `b${i}`, clusterIPs: [`198.19.2.${i % 250}`], port: 1000 + i, eps: [ep('198.18.1.2')] }));
  await b.sync(snap([...fixture(), one, ...burst]), burst.map((s) => ({ id: s.id, new: s })), false);
  assert.equal(sent.length, 1, 'not through the session');
  assert.equal(fake.calls.length, 2);
  assert.ok(fake.calls[1]!.input!.length > SESSION_MAX_CHARS);
  assert.deepEqual(fake.calls[1]!.args, ['-f', '-']);
});
