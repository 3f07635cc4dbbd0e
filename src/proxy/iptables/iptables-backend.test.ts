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
    if (file === 'iptables-save') return { stdout: '*nat\n:KUBE-SVC-0123456789ABCDEF - [0:0]\n:KUBE-SERVICES - [0:0]\nCOMMIT\n' };
    if (file === 'iptables' && args.includes('-C')) return { code: args.includes('PREROUTING') ? 0 : 1 };
    return {};
  });
  const b = new IptablesBackend({ exec: fake.exec, clusterCIDR: '198.18.0.0/16' });
  await b.sync(snap(fixture()), [], true);
  const restore = fake.calls.filter((c) => c.file === 'iptables-restore');
  assert.equal(restore.length, 1);
  assert.deepEqual(restore[0]!.args, ['--noflush', '-w', '5']);
  golden('iptables-full.txt', restore[0]!.input!);
  const inserted = fake.calls.filter((c) => c.file === 'iptables' && c.args.includes('-I')).map((c) => c.args.join(' '));
  assert.equal(inserted.length, 5, 'PREROUTING jump existed; the other five are inserted');
  assert.ok(!inserted.some((c) => c.includes('PREROUTING')));

  fake.calls.length = 0;
  const { changes, all } = fixtureChanged();
  await b.sync(snap(all), changes, false);
  assert.deepEqual(fake.calls.map((c) => c.file), ['iptables-restore'], 'one transaction, no iptables-save on a partial sync');
  golden('iptables-delta.txt', fake.calls[0]!.input!);

  fake.calls.length = 0;
  await b.sync(snap(all), [], false);
  assert.equal(fake.calls.length, 0, 'no-op sync runs nothing');
});

test('iptables: cleanup removes jumps and every KUBE chain', async () => {
  let deletes = 0;
  const fake = new FakeExec((file, args) => {
    if (file === 'iptables' && args.includes('-D')) return { code: deletes++ % 2 === 0 ? 0 : 1 };
    if (file === 'iptables-save')
      return { stdout: '*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n:KUBE-SEP-0123456789ABCDEF - [0:0]\nCOMMIT\n*filter\n:KUBE-SERVICES - [0:0]\nCOMMIT\n' };
    return {};
  });
  const b = new IptablesBackend({ exec: fake.exec });
  await b.cleanup();
  const restore = fake.calls.find((c) => c.file === 'iptables-restore')!;
  assert.equal(
    restore.input,
    '*nat\n:KUBE-SERVICES - [0:0]\n:KUBE-SEP-0123456789ABCDEF - [0:0]\n-X KUBE-SERVICES\n-X KUBE-SEP-0123456789ABCDEF\nCOMMIT\n*filter\n:KUBE-SERVICES - [0:0]\n-X KUBE-SERVICES\nCOMMIT\n',
  );
});
