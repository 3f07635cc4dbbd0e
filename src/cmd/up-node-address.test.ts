import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeExec } from '../util/exec.js';
import { ensureNodeAddress, FALLBACK_NODE_IP } from './up-node-address.js';

test('an existing global address is used, Skiff links are skipped', async () => {
  const fake = new FakeExec(() => ({
    stdout: '5: skiff0    inet 10.244.0.1/24 scope global skiff0\n2: eth0    inet 192.0.2.7/24 brd 192.0.2.255 scope global eth0\n',
  }));
  const addr = await ensureNodeAddress({ exec: fake.exec, canConfigure: true });
  assert.equal(addr.ip, '192.0.2.7');
  assert.equal(fake.calls.length, 1);
});

test('a bare namespace gets the fallback address on lo, removed on release', async () => {
  const fake = new FakeExec(() => ({ stdout: '' }));
  const addr = await ensureNodeAddress({ exec: fake.exec, canConfigure: true });
  assert.equal(addr.ip, FALLBACK_NODE_IP);
  assert.deepEqual(
    fake.calls.slice(1).map((c) => c.args.join(' ')),
    ['link set lo up', `addr replace ${FALLBACK_NODE_IP}/32 dev lo`],
  );
  await addr.release();
  assert.equal(fake.calls.at(-1)!.args.join(' '), `addr del ${FALLBACK_NODE_IP}/32 dev lo`);
});

test('without the right to configure, loopback is the node address', async () => {
  const fake = new FakeExec(() => ({ stdout: '' }));
  assert.equal((await ensureNodeAddress({ exec: fake.exec, canConfigure: false })).ip, '127.0.0.1');
});
