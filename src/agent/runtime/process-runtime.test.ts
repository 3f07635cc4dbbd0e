import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { renderLog } from './container-log.js';
import { ProcessRuntime, StartError, type ContainerStartSpec } from './process-runtime.js';
import { processAlive } from './proc.js';

async function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function setup(t: { after(fn: () => void): void }): { rt: ProcessRuntime; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-rt-'));
  const rt = new ProcessRuntime({ dataDir: dir, adoptPollMs: 50 });
  t.after(() => {
    rt.killAll();
    rmSync(dir, { recursive: true, force: true });
  });
  return { rt, dir };
}

function spec(argv: string[], extra: Partial<ContainerStartSpec> = {}): ContainerStartSpec {
  return { podUID: 'uid-1', container: 'c', instance: 0, argv, env: { PATH: process.env.PATH!, FOO: 'bar' }, enter: [], limits: {}, ...extra };
}

test('runs a command with env and workingDir, captures logs with timestamps and the exit code', async (t) => {
  const { rt } = setup(t);
  await rt.start(spec(['sh', '-c', 'echo "$FOO"; pwd; echo err >&2; exit 3'], { workingDir: '/tmp' }));
  const exit = await rt.waitExit('uid-1', 'c')!;
  assert.equal(exit.exitCode, 3);
  assert.equal(exit.reason, 'Error');
  const raw = readFileSync(rt.logPath('uid-1', 'c', 0), 'utf8');
  assert.equal(renderLog(raw, {}), 'bar\n/tmp\nerr\n');
  assert.match(renderLog(raw, { timestamps: true }), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z bar\n/);
  assert.equal(renderLog(raw, { tailLines: 1 }), 'err\n');
  assert.equal(rt.isRunning('uid-1', 'c'), false);
});

test('a missing command fails before any process starts', async (t) => {
  const { rt } = setup(t);
  await assert.rejects(rt.start(spec(['no-such-command-xyz'])), (e: unknown) => e instanceof StartError && e.reason === 'ContainerCannotRun' && /executable file not found/.test(e.message));
  await assert.rejects(rt.start(spec(['/nope/bin/x'])), StartError);
});

test('stop sends SIGTERM to the whole group and escalates to SIGKILL after the grace period', async (t) => {
  const { rt } = setup(t);
  // The child traps TERM (graceful); a grandchild in the same group must die as well.
  await rt.start(spec(['sh', '-c', 'sleep 30 & trap "echo term; exit 0" TERM; while :; do sleep 0.05; done']));
  const rec = rt.record('uid-1', 'c')!;
  await new Promise((r) => setTimeout(r, 100));
  const exit = await rt.stop('uid-1', 'c', 5000);
  assert.equal(exit?.exitCode, 0);
  assert.equal(processAlive(rec.pid), false);
  // Ignoring SIGTERM: killed after the grace period.
  await rt.start(spec(['sh', '-c', 'trap "" TERM; echo ready; while :; do sleep 0.05; done'], { instance: 1 }));
  await waitFor(() => readOr(rt.logPath('uid-1', 'c', 1)).includes('ready'));
  const t0 = Date.now();
  const exit2 = await rt.stop('uid-1', 'c', 300);
  assert.ok(Date.now() - t0 >= 280);
  assert.equal(exit2?.exitCode, 137);
  assert.equal(exit2?.signal, 9);
});

test('a container survives detach and is adopted with its exit code and logs', async (t) => {
  const { rt, dir } = setup(t);
  const rec = await rt.start(spec(['sh', '-c', 'echo one; read x < /dev/null; sleep 0.4; echo two; exit 4']));
  await new Promise((r) => setTimeout(r, 100));
  rt.detachAll();
  assert.ok(processAlive(rec.pid, rec.startTicks));
  const rt2 = new ProcessRuntime({ dataDir: dir, adoptPollMs: 20 });
  t.after(() => rt2.killAll());
  assert.equal(rt2.adopt('uid-1', 'c', rec), true);
  const exit = await rt2.waitExit('uid-1', 'c')!;
  assert.equal(exit.exitCode, 4);
  assert.equal(renderLog(readFileSync(rec.logPath, 'utf8'), {}), 'one\ntwo\n');
});

test('the wrapper joins the cgroups through inherited fds and the command does not inherit them', async (t) => {
  const { dir } = setup(t);
  const cgRoot = join(dir, 'cg');
  const { CgroupManager } = await import('./cgroups.js');
  const cgroups = new CgroupManager(cgRoot, 'skiff/n1');
  // A plain directory tree stands in for /sys/fs/cgroup: the procs files must exist to be opened.
  for (const c of ['memory', 'cpu']) {
    const d = join(cgRoot, c, 'skiff/n1/uid-cg/c');
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'cgroup.procs'), '');
  }
  const rt = new ProcessRuntime({ dataDir: join(dir, 'data'), cgroups, adoptPollMs: 50 });
  t.after(() => rt.killAll());
  const record = await rt.start(spec(['sh', '-c', 'ls /proc/self/fd; echo done'], { podUID: 'uid-cg' }));
  await rt.waitExit('uid-cg', 'c');
  for (const c of ['memory', 'cpu']) assert.equal(readFileSync(join(cgRoot, c, 'skiff/n1/uid-cg/c/cgroup.procs'), 'utf8'), `${record.pid}\n`, `${c} joined`);
  const fds = renderLog(readFileSync(rt.logPath('uid-cg', 'c', 0), 'utf8'), {}).trim().split('\n');
  assert.equal(fds.at(-1), 'done');
  // ls itself opens one fd for the directory listing; 0-2 are stdio. No 3/4 from the agent.
  assert.ok(!fds.includes('4'), `fds of the command: ${fds.join(' ')}`);
});

test('output of a command that exits at once is kept (the wrapper waits for the agent to open the FIFO)', async (t) => {
  const { rt } = setup(t);
  for (let i = 0; i < 3; i++) {
    // start() forks synchronously; a busy agent then reads the wrapper's signal only after the
    // loop below. The command must not run (and exit, taking its output along) before that.
    const started = rt.start(spec(['echo', `line ${i}`], { instance: i }));
    const until = Date.now() + 300;
    while (Date.now() < until) {
      /* block the event loop */
    }
    await started;
    const exit = await rt.waitExit('uid-1', 'c')!;
    assert.equal(exit.exitCode, 0);
    assert.equal(renderLog(readFileSync(rt.logPath('uid-1', 'c', i), 'utf8'), {}), `line ${i}\n`);
  }
});
