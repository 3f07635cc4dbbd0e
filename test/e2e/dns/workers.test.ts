/**
 * `skiff dns --workers 2` against the real API server, once per UDP transport: both workers
 * serve; with the batched addon each worker owns a SO_REUSEPORT socket on the port (two
 * sockets, two pids in `ss`), with dgram the workers share one socket through node:cluster.
 * The processes and their sockets are gone after SIGTERM.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { query } from '../../../src/dns/testing/dns-client.js';
import { testEachUdpTransport } from '../../../src/dns/testing/udp-transports.js';
import { RRType } from '../../../src/dns/wire/constants.js';
import { freeUdpTcpPort } from './free-port.js';
import { pollUntil } from '../harness/poll.js';
import { REPO_ROOT, startSkiffServer } from '../harness/skiff-server.js';

/** UDP sockets bound to the port, each as the ids of the processes holding it. */
function udpSockets(port: number): number[][] {
  const out = execFileSync('ss', ['-Hulnp', `sport = :${port}`], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => [...line.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])));
}

testEachUdpTransport('skiff dns --workers 2: both workers answer; batched = one SO_REUSEPORT socket per worker', { timeout: 90_000 }, async (t, udpTransport) => {
  const server = await startSkiffServer(t);
  const port = await freeUdpTcpPort();
  const args = ['dns', '--kubeconfig', server.componentKubeconfig('dns'), '--listen', `127.0.0.1:${port}`, '--metrics-listen', 'none', '--upstream', 'none', '--workers', '2'];
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', `import('./src/cmd/main.ts').then(m => m.main(${JSON.stringify(args)})).then(c => { process.exitCode = c; })`], {
    cwd: REPO_ROOT,
    env: { ...process.env, SKIFF_LOG_LEVEL: 'warn', SKIFF_DNS_UDP: udpTransport },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  // batched: two sockets, one holder each; dgram: one socket held by the primary + 2 workers.
  const holdersPerSocket = udpTransport === 'batched' ? [1, 1] : [3];
  await pollUntil(
    () => {
      if (child.exitCode !== null) throw new Error(`skiff dns exited: ${output}`);
      const held = udpSockets(port).map((pids) => new Set(pids).size);
      return held.join() === holdersPerSocket.join();
    },
    { timeoutMs: 40_000, what: `UDP sockets on ${port} held by ${holdersPerSocket.join('+')} process(es) (${output})` },
  );
  const sockets = udpSockets(port);
  if (udpTransport === 'batched') {
    // Each socket held by one worker alone; the primary holds none.
    assert.notEqual(sockets[0]![0], sockets[1]![0]);
    assert.ok(!sockets.flat().includes(child.pid!), 'the primary holds no UDP socket');
  } else {
    // node:cluster: the primary opened the one socket and shared it with both workers.
    assert.ok(sockets[0]!.includes(child.pid!), `holders ${sockets[0]!.join(',')}`);
  }
  // Many source ports: SO_REUSEPORT hashes them over both sockets; every query is answered.
  // Until both workers have synced, one of them answers SERVFAIL (no answers).
  const tenAnswered = async (): Promise<boolean> => {
    for (let i = 0; i < 10; i++) if ((await query(port, 'kubernetes.default.svc.cluster.local', RRType.A, { timeoutMs: 500 })).answers.length !== 1) return false;
    return true;
  };
  await pollUntil(tenAnswered, { timeoutMs: 20_000, what: 'both workers synced' });
  for (let i = 0; i < 40; i++) {
    const m = await query(port, 'kubernetes.default.svc.cluster.local', RRType.A, { timeoutMs: 2000 });
    assert.equal(m.answers.length, 1);
  }
  child.kill('SIGTERM');
  await new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));
  await pollUntil(() => udpSockets(port).length === 0, { timeoutMs: 10_000, what: 'sockets closed after SIGTERM' });
});
