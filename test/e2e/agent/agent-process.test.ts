/**
 * `skiff agent` as a real process (root): SIGKILL it, start a new one, and check that the pod's
 * processes (no longer anyone's children) were adopted, not restarted; that logs written while
 * no agent ran are kept; and that a container that exited meanwhile is reported with the exit
 * code its shim recorded, then restarted per policy.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { findResource } from '../../../src/api/resources.js';
import type { Pod } from '../../../src/api/types.js';
import { RestClient } from '../../../src/client/rest-client.js';
import { pollUntil } from '../harness/poll.js';
import { startInProcessServer } from '../harness/skiff-server.js';
import { tempDir } from '../harness/tmp.js';

const PODS = findResource('', 'pods')!;
const ROOT = resolve(import.meta.dirname, '../../..');

test('skiff agent killed with SIGKILL and restarted adopts its pods', { skip: process.getuid?.() === 0 ? false : 'needs root' }, async (t) => {
  const ns = `skt-ag-p${process.pid}`;
  execFileSync('ip', ['netns', 'add', ns]);
  execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  // Registered before the API server: after-hooks run in order, and the server's close waits
  // for the agents' watch connections.
  const agents: ChildProcess[] = [];
  t.after(async () => {
    for (const a of agents) {
      if (a.exitCode !== null || a.signalCode !== null) continue;
      a.kill('SIGTERM'); // stops the pods too
      await new Promise((r) => a.once('exit', r));
    }
    execFileSync('ip', ['netns', 'del', ns]);
  });
  const server = await startInProcessServer(t);
  const client = await RestClient.fromKubeconfig(server.kubeconfig);
  t.after(() => client.close());
  const dataDir = tempDir(t, 'skt-ag-proc-');
  const quitFile = join(dataDir, 'quit');
  const args = ['agent', '--kubeconfig', server.componentKubeconfig('agent'), '--node-name', `skt-ag-proc-${process.pid}`, '--network', 'netns', '--node-netns', ns, '--node-ip', '198.19.128.41', '--data-dir', dataDir, '--port', '0', '--backoff-base-ms', '300'];
  const startAgentProcess = (): ChildProcess => {
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', `import('./src/cmd/main.ts').then(m => m.main(${JSON.stringify(args)})).then(c => { process.exitCode = c; })`], {
      cwd: ROOT,
      env: { ...process.env, SKIFF_LOG_LEVEL: process.env.SKIFF_LOG_LEVEL ?? 'warn' },
      stdio: ['ignore', process.env.SKIFF_TEST_VERBOSE ? 'inherit' : 'ignore', process.env.SKIFF_TEST_VERBOSE ? 'inherit' : 'ignore'],
    });
    agents.push(child);
    return child;
  };
  const getPod = (): Promise<Pod> => client.get<Pod>(PODS, 'adopt-me', 'default');
  const status = (p: Pod, c: string) => p.status?.containerStatuses?.find((s) => s.name === c);
  const first = startAgentProcess();
  await client.create<Pod>(PODS, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'adopt-me', namespace: 'default' },
    spec: {
      nodeName: `skt-ag-proc-${process.pid}`,
      terminationGracePeriodSeconds: 1,
      containers: [
        { name: 'ticker', image: 'x', command: ['sh', '-c', 'i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.1; done'], readinessProbe: { exec: { command: ['true'] }, periodSeconds: 1 } },
        { name: 'quitter', image: 'x', command: ['sh', '-c', `while [ ! -e ${quitFile} ]; do sleep 0.05; done; exit 3`] },
      ],
    },
  });
  const ready = await pollUntil(async () => {
    const p = await getPod();
    return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? p : undefined;
  }, { what: 'pod Ready', timeoutMs: 20_000 });
  const tickerID = status(ready, 'ticker')!.containerID!;
  const quitterPid = Number(status(ready, 'quitter')!.containerID!.replace('skiff://', ''));
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));
  // With no agent: the ticker keeps logging, the quitter exits 3 (its shim writes the code).
  const tickerPid = Number(tickerID.replace('skiff://', ''));
  assert.ok(existsSync(`/proc/${tickerPid}`), 'container survives the agent');
  writeFileSync(quitFile, '');
  await pollUntil(() => !existsSync(`/proc/${quitterPid}`) || readFileSync(`/proc/${quitterPid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z'), { what: 'quitter gone' });
  await new Promise((r) => setTimeout(r, 500));
  startAgentProcess();
  const after = await pollUntil(async () => {
    const p = await getPod();
    const q = status(p, 'quitter');
    return (q?.restartCount ?? 0) >= 1 ? p : undefined;
  }, { what: 'quitter restarted by the new agent', timeoutMs: 20_000 });
  assert.equal(status(after, 'ticker')!.containerID, tickerID, 'the ticker was adopted, not restarted');
  assert.equal(status(after, 'ticker')!.restartCount, 0);
  assert.equal(status(after, 'quitter')!.lastState?.terminated?.exitCode, 3, 'exit code recorded by the shim while no agent ran');
  // Every tick is in the log: nothing was lost while the agent was down.
  const uid = after.metadata.uid!;
  const log = await pollUntil(() => {
    const text = readFileSync(join(dataDir, 'pods', uid, 'logs', 'ticker', '0.log'), 'utf8');
    return text.split('\n').length > 20 ? text : undefined;
  }, { what: 'ticks' });
  const ticks = log
    .trim()
    .split('\n')
    .map((l) => Number(/tick (\d+)$/.exec(l)?.[1]));
  ticks.forEach((n, i) => assert.equal(n, i + 1, 'consecutive ticks'));
});
