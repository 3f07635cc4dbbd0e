import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Pod } from '../api/types.js';
import { FakeExec } from '../util/exec.js';
import { HostNetwork } from './host-network.js';
import { Ipam } from './ipam.js';
import { podNetnsName, podVethName } from './names.js';
import { NetnsNetwork } from './netns-network.js';

const pod = (uid: string, extra: Partial<Pod['spec']> = {}): Pod => ({
  metadata: { name: 'web-1', namespace: 'shop', uid },
  spec: { containers: [{ name: 'c' }], ...extra },
});

function tmp(t: { after(fn: () => void): void }): string {
  const d = mkdtempSync(join(tmpdir(), 'skiff-net-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** Batch files named on `ip -b FILE` lines, read while the fake runs (they are removed after). */
function batchFiles(input: string | undefined, seen: Map<string, string>): void {
  for (const m of (input ?? '').matchAll(/ip -b (\S+)/g)) seen.set(m[1]!, readFileSync(m[1]!, 'utf8'));
}

test('netns mode: bridge once, then per pod netns + veth + address + route in one ip batch', async (t) => {
  const dir = tmp(t);
  const files = new Map<string, string>();
  const fake = new FakeExec((file, args, input) => {
    batchFiles(input, files);
    return args.includes('show') ? { code: 1 } : {};
  });
  // Without a dialer start: no nodeNetns here, commands are checked for the root-namespace form.
  const net = new NetnsNetwork({ exec: fake.exec, dataDir: dir, nodeIP: '198.19.128.1', clusterDns: ['198.19.0.10'], clusterDomain: 'cluster.local', etcNetnsDir: join(dir, 'etc'), netnsRunDir: join(dir, 'run'), scratchDir: join(dir, 'scratch'), hostResolvConf: 'nameserver 9.9.9.9\n' });
  await net.init('198.18.1.0/24');
  assert.deepEqual(
    fake.calls.map((c) => [c.file, ...c.args].join(' ')),
    [
      'ip -o addr show dev skiff0',
      'ip link add skiff0 type bridge',
      'ip addr add 198.18.1.1/24 dev skiff0',
      'ip link set skiff0 up',
      'sysctl -q -w net.ipv4.ip_forward=1',
    ],
  );
  fake.calls.length = 0;
  const uid = 'abcdef12-3456-7890-abcd-ef1234567890';
  const sb = await net.setupPod(pod(uid));
  assert.equal(sb.podIP, '198.18.1.2');
  assert.equal(sb.netns, 'skiff-abcdef12');
  const veth = podVethName(uid);
  const podBatch = join(dir, 'scratch', 'skiff-abcdef12.pod');
  assert.deepEqual(
    fake.calls.map((c) => [c.file, ...c.args].join(' ') + (c.input ? ` <<${c.input}` : '')),
    [
      `ip -b - <<netns add skiff-abcdef12\nlink add ${veth} type veth peer name eth0 netns skiff-abcdef12\nlink set ${veth} master skiff0 up\nnetns exec skiff-abcdef12 ip -b ${podBatch}\n`,
    ],
  );
  assert.equal(files.get(podBatch), 'link set lo up\naddr add 198.18.1.2/24 dev eth0\nlink set eth0 up\nroute add default via 198.18.1.1\n');
  assert.equal(existsSync(podBatch), false, 'the batch file is removed');
  assert.equal(readFileSync(join(dir, 'etc', 'skiff-abcdef12', 'resolv.conf'), 'utf8'), 'search shop.svc.cluster.local svc.cluster.local cluster.local\nnameserver 198.19.0.10\noptions ndots:5\n');
  assert.match(readFileSync(join(dir, 'etc', 'skiff-abcdef12', 'hosts'), 'utf8'), /198\.18\.1\.2\tweb-1\n/);
  assert.deepEqual(net.enterPrefix(sb), ['ip', 'netns', 'exec', 'skiff-abcdef12']);
  // A second pod gets the next address.
  assert.equal((await net.setupPod(pod('bbbbbbbb-0000'))).podIP, '198.18.1.3');
  fake.calls.length = 0;
  await net.teardownPod(uid);
  assert.deepEqual(
    fake.calls.map((c) => [c.file, ...c.args].join(' ')),
    ['ip netns del skiff-abcdef12', `ip link del ${veth}`],
  );
  assert.equal(existsSync(join(dir, 'etc', 'skiff-abcdef12')), false);
  // GC removes the pods that are no longer live.
  assert.deepEqual(await net.garbageCollect(new Set()), ['bbbbbbbb-0000']);
});

test('netns mode with --node-netns: node-side commands carry -n NODE or run in netns exec NODE', async (t) => {
  const dir = tmp(t);
  const files = new Map<string, string>();
  const fake = new FakeExec((file, args, input) => {
    batchFiles(input, files);
    return args.includes('show') ? { code: 1 } : {};
  });
  const net = new NetnsNetwork({ exec: fake.exec, dataDir: dir, nodeIP: '198.19.128.1', nodeNetns: 'skt-node', clusterDns: [], clusterDomain: 'cluster.local', etcNetnsDir: join(dir, 'etc'), netnsRunDir: join(dir, 'run'), scratchDir: join(dir, 'scratch'), hostResolvConf: '' });
  // Replace the dialer start (it would spawn a real helper) — only the command shapes matter here.
  (net as unknown as { dialer: { start(): Promise<void> } }).dialer = { start: async () => {} };
  await net.init('198.18.2.0/24');
  const cmds = fake.calls.map((c) => [c.file, ...c.args].join(' '));
  assert.ok(cmds.includes('ip -n skt-node link add skiff0 type bridge'));
  assert.ok(cmds.includes('ip netns exec skt-node sysctl -q -w net.ipv4.ip_forward=1'));
  assert.ok(!cmds.some((c) => c.startsWith('sysctl')), 'never touches the root namespace sysctl');
  const host = await net.setupPod(pod('cccccccc', { hostNetwork: true }));
  assert.deepEqual(host, { podUID: 'cccccccc', podIP: '198.19.128.1', netns: 'skt-node', ownNetwork: false });
  fake.calls.length = 0;
  await net.setupPod(pod('dddddddd'));
  const veth = podVethName('dddddddd');
  const nodeBatch = join(dir, 'scratch', 'skiff-dddddddd.node');
  const podBatch = join(dir, 'scratch', 'skiff-dddddddd.pod');
  // netns add runs in the machine's namespaces (so /var/run/netns sees it), the veth in the node's.
  assert.deepEqual(
    fake.calls.map((c) => [c.file, ...c.args].join(' ') + (c.input ? ` <<${c.input}` : '')),
    [`ip -b - <<netns add skiff-dddddddd\nnetns exec skt-node ip -b ${nodeBatch}\nnetns exec skiff-dddddddd ip -b ${podBatch}\n`],
  );
  assert.equal(files.get(nodeBatch), `link add ${veth} type veth peer name eth0 netns skiff-dddddddd\nlink set ${veth} master skiff0 up\n`);
  assert.match(files.get(podBatch)!, /^link set lo up\naddr add 198\.18\.2\.2\/24 dev eth0\n/);
});

test('netns mode: an existing complete namespace is kept (agent restart); a failed batch is rolled back', async (t) => {
  const dir = tmp(t);
  const uid = 'eeeeeeee-1';
  let failBatch = false;
  const fake = new FakeExec((file, args) => {
    if (args.includes('show')) return { code: 0, stdout: '2: eth0    inet 198.18.4.2/24 scope global eth0\n' };
    if (args[0] === '-b' && failBatch) return { code: 1, stderr: 'Command failed -:2' };
    return {};
  });
  const net = new NetnsNetwork({ exec: fake.exec, dataDir: dir, nodeIP: '198.19.128.1', clusterDns: [], clusterDomain: 'cluster.local', etcNetnsDir: join(dir, 'etc'), netnsRunDir: join(dir, 'run'), scratchDir: join(dir, 'scratch'), hostResolvConf: '' });
  await net.init('198.18.4.0/24');
  mkdirSync(join(dir, 'run'));
  writeFileSync(join(dir, 'run', podNetnsName(uid)), '');
  fake.calls.length = 0;
  assert.equal((await net.setupPod(pod(uid))).podIP, '198.18.4.2');
  assert.deepEqual(fake.calls.map((c) => c.args.join(' ')), ['-n skiff-eeeeeeee -o addr show dev eth0'], 'only looked, changed nothing');
  fake.calls.length = 0;
  failBatch = true;
  await assert.rejects(net.setupPod(pod('ffffffff-2')), /Command failed/);
  assert.deepEqual(
    fake.calls.map((c) => c.args.join(' ')),
    ['-b -', 'netns del skiff-ffffffff', `link del ${podVethName('ffffffff-2')}`],
  );
});

test('IPAM persists allocations across restarts and skips network, gateway and broadcast', async (t) => {
  const dir = tmp(t);
  const file = join(dir, 'ipam.json');
  const a = new Ipam({ cidr: '198.18.3.0/30', file, reserved: ['198.18.3.1'] });
  assert.equal(a.allocate('p1'), '198.18.3.2');
  assert.throws(() => a.allocate('p2'), /no free address/);
  await a.persisted();
  const b = new Ipam({ cidr: '198.18.3.0/30', file, reserved: ['198.18.3.1'] });
  assert.equal(b.addressOf('p1'), '198.18.3.2');
  b.release('p1');
  assert.equal(b.allocate('p2'), '198.18.3.2');
  await b.persisted();
  assert.equal(new Ipam({ cidr: '198.18.3.0/30', file, reserved: ['198.18.3.1'] }).addressOf('p2'), '198.18.3.2', 'written behind, changes coalesced');
  assert.equal(podNetnsName('0123456789'), 'skiff-01234567');
});

test('host mode: loopback pod IPs, no namespace', async (t) => {
  const dir = tmp(t);
  const net = new HostNetwork({ dataDir: dir, podRange: '127.1.0.0/16' });
  const s1 = await net.setupPod(pod('u1'));
  const s2 = await net.setupPod(pod('u2'));
  assert.equal(s1.podIP, '127.1.0.1');
  assert.equal(s2.podIP, '127.1.0.2');
  assert.deepEqual(net.enterPrefix(), []);
  assert.throws(() => new HostNetwork({ dataDir: dir, podRange: '10.0.0.0/8' }), /127/);
});
