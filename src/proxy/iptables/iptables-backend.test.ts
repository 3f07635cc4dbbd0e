import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { FakeExec } from '../../util/exec.js';
import { fixture, fixtureChanged } from '../golden-fixtures.js';
import { IptablesBackend } from './iptables-backend.js';
import type { ServicePortState } from '../types.js';

function golden(name: string, actual: string): void {
  const path = new URL(`../testdata/${name}`, import.meta.url);
  if (process.env.UPDATE_GOLDEN) writeFileSync(path, actual);
  assert.equal(actual, readFileSync(path, 'utf8'), `golden ${name} differs (UPDATE_GOLDEN=1 rewrites it; review the diff)`);
}

const snap = (ports: ServicePortState[]) => ({ nodeName: 'node-a', ports: new Map(ports.map((p) => [p.id, p])) });

test('iptables: full sync (stale chains removed, base jumps ensured) and incremental delta match the goldens', async () => {
  const fake = new FakeExec((file, args) => {
    if (file === 'iptables-save')
      return {
        stdout: [
          '*nat', ':PREROUTING ACCEPT [3:180]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]',
          ':DOCKER - [0:0]', ':KUBE-SVC-0123456789ABCDEF - [0:0]', ':KUBE-SERVICES - [0:0]',
          '-A PREROUTING -j KUBE-SERVICES', '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER',
          '-A KUBE-SVC-0123456789ABCDEF -j KUBE-SEP-0123456789ABCDEF', '-A DOCKER -i docker0 -j RETURN', 'COMMIT', '',
        ].join('\n'),
      };
    if (file === 'iptables' && args.includes('-C')) return { code: args.includes('INPUT') ? 0 : 1 };
    return {};
  });
  const b = new IptablesBackend({ exec: fake.exec, clusterCIDR: '198.18.0.0/16' });
  await b.sync(snap(fixture()), [], true);
  const restore = fake.calls.filter((c) => c.file === 'iptables-restore');
  assert.equal(restore.length, 2);
  assert.deepEqual(restore[0]!.args, ['-w', '5'], 'nat replaced whole (flush mode), foreign rules carried over');
  assert.deepEqual(restore[1]!.args, ['--noflush', '-w', '5']);
  golden('iptables-full.txt', restore[0]!.input! + restore[1]!.input!);
  assert.match(restore[0]!.input!, /^:DOCKER - \[0:0\]$/m);
  assert.match(restore[0]!.input!, /^-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER$/m);
  assert.doesNotMatch(restore[0]!.input!, /0123456789ABCDEF/, 'stale chain dropped');
  const inserted = fake.calls.filter((c) => c.file === 'iptables' && c.args.includes('-I')).map((c) => c.args.join(' '));
  assert.deepEqual(inserted, [
    '-w 5 -t filter -I FORWARD 1 -m conntrack --ctstate NEW -j KUBE-SERVICES',
    '-w 5 -t filter -I OUTPUT 1 -m conntrack --ctstate NEW -j KUBE-SERVICES',
  ]);

  fake.calls.length = 0;
  const { changes, all } = fixtureChanged();
  await b.sync(snap(all), changes, false);
  assert.deepEqual(fake.calls.map((c) => c.file), ['iptables-restore'], 'one transaction, no iptables-save on a partial sync');
  golden('iptables-delta.txt', fake.calls[0]!.input!);

  fake.calls.length = 0;
  await b.sync(snap(all), [], false);
  assert.equal(fake.calls.length, 0, 'no-op sync runs nothing');
});

test('iptables: cleanup removes jumps and every KUBE chain, keeping foreign rules', async () => {
  let deletes = 0;
  const fake = new FakeExec((file, args) => {
    if (file === 'iptables' && args.includes('-D')) return { code: deletes++ % 2 === 0 ? 0 : 1 };
    if (file === 'iptables-save' && args.includes('nat'))
      return { stdout: '*nat\n:PREROUTING ACCEPT [0:0]\n:MINE - [0:0]\n:KUBE-SERVICES - [0:0]\n:KUBE-SEP-0123456789ABCDEF - [0:0]\n-A PREROUTING -j KUBE-SERVICES\n-A PREROUTING -j MINE\nCOMMIT\n' };
    if (file === 'iptables-save') return { stdout: '*filter\n:KUBE-SERVICES - [0:0]\nCOMMIT\n' };
    return {};
  });
  const b = new IptablesBackend({ exec: fake.exec });
  await b.cleanup();
  const restores = fake.calls.filter((c) => c.file === 'iptables-restore');
  assert.equal(
    restores[0]!.input,
    '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n:MINE - [0:0]\n-A PREROUTING -j MINE\nCOMMIT\n',
  );
  assert.deepEqual(restores[0]!.args, ['-w', '5']);
  assert.equal(restores[1]!.input, '*filter\n:KUBE-SERVICES - [0:0]\n-X KUBE-SERVICES\nCOMMIT\n');
  assert.equal(fake.calls.filter((c) => c.file === 'iptables' && c.args.includes('-D')).length, 6, 'each filter jump deleted until none is left');
});
