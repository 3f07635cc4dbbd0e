/**
 * PodWorker logic with an injected clock, a fake runtime and the in-memory FakeClient: restart
 * policy and back-off timing (10 s doubling to 5 min, reset after 10 min of running), phases,
 * init containers, start failures, and deletion (graceful stop, then DELETE with grace 0).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { findResource } from '../api/resources.js';
import type { Event, Pod, PodStatus } from '../api/types.js';
import { FakeClient } from '../client/testing/fake-client.js';
import { HostNetwork } from '../network/host-network.js';
import { FakeClock } from '../util/clock.js';
import { silentLogger } from '../util/logger.js';
import { ApiWriteQueue } from './api-writes.js';
import { EventRecorder } from './events.js';
import { PodWorker } from './pod-worker.js';
import type { ContainerExit, ContainerProcessRecord, ContainerStartSpec, ProcessRuntime } from './runtime/process-runtime.js';
import { StartError } from './runtime/process-runtime.js';
import { PodStateStore } from './state-store.js';

const PODS = findResource('', 'pods')!;
const EVENTS = findResource('', 'events')!;

/** Containers as promises the test settles: `exit(name, code)`. */
class FakeRuntime {
  private pid = 100;
  readonly starts: { name: string; at: number; spec: ContainerStartSpec }[] = [];
  private readonly live = new Map<string, { record: ContainerProcessRecord; exited: Promise<ContainerExit>; resolve: (e: ContainerExit) => void }>();
  stops: string[] = [];
  failNext?: StartError;

  constructor(private readonly clock: FakeClock) {}

  async start(spec: ContainerStartSpec): Promise<ContainerProcessRecord> {
    if (this.failNext) {
      const e = this.failNext;
      this.failNext = undefined;
      throw e;
    }
    const record: ContainerProcessRecord = { pid: this.pid++, startedAtMs: this.clock.now(), instance: spec.instance, logPath: '', fifoPath: '', exitFile: '', oomBaseline: 0 };
    let resolve!: (e: ContainerExit) => void;
    const exited = new Promise<ContainerExit>((r) => (resolve = r));
    this.live.set(spec.container, { record, exited, resolve });
    this.starts.push({ name: spec.container, at: this.clock.now(), spec });
    return record;
  }

  exit(name: string, exitCode: number, reason: ContainerExit['reason'] = exitCode === 0 ? 'Completed' : 'Error'): void {
    const c = this.live.get(name)!;
    this.live.delete(name);
    c.resolve({ exitCode, reason, finishedAtMs: this.clock.now() });
  }

  waitExit(_uid: string, name: string): Promise<ContainerExit> | undefined {
    return this.live.get(name)?.exited;
  }

  async stop(_uid: string, name: string): Promise<ContainerExit | undefined> {
    this.stops.push(name);
    const c = this.live.get(name);
    if (!c) return undefined;
    this.exit(name, 143);
    return c.exited;
  }

  isRunning(_uid: string, name: string): boolean {
    return this.live.has(name);
  }

  adopt(): boolean {
    return false;
  }

  readExitFile(): number | undefined {
    return undefined;
  }

  removePod(): void {}

  async execIn(): Promise<{ code: number; output: string }> {
    return { code: 0, output: '' };
  }
}

async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

async function setup(t: { after(fn: () => void): void }, spec: NonNullable<Pod['spec']>, extra: { writes?: ApiWriteQueue } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-pw-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const clock = new FakeClock();
  const client = new FakeClient();
  const runtime = new FakeRuntime(clock);
  const pod = await client.create<Pod>(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { nodeName: 'n1', ...spec } });
  const worker = new PodWorker(pod, {
    nodeName: 'n1',
    client,
    runtime: runtime as unknown as ProcessRuntime,
    network: new HostNetwork({ dataDir: dir, podRange: '127.9.0.0/16' }),
    events: new EventRecorder(client, 'n1', clock, silentLogger),
    states: new PodStateStore(dir),
    clock,
    log: silentLogger,
    services: () => [],
    configMap: () => undefined,
    secret: () => undefined,
    backoffBaseMs: 10_000,
    backoffMaxMs: 300_000,
    backoffResetMs: 600_000,
    onFinished: () => {},
    writes: extra.writes,
  });
  const sync = async (): Promise<Pod> => {
    worker.kick();
    await flush();
    await worker.settled();
    await flush();
    return client.get<Pod>(PODS, 'p', 'default');
  };
  const advance = async (ms: number): Promise<Pod> => {
    clock.advance(ms);
    return sync();
  };
  return { clock, client, runtime, worker, sync, advance };
}

const status = (p: Pod, name = 'c') => p.status!.containerStatuses!.find((s) => s.name === name)!;

test('back-off: first restart at once, then 10 s, 20 s, 40 s …; CrashLoopBackOff meanwhile; capped at 5 min; reset after 10 min running', async (t) => {
  const { runtime, sync, advance } = await setup(t, { containers: [{ name: 'c', image: 'img', command: ['x'] }] });
  let p = await sync();
  assert.equal(runtime.starts.length, 1);
  assert.equal(p.status?.phase, 'Running');
  assert.equal(status(p).restartCount, 0);
  runtime.exit('c', 1);
  p = await sync();
  assert.equal(runtime.starts.length, 2, 'first restart immediately');
  assert.equal(status(p).restartCount, 1);
  assert.equal(status(p).lastState?.terminated?.exitCode, 1);
  const delays = [10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000];
  for (const [i, d] of delays.entries()) {
    runtime.exit('c', 1);
    p = await sync();
    assert.equal(status(p).state?.waiting?.reason, 'CrashLoopBackOff');
    p = await advance(d - 1);
    assert.equal(runtime.starts.length, 2 + i, `not before ${d} ms`);
    p = await advance(1);
    assert.equal(runtime.starts.length, 3 + i, `restarted after ${d} ms`);
    assert.ok(status(p).state?.running);
  }
  // Running 10 minutes forgets the back-off.
  p = await advance(600_000);
  runtime.exit('c', 1);
  await sync();
  assert.equal(runtime.starts.length, 3 + delays.length, 'immediate restart after a long run');
});

