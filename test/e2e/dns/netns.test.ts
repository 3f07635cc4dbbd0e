/**
 * A pod's own glibc resolver against Skiff DNS, in network namespaces this test creates
 * (root only): namespace "pod" (198.18.0.5) and namespace "dns" (198.19.0.10), joined by a
 * veth pair; the pod namespace gets a Kubernetes resolv.conf (search default.svc.cluster.local
 * svc.cluster.local cluster.local, ndots:5) through /etc/netns/<name>/resolv.conf.
 * Checks: the short name `service-pay-v1` resolves through the search path, and with autopath
 * an external name costs one query instead of four (CNAME completed server-side).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { pollUntil } from '../harness/poll.js';
import { REPO_ROOT } from '../harness/skiff-server.js';

const isRoot = process.getuid?.() === 0;

test('glibc in a pod namespace: search path finds a Service; autopath answers an external name in one query', { skip: isRoot ? false : 'needs root (network namespaces)', timeout: 60_000 }, async (t) => {
  const tag = randomBytes(3).toString('hex');
  const podNs = `skt-dns-p${tag}`;
  const dnsNs = `skt-dns-d${tag}`;
  const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8' });
  t.after(() => {
    for (const ns of [podNs, dnsNs]) {
      try {
        ip('netns', 'del', ns);
      } catch {
        // already gone
      }
      rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
    }
  });
  ip('netns', 'add', podNs);
  ip('netns', 'add', dnsNs);
  ip('-n', podNs, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', dnsNs);
  ip('-n', podNs, 'addr', 'add', '198.18.0.5/15', 'dev', 'eth0');
  ip('-n', dnsNs, 'addr', 'add', '198.19.0.10/15', 'dev', 'eth0');
  for (const ns of [podNs, dnsNs]) {
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('-n', ns, 'link', 'set', 'eth0', 'up');
  }
  mkdirSync(`/etc/netns/${podNs}`, { recursive: true });
  writeFileSync(`/etc/netns/${podNs}/resolv.conf`, 'nameserver 198.19.0.10\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n');
  // An empty hosts file so only DNS answers.
  writeFileSync(`/etc/netns/${podNs}/hosts`, '127.0.0.1 localhost\n');

  const server = spawn('ip', ['netns', 'exec', dnsNs, process.execPath, '--import', 'tsx', 'test/e2e/dns/netns-dns-server.ts', '198.19.0.10', '198.18.0.5'], {
    cwd: REPO_ROOT,
    env: { ...process.env, SKIFF_LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  server.stdout.on('data', (d: Buffer) => (out += d.toString()));
  server.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => server.once('exit', () => r()));
  t.after(async () => {
    if (server.exitCode === null) server.kill('SIGKILL');
    await exited;
  });
  await pollUntil(() => out.includes('READY') || (server.exitCode !== null ? Promise.reject(new Error(out)) : false), { timeoutMs: 30_000, what: 'dns helper' });

  const getent = (name: string): string => execFileSync('ip', ['netns', 'exec', podNs, 'getent', 'ahostsv4', name], { encoding: 'utf8', timeout: 10_000 });
  assert.match(getent('service-pay-v1'), /^198\.19\.0\.20\s/m);
  assert.match(getent('service-pay-v1.default.svc.cluster.local'), /^198\.19\.0\.20\s/m);
  assert.match(getent('www.example.com'), /^192\.0\.2\.7\s/m);

  server.kill('SIGTERM');
  await exited;
  const stats = JSON.parse(out.trim().split('\n').pop()!) as { udpQueries: number; upstreamSeen: string[] };
  // www.example.com (2 dots < ndots 5) is first tried as www.example.com.default.svc.cluster.local:
  // autopath answers it with CNAME → www.example.com + A, so glibc stops there. The upstream saw
  // the bare name once (A; AAAA is asked in parallel by ahosts and may add one more name).
  assert.ok(stats.upstreamSeen.includes('www.example.com'), JSON.stringify(stats));
  assert.ok(!stats.upstreamSeen.some((n) => n.endsWith('cluster.local')), 'cluster names never forwarded');
  t.diagnostic(`queries received: ${stats.udpQueries}; upstream saw: ${stats.upstreamSeen.join(', ')}`);
  // One query per lookup (ahostsv4 asks A only): without autopath the three lookups cost
  // 1 + 2 + 4 = 7 queries (search list walked until the absolute name).
  assert.equal(stats.udpQueries, 3);
});