test('restartPolicy OnFailure / Never and phases', async (t) => {
  const a = await setup(t, { restartPolicy: 'OnFailure', containers: [{ name: 'c', command: ['x'] }] });
  await a.sync();
  a.runtime.exit('c', 0);
  let p = await a.sync();
  assert.equal(a.runtime.starts.length, 1, 'success is not restarted under OnFailure');
  assert.equal(p.status?.phase, 'Succeeded');
  assert.equal(status(p).state?.terminated?.reason, 'Completed');
  const b = await setup(t, { restartPolicy: 'Never', containers: [{ name: 'c', command: ['x'] }, { name: 'd', command: ['y'] }] });
  await b.sync();
  b.runtime.exit('c', 3);
  p = await b.sync();
  assert.equal(p.status?.phase, 'Running', 'one container still runs');
  b.runtime.exit('d', 0);
  p = await b.sync();
  assert.equal(p.status?.phase, 'Failed');
  assert.equal(b.runtime.starts.length, 2);
  assert.equal(status(p).state?.terminated?.exitCode, 3);
});

test('init containers run one by one before the containers; PodInitializing meanwhile', async (t) => {
  const { runtime, sync } = await setup(t, { initContainers: [{ name: 'i1', command: ['a'] }, { name: 'i2', command: ['b'] }], containers: [{ name: 'c', command: ['x'] }] });
  let p = await sync();
  assert.deepEqual(runtime.starts.map((s) => s.name), ['i1']);
  assert.equal(status(p).state?.waiting?.reason, 'PodInitializing');
  assert.equal(p.status?.conditions?.find((c) => c.type === 'Initialized')?.status, 'False');
  runtime.exit('i1', 0);
  await sync();
  assert.deepEqual(runtime.starts.map((s) => s.name), ['i1', 'i2']);
  runtime.exit('i2', 0);
  p = await sync();
  assert.deepEqual(runtime.starts.map((s) => s.name), ['i1', 'i2', 'c']);
  assert.equal(p.status?.conditions?.find((c) => c.type === 'Initialized')?.status, 'True');
  assert.equal(p.status?.initContainerStatuses?.length, 2);
});

test('a start failure: ContainerCannotRun in lastState, RunContainerError waiting, Failed event, back-off applies', async (t) => {
  const { runtime, client, sync, advance } = await setup(t, { containers: [{ name: 'c', command: ['nope'] }] });
  runtime.failNext = new StartError('exec: "nope": executable file not found in $PATH', 'ContainerCannotRun');
  let p = await sync();
  assert.equal(status(p).state?.waiting?.reason, 'RunContainerError');
  assert.equal(status(p).lastState?.terminated?.reason, 'ContainerCannotRun');
  assert.equal(status(p).lastState?.terminated?.exitCode, 128);
  const events = client.objects<Event>(EVENTS, 'default');
  assert.ok(events.some((e) => e.reason === 'Failed' && e.type === 'Warning' && /executable file not found/.test(e.message ?? '')));
  // First failure → immediate retry, which starts fine here.
  p = await advance(0);
  assert.equal(runtime.starts.length, 1);
  assert.ok(status(p).state?.running);
  assert.equal(status(p).restartCount, 1);
});

test('deletion: containers stopped, then the pod is deleted with grace 0', async (t) => {
  const { runtime, client, worker, sync } = await setup(t, { containers: [{ name: 'c', command: ['x'] }] });
  await sync();
  const pod = await client.get<Pod>(PODS, 'p', 'default');
  worker.update({ ...pod, metadata: { ...pod.metadata, deletionTimestamp: new Date().toISOString(), deletionGracePeriodSeconds: 30 } });
  await flush();
  await worker.settled();
  assert.deepEqual(runtime.stops, ['c']);
  await assert.rejects(client.get<Pod>(PODS, 'p', 'default'), /not found/);
});

test('status patches waiting for a write slot coalesce: the one sent carries the latest status', async (t) => {
  const writes = new ApiWriteQueue(1);
  let release!: () => void;
  // Another write holds the only slot, as in a burst.
  void writes.run('event', () => new Promise<void>((r) => (release = r)));
  const { runtime, client, worker } = await setup(t, { restartPolicy: 'Never', containers: [{ name: 'c', command: ['x'] }] }, { writes });
  const sent: PodStatus[] = [];
  const patchable = client as unknown as { patch(...args: unknown[]): Promise<unknown> };
  const patch = patchable.patch.bind(client);
  patchable.patch = (...args: unknown[]) => {
    if ((args[5] as { subresource?: string } | undefined)?.subresource === 'status') sent.push((args[3] as { status: PodStatus }).status);
    return patch(...args);
  };
  worker.kick();
  // The pod network's IPAM write is real file I/O: wait for the start, not a fixed number of ticks.
  for (let i = 0; i < 400 && runtime.starts.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
  await flush();
  assert.equal(runtime.starts.length, 1, 'the container started; its Running patch waits for the slot');
  runtime.exit('c', 0);
  await flush();
  assert.equal(sent.length, 0);
  release();
  await flush();
  await worker.settled();
  await flush();
  assert.equal(sent.length, 1, 'one patch for both changes');
  assert.equal(sent[0]!.phase, 'Succeeded');
  assert.equal((await client.get<Pod>(PODS, 'p', 'default')).status?.phase, 'Succeeded');
});
