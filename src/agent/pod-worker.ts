/**
 * One worker per pod, serialised: every trigger (pod update, container exit, probe result,
 * back-off timer) calls `kick()`, which runs `sync()` once more after the current run ends.
 * sync: sandbox (network) → init containers in order → containers (restart policy, back-off)
 * → status. Deletion: preStop, SIGTERM to each container's group, grace period, SIGKILL,
 * network and cgroup cleanup, then the pod object is removed (DELETE gracePeriodSeconds=0).
 * The worker's state is saved to <data>/pods/<uid>/state.json after every change so that a
 * restarted agent adopts the running processes instead of restarting them.
 */
import { hostname as osHostname } from 'node:os';
import { findResource } from '../api/resources.js';
import { isNotFound } from '../api/status-error.js';
import type { Condition, ConfigMap, Container, ContainerState, ContainerStatus, LifecycleHandler, Pod, PodPhase, PodStatus, Secret, Service } from '../api/types.js';
import type { ApiClient } from '../client/types.js';
import type { PodNetwork, PodSandbox } from '../network/pod-network.js';
import { podHostname } from '../network/dns-files.js';
import { rfc3339, type Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { buildContainerEnv, containerArgv, EnvError, parseBytes, parseCpu } from './env.js';
import type { ApiWriteQueue } from './api-writes.js';
import type { EventRecorder } from './events.js';
import { httpGet, ProbeWorker, runHandler, tcpSocket, type ProbeKind, type ProbeOutcome, type ProbeTarget } from './probes.js';
import type { ContainerExit, ContainerProcessRecord, ProcessRuntime } from './runtime/process-runtime.js';
import { StartError } from './runtime/process-runtime.js';
import type { PodStateStore, SavedPodState, Terminated } from './state-store.js';
import { tracePhase } from './trace.js';

const PODS = findResource('', 'pods')!;

export interface PodWorkerDeps {
  nodeName: string;
  client: ApiClient;
  runtime: ProcessRuntime;
  network: PodNetwork;
  events: EventRecorder;
  states: PodStateStore;
  clock: Clock;
  log: Logger;
  services(): Service[];
  configMap(namespace: string, name: string): ConfigMap | undefined;
  secret(namespace: string, name: string): Secret | undefined;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** A container that ran this long has its back-off forgotten (Kubernetes: 2 × max = 10 min). */
  backoffResetMs: number;
  /** Called once the pod is gone and cleaned up. */
  onFinished(uid: string): void;
  /** Bounded queue for status patches (ahead of events); none = patched at once. */
  writes?: ApiWriteQueue;
  /** On deletion, before preStop/SIGTERM: resolves once the pod IP is out of the endpoints (bounded). See endpoint-drain.ts. */
  drainEndpoints?(podIP: string, maxMs: number): Promise<void>;
}

interface CState {
  name: string;
  init: boolean;
  restartCount: number;
  /** Set while a process runs. */
  running?: { record: ContainerProcessRecord };
  terminated?: Terminated;
  lastTerminated?: Terminated;
  waiting?: { reason: string; message?: string };
  /** Delay to apply after the next failure; 0 = restart at once. */
  backoffMs: number;
  nextStartAtMs?: number;
  everStarted: boolean;
  started: boolean;
  ready: boolean;
  probes: ProbeWorker[];
  env?: Record<string, string>;
  /** Readiness reported before an agent restart: kept until the first probe answers. */
  wasReady?: boolean;
  /** Cancels the pending back-off wake-up (one per container). */
  cancelBackoffTimer?: () => void;
}

export class PodWorker {
  readonly uid: string;
  private pod: Pod;
  private sandbox?: PodSandbox;
  private readonly containers = new Map<string, CState>();
  private initDone = false;
  private startTimeMs?: number;
  private deleted = false;
  private finished = false;
  private terminating = false;
  private syncing = false;
  private dirty = false;
  private retryTimer?: () => void;
  private readonly timers = new Set<() => void>();
  private lastStatus = '';
  /** The status patch in the write queue or in flight, and whether it is still waiting to be sent. */
  private statusPatch?: Promise<void>;
  private statusWaiting = false;
  private readonly transitions = new Map<string, { status: string; at: string }>();
  private sandboxFailures = 0;
  private idle?: Promise<void>;
  /** State writes so far (a sync that made the sandbox saves it unless a start already did). */
  private saves = 0;

  constructor(
    pod: Pod,
    private readonly deps: PodWorkerDeps,
    saved?: SavedPodState,
  ) {
    this.pod = pod;
    this.uid = pod.metadata.uid!;
    for (const c of pod.spec?.initContainers ?? []) this.containers.set(c.name, this.freshState(c.name, true));
    for (const c of pod.spec?.containers ?? []) this.containers.set(c.name, this.freshState(c.name, false));
    if (saved) this.restore(saved);
  }

  private freshState(name: string, init: boolean): CState {
    return { name, init, restartCount: 0, backoffMs: 0, everStarted: false, started: false, ready: false, probes: [] };
  }

  private get key(): string {
    return `${this.pod.metadata.namespace}/${this.pod.metadata.name}`;
  }

  private spec(name: string): Container | undefined {
    const s = this.pod.spec;
    return s?.containers.find((c) => c.name === name) ?? s?.initContainers?.find((c) => c.name === name);
  }

  // ---------------------------------------------------------------------------------------
  // adoption

  private restore(saved: SavedPodState): void {
    this.initDone = saved.initDone;
    this.startTimeMs = saved.startTimeMs;
    if (saved.podIP) this.sandbox = { podUID: this.uid, podIP: saved.podIP, netns: saved.netns, ownNetwork: saved.ownNetwork ?? !!saved.netns };
    const prevReady = new Map((this.pod.status?.containerStatuses ?? []).map((s) => [s.name, s.ready]));
    for (const [name, sc] of Object.entries(saved.containers)) {
      const cs = this.containers.get(name);
      if (!cs) continue;
      Object.assign(cs, {
        restartCount: sc.restartCount,
        terminated: sc.terminated,
        lastTerminated: sc.lastTerminated,
        backoffMs: sc.backoffMs,
        nextStartAtMs: sc.nextStartAtMs,
        everStarted: sc.everStarted,
      });
      if (!sc.record) continue;
      if (this.deps.runtime.adopt(this.uid, name, sc.record)) {
        cs.running = { record: sc.record };
        cs.wasReady = prevReady.get(name) ?? sc.ready;
        this.watchExit(cs, sc.record);
      } else {
        // Ended while no agent was watching: the shim's exit file says how, if it got to write it.
        const code = this.deps.runtime.readExitFile(sc.record) ?? 137;
        cs.terminated = { exitCode: code, reason: code === 0 ? 'Completed' : 'Error', startedAtMs: sc.record.startedAtMs, finishedAtMs: this.deps.clock.now(), containerID: `skiff://${sc.record.pid}` };
      }
    }
  }

  /** Pod-level facts for the restored containers (env, probes) once the sandbox is known. */
  private resumeAdopted(): void {
    for (const cs of this.containers.values()) {
      if (!cs.running || cs.probes.length || cs.started) continue;
      const c = this.spec(cs.name);
      if (!c) continue;
      try {
        cs.env = this.buildEnv(c);
      } catch {
        cs.env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
      }
      this.startProbes(cs, c, cs.wasReady);
    }
  }

  private save(): void {
    if (this.finished) return;
    this.saves++;
    const containers: SavedPodState['containers'] = {};
    for (const cs of this.containers.values()) {
      containers[cs.name] = {
        init: cs.init,
        restartCount: cs.restartCount,
        terminated: cs.terminated,
        lastTerminated: cs.lastTerminated,
        backoffMs: cs.backoffMs,
        nextStartAtMs: cs.nextStartAtMs,
        everStarted: cs.everStarted,
        record: cs.running?.record,
        ready: cs.ready,
      };
    }
    this.deps.states.save(this.uid, {
      namespace: this.pod.metadata.namespace ?? 'default',
      name: this.pod.metadata.name!,
      uid: this.uid,
      podIP: this.sandbox?.podIP,
      netns: this.sandbox?.netns,
      ownNetwork: this.sandbox?.ownNetwork,
      startTimeMs: this.startTimeMs,
      initDone: this.initDone,
      containers,
    });
  }

  // ---------------------------------------------------------------------------------------
  // triggers

  update(pod: Pod): void {
    if (pod.metadata.uid !== this.uid) return;
    this.pod = pod;
    this.kick();
  }

  /** The pod object is gone from the API (force-deleted): stop everything, no DELETE needed. */
  markDeleted(): void {
    this.deleted = true;
    this.kick();
  }

  kick(): void {
    if (this.finished) return;
    if (this.syncing) {
      this.dirty = true;
      return;
    }
    this.syncing = true;
    this.idle = (async () => {
      try {
        do {
          this.dirty = false;
          try {
            await this.sync();
          } catch (err) {
            this.deps.log.error({ pod: this.key, err: (err as Error).message }, 'pod sync failed');
            this.retryLater(2000);
          }
        } while (this.dirty && !this.finished);
      } finally {
        this.syncing = false;
      }
    })();
  }

  /** Resolves when the current sync has finished (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.syncing) await this.idle;
  }

  private retryLater(ms: number): void {
    this.retryTimer?.();
    this.retryTimer = this.deps.clock.setTimeout(() => this.kick(), ms);
  }

  private after(ms: number, fn: () => void): void {
    this.afterCancellable(ms, fn);
  }

  private afterCancellable(ms: number, fn: () => void): () => void {
    const cancel = this.deps.clock.setTimeout(() => {
      this.timers.delete(cancel);
      fn();
    }, ms);
    this.timers.add(cancel);
    return () => {
      cancel();
      this.timers.delete(cancel);
    };
  }

  // ---------------------------------------------------------------------------------------
  // sync

  private async sync(): Promise<void> {
    if (this.finished) return;
    if (this.deleted || this.pod.metadata.deletionTimestamp) {
      await this.terminate();
      return;
    }
    // The new sandbox is saved with the first container start (one state write per pod start,
    // not two); only a sync that starts nothing saves it on its own, at the end.
    const savesBefore = this.saves;
    let sandboxMade = false;
    if (!this.sandbox) {
      try {
        this.sandbox = await this.deps.network.setupPod(this.pod);
        tracePhase(this.pod.metadata.name, 'net-done');
        this.sandboxFailures = 0;
      } catch (err) {
        this.sandboxFailures++;
        this.deps.events.record(this.pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${(err as Error).message}`);
        await this.pushStatus();
        this.retryLater(Math.min(30_000, 1000 * 2 ** this.sandboxFailures));
        return;
      }
      this.startTimeMs ??= this.deps.clock.now();
      sandboxMade = true;
    }
    this.resumeAdopted();
    const policy = this.pod.spec?.restartPolicy ?? 'Always';
    const inits = this.pod.spec?.initContainers ?? [];
    if (!this.initDone) {
      let allDone = true;
      for (const c of inits) {
        const cs = this.containers.get(c.name)!;
        if (cs.running) {
          allDone = false;
          break;
        }
        if (cs.terminated && cs.terminated.exitCode === 0) continue;
        allDone = false;
        // Init containers restart on failure unless the pod's policy is Never.
        if (!cs.terminated || policy !== 'Never') await this.maybeStart(cs, c);
        break;
      }
      if (allDone) {
        this.initDone = true;
        this.save();
      }
    }
    if (this.initDone) {
      for (const c of this.pod.spec?.containers ?? []) {
        const cs = this.containers.get(c.name)!;
        if (cs.running) continue;
        if (!cs.everStarted && !cs.terminated) {
          await this.maybeStart(cs, c);
          continue;
        }
        const failed = (cs.terminated?.exitCode ?? 0) !== 0;
        if (policy === 'Always' || (policy === 'OnFailure' && failed)) await this.maybeStart(cs, c);
      }
    }
    if (sandboxMade && this.saves === savesBefore) this.save();
    await this.pushStatus();
  }

  private buildEnv(c: Container): Record<string, string> {
    const sb = this.sandbox!;
    const base: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      HOSTNAME: sb.ownNetwork ? podHostname(this.pod) : osHostname(),
      HOME: '/root',
      POD_IP: sb.podIP,
    };
    if (this.deps.network.mode === 'host') base.SKIFF_NETWORK_MODE = 'host';
    return buildContainerEnv(c, {
      pod: this.pod,
      podIP: sb.podIP,
      hostIP: this.deps.network.nodeIP,
      services: this.deps.services(),
      configMap: this.deps.configMap,
      secret: this.deps.secret,
      base,
    });
  }

  private async maybeStart(cs: CState, c: Container): Promise<void> {
    const now = this.deps.clock.now();
    if (cs.nextStartAtMs !== undefined && now < cs.nextStartAtMs) {
      const wait = cs.nextStartAtMs - now;
      const message = `back-off ${Math.round(cs.backoffMs / 2 / 1000)}s restarting failed container=${c.name} pod=${this.pod.metadata.name}_${this.pod.metadata.namespace}(${this.uid})`;
      if (cs.waiting?.reason !== 'CrashLoopBackOff') {
        this.deps.events.record(this.pod, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${this.pod.metadata.name}_${this.pod.metadata.namespace}(${this.uid})`, this.fieldPath(cs));
      }
      cs.waiting = { reason: 'CrashLoopBackOff', message };
      cs.cancelBackoffTimer?.();
      cs.cancelBackoffTimer = this.afterCancellable(wait, () => this.kick());
      return;
    }
    const fieldPath = this.fieldPath(cs);
    let env: Record<string, string>;
    try {
      env = this.buildEnv(c);
    } catch (err) {
      const message = (err as Error).message;
      cs.waiting = { reason: 'CreateContainerConfigError', message };
      this.deps.events.record(this.pod, 'Warning', 'Failed', `Error: ${message}`, fieldPath);
      if (!(err instanceof EnvError)) throw err;
      this.retryLater(10_000);
      return;
    }
    const argv = containerArgv(c, env);
    if (cs.everStarted || cs.terminated) cs.restartCount++;
    if (cs.terminated) cs.lastTerminated = cs.terminated;
    cs.terminated = undefined;
    cs.waiting = undefined;
    cs.everStarted = true;
    cs.env = env;
    this.deps.events.record(this.pod, 'Normal', 'Pulled', `Container image "${c.image ?? ''}" recorded (skiff runs processes; nothing pulled)`, fieldPath);
    const startedAtMs = this.deps.clock.now();
    try {
      if (argv.length === 0) throw new StartError('no command specified: skiff runs processes, a container needs "command"', 'ContainerCannotRun');
      tracePhase(this.pod.metadata.name, 'spawn-call');
      const record = await this.deps.runtime.start({
        podUID: this.uid,
        container: c.name,
        instance: cs.restartCount,
        argv,
        env,
        workingDir: c.workingDir,
        enter: this.deps.network.enterPrefix(this.sandbox!),
        hostname: this.sandbox!.ownNetwork ? podHostname(this.pod) : undefined,
        limits: {
          memoryBytes: c.resources?.limits?.memory !== undefined ? parseBytes(c.resources.limits.memory) : undefined,
          cpuMillis: c.resources?.limits?.cpu !== undefined ? Math.round(parseCpu(c.resources.limits.cpu) * 1000) : undefined,
        },
      });
      cs.running = { record };
      tracePhase(this.pod.metadata.name, 'started');
      this.deps.events.record(this.pod, 'Normal', 'Created', `Created container ${c.name}`, fieldPath);
      this.deps.events.record(this.pod, 'Normal', 'Started', `Started container ${c.name}`, fieldPath);
      this.watchExit(cs, record);
      this.save();
      const postStart = c.lifecycle?.postStart;
      if (postStart) {
        // As kubelet: the hook runs right after the start; its failure kills the container.
        const out = await this.runHook(cs, c, postStart, 30_000);
        if (!out.ok && cs.running?.record === record) {
          this.deps.events.record(this.pod, 'Warning', 'FailedPostStartHook', `PostStartHook failed: ${out.message ?? ''}`, fieldPath);
          void this.stopContainer(cs, c, this.deps.clock.now() + (this.pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000, false);
          return;
        }
      }
      if (cs.running?.record === record) this.startProbes(cs, c);
    } catch (err) {
      const message = (err as Error).message;
      const reason = err instanceof StartError ? err.reason : 'RunContainerError';
      this.deps.events.record(this.pod, 'Warning', 'Failed', `Error: failed to start container "${c.name}": ${message}`, fieldPath);
      const finishedAtMs = this.deps.clock.now();
      cs.terminated = { exitCode: 128, reason, message, startedAtMs, finishedAtMs };
      const policy = this.pod.spec?.restartPolicy ?? 'Always';
      if (policy !== 'Never') cs.waiting = { reason: reason === 'ContainerCannotRun' ? 'RunContainerError' : reason, message };
      this.applyBackoff(cs, startedAtMs, finishedAtMs);
      this.save();
      if (policy !== 'Never') this.after(Math.max(0, (cs.nextStartAtMs ?? finishedAtMs) - finishedAtMs), () => this.kick());
    }
  }

  private fieldPath(cs: CState): string {
    return `spec.${cs.init ? 'initContainers' : 'containers'}{${cs.name}}`;
  }

  /** Kubernetes' container back-off: restart 1 at once, then 10 s, 20 s ... 5 min; forgotten after a long run. */
  private applyBackoff(cs: CState, startedAtMs: number | undefined, finishedAtMs: number): void {
    if (startedAtMs !== undefined && finishedAtMs - startedAtMs >= this.deps.backoffResetMs) cs.backoffMs = 0;
    if (cs.backoffMs === 0) {
      cs.nextStartAtMs = undefined;
      cs.backoffMs = this.deps.backoffBaseMs;
    } else {
      cs.nextStartAtMs = finishedAtMs + cs.backoffMs;
      cs.backoffMs = Math.min(this.deps.backoffMaxMs, cs.backoffMs * 2);
    }
  }

  private watchExit(cs: CState, record: ContainerProcessRecord): void {
    const p = this.deps.runtime.waitExit(this.uid, cs.name);
    if (!p) return;
    void p.then((exit) => this.onExit(cs, record, exit));
  }

  private onExit(cs: CState, record: ContainerProcessRecord, exit: ContainerExit): void {
    if (cs.running?.record !== record) return;
    for (const p of cs.probes) p.stop();
    cs.probes = [];
    cs.running = undefined;
    cs.ready = false;
    cs.started = false;
    cs.terminated = {
      exitCode: exit.exitCode,
      signal: exit.signal,
      reason: exit.reason,
      startedAtMs: record.startedAtMs,
      finishedAtMs: exit.finishedAtMs,
      containerID: `skiff://${record.pid}`,
    };
    if (exit.reason === 'OOMKilled') this.deps.events.record(this.pod, 'Warning', 'OOMKilled', `Container ${cs.name} was killed: memory limit exceeded`, this.fieldPath(cs));
    if (!this.terminating) this.applyBackoff(cs, record.startedAtMs, exit.finishedAtMs);
    this.save();
    this.kick();
  }

  // ---------------------------------------------------------------------------------------
  // probes

  private probeTarget(cs: CState, c: Container): ProbeTarget {
    return {
      podIP: this.sandbox!.podIP,
      container: c,
      dial: (h, p, t) => this.deps.network.dial(h, p, t),
      exec: (argv, timeoutMs) => this.deps.runtime.execIn(this.uid, cs.name, argv, { env: cs.env ?? {}, cwd: c.workingDir, timeoutMs }),
    };
  }

  private startProbes(cs: CState, c: Container, initialReady?: boolean): void {
    if (cs.init) {
      cs.started = true;
      return;
    }
    const target = this.probeTarget(cs, c);
    const onResult = (kind: ProbeKind, result: boolean, attempt: ProbeOutcome, changed: boolean): void => this.onProbe(cs, c, kind, result, attempt, changed);
    const make = (kind: ProbeKind, probe = kind === 'startup' ? c.startupProbe : kind === 'liveness' ? c.livenessProbe : c.readinessProbe): ProbeWorker | undefined => {
      if (!probe) return undefined;
      const w = new ProbeWorker({ kind, probe, target, onResult, setTimer: (fn, ms) => this.deps.clock.setTimeout(fn, ms), now: () => this.deps.clock.now() });
      if (kind === 'readiness' && initialReady) w.result = true;
      return w;
    };
    const startup = initialReady ? undefined : make('startup');
    if (startup) {
      cs.started = false;
      cs.probes = [startup];
      startup.start();
    } else {
      cs.started = true;
      this.startMainProbes(cs, make);
    }
  }

  private startMainProbes(cs: CState, make: (kind: ProbeKind) => ProbeWorker | undefined): void {
    const readiness = make('readiness');
    const liveness = make('liveness');
    cs.ready = readiness ? readiness.result : true;
    for (const w of [readiness, liveness]) {
      if (!w) continue;
      cs.probes.push(w);
      w.start();
    }
  }

  private onProbe(cs: CState, c: Container, kind: ProbeKind, result: boolean, attempt: ProbeOutcome, changed: boolean): void {
    if (!cs.running || this.terminating) return;
    const label = kind === 'readiness' ? 'Readiness' : kind === 'liveness' ? 'Liveness' : 'Startup';
    if (!attempt.ok && !attempt.quiet) this.deps.events.record(this.pod, 'Warning', 'Unhealthy', `${label} probe failed: ${attempt.message ?? ''}`.trim(), this.fieldPath(cs));
    if (kind === 'readiness') {
      tracePhase(this.pod.metadata.name, attempt.ok ? 'probe-ok' : 'probe-fail');
      if (changed || cs.ready !== result) {
        cs.ready = result;
        void this.pushStatus();
      }
      return;
    }
    if (kind === 'startup' && result && changed) {
      cs.started = true;
      cs.probes = [];
      const target = this.probeTarget(cs, c);
      const onResult = (k: ProbeKind, r: boolean, a: ProbeOutcome, ch: boolean): void => this.onProbe(cs, c, k, r, a, ch);
      this.startMainProbes(cs, (k) => {
        const probe = k === 'liveness' ? c.livenessProbe : k === 'readiness' ? c.readinessProbe : undefined;
        return probe ? new ProbeWorker({ kind: k, probe, target, onResult, setTimer: (fn, ms) => this.deps.clock.setTimeout(fn, ms), now: () => this.deps.clock.now() }) : undefined;
      });
      void this.pushStatus();
      return;
    }
    if (!result && changed) {
      // Liveness or startup gave up: kill the container; the exit handler restarts it per policy.
      const probe = kind === 'liveness' ? c.livenessProbe : c.startupProbe;
      this.deps.events.record(this.pod, 'Normal', 'Killing', `Container ${c.name} failed ${kind} probe, will be restarted`, this.fieldPath(cs));
      for (const p of cs.probes) p.stop();
      cs.probes = [];
      const graceS = probe?.terminationGracePeriodSeconds ?? this.pod.spec?.terminationGracePeriodSeconds ?? 30;
      void this.stopContainer(cs, c, this.deps.clock.now() + graceS * 1000, false);
    }
  }

  // ---------------------------------------------------------------------------------------
  // termination

  private async runHook(cs: CState, c: Container, hook: LifecycleHandler, timeoutMs: number): Promise<ProbeOutcome> {
    const target = this.probeTarget(cs, c);
    if (hook.sleep) {
      await new Promise((r) => this.deps.clock.setTimeout(() => r(undefined), Math.min(timeoutMs, hook.sleep!.seconds * 1000)));
      return { ok: true };
    }
    if (hook.httpGet) return httpGet(hook.httpGet, target, timeoutMs, 'kube-lifecycle/1.32');
    if (hook.tcpSocket) return tcpSocket(hook.tcpSocket.port, hook.tcpSocket.host, target, timeoutMs);
    return runHandler({ exec: hook.exec, timeoutSeconds: Math.max(1, Math.ceil(timeoutMs / 1000)) }, target);
  }

  /** preStop (bounded by the deadline), then SIGTERM, then SIGKILL at the deadline (at least 2 s after preStop, like kubelet). */
  private async stopContainer(cs: CState, c: Container | undefined, deadlineMs: number, emitKilling = true): Promise<void> {
    if (!cs.running) return;
    if (emitKilling) this.deps.events.record(this.pod, 'Normal', 'Killing', `Stopping container ${cs.name}`, this.fieldPath(cs));
    const preStop = c?.lifecycle?.preStop;
    let remaining = deadlineMs - this.deps.clock.now();
    if (preStop && remaining > 0) {
      const out = await this.runHook(cs, c!, preStop, remaining);
      if (!out.ok) this.deps.events.record(this.pod, 'Warning', 'FailedPreStopHook', `PreStopHook failed: ${out.message ?? ''}`, this.fieldPath(cs));
      remaining = Math.max(2000, deadlineMs - this.deps.clock.now());
    }
    await this.deps.runtime.stop(this.uid, cs.name, Math.max(0, remaining));
  }

  private async terminate(): Promise<void> {
    if (!this.terminating) {
      this.terminating = true;
      for (const cs of this.containers.values()) {
        for (const p of cs.probes) p.stop();
        cs.probes = [];
        cs.ready = false;
      }
      void this.pushStatus();
    }
    const graceS = this.pod.metadata.deletionGracePeriodSeconds ?? this.pod.spec?.terminationGracePeriodSeconds ?? 30;
    const deadline = this.deps.clock.now() + graceS * 1000;
    // Out of the endpoints first, then stop: no request is steered to a process that is exiting.
    // At most half the grace period (and 10 s), so preStop and SIGTERM keep their share.
    const podIP = this.sandbox?.podIP;
    if (podIP && this.deps.drainEndpoints && [...this.containers.values()].some((cs) => cs.running)) {
      await this.deps.drainEndpoints(podIP, Math.min(10_000, (graceS * 1000) / 2));
    }
    await Promise.all([...this.containers.values()].map((cs) => this.stopContainer(cs, this.spec(cs.name), deadline)));
    for (const cancel of this.timers) cancel();
    this.timers.clear();
    this.retryTimer?.();
    await this.deps.network.teardownPod(this.uid);
    this.deps.runtime.removePod(this.uid);
    this.deps.states.remove(this.uid);
    this.finished = true;
    if (!this.deleted) {
      try {
        await this.deps.client.delete(PODS, this.pod.metadata.name!, this.pod.metadata.namespace, { gracePeriodSeconds: 0, preconditions: { uid: this.uid } });
      } catch (err) {
        if (!isNotFound(err)) this.deps.log.warn({ pod: this.key, err: (err as Error).message }, 'final pod delete failed');
      }
    }
    this.deps.onFinished(this.uid);
  }

  /** Agent shutdown: stop timers and probes but leave processes running (adopted later). */
  detach(): void {
    this.finished = true;
    for (const cancel of this.timers) cancel();
    this.retryTimer?.();
    for (const cs of this.containers.values()) for (const p of cs.probes) p.stop();
  }

  /** Agent shutdown that stops the pod's processes and network but leaves the API object. */
  async shutdown(graceMs: number): Promise<void> {
    this.terminating = true;
    this.deleted = true;
    for (const cs of this.containers.values()) for (const p of cs.probes) p.stop();
    await this.settled();
    if (this.finished) return;
    const deadline = this.deps.clock.now() + graceMs;
    await Promise.all([...this.containers.values()].map((cs) => this.stopContainer(cs, this.spec(cs.name), deadline, false)));
    this.detach();
    await this.deps.network.teardownPod(this.uid);
    this.deps.runtime.removePod(this.uid);
    this.deps.states.remove(this.uid);
  }

  // ---------------------------------------------------------------------------------------
  // status

  /** For streams: the container's env, cwd and whether it runs. */
  containerInfo(name: string): { running: boolean; env: Record<string, string>; workingDir?: string } | undefined {
    const cs = this.containers.get(name);
    if (!cs) return undefined;
    return { running: !!cs.running, env: cs.env ?? {}, workingDir: this.spec(name)?.workingDir };
  }

  get podIP(): string | undefined {
    return this.sandbox?.podIP;
  }

  private containerStatus(cs: CState): ContainerStatus {
    const c = this.spec(cs.name);
    const toTerm = (t: Terminated): ContainerState => ({
      terminated: {
        exitCode: t.exitCode,
        ...(t.signal ? { signal: t.signal } : {}),
        reason: t.reason,
        ...(t.message ? { message: t.message } : {}),
        startedAt: t.startedAtMs !== undefined ? rfc3339(t.startedAtMs) : undefined,
        finishedAt: rfc3339(t.finishedAtMs),
        ...(t.containerID ? { containerID: t.containerID } : {}),
      },
    });
    let state: ContainerState;
    let last: ContainerState = cs.lastTerminated ? toTerm(cs.lastTerminated) : {};
    if (cs.running) state = { running: { startedAt: rfc3339(cs.running.record.startedAtMs) } };
    else if (cs.waiting) {
      state = { waiting: { ...cs.waiting } };
      if (cs.terminated) last = toTerm(cs.terminated);
    } else if (cs.terminated) state = toTerm(cs.terminated);
    else state = { waiting: { reason: !cs.init && !this.initDone ? 'PodInitializing' : 'ContainerCreating' } };
    const image = c?.image ?? '';
    return {
      name: cs.name,
      state,
      lastState: last,
      ready: !!cs.running && cs.ready && cs.started,
      restartCount: cs.restartCount,
      image,
      imageID: image ? `skiff://image/${image}` : '',
      ...(cs.running ? { containerID: `skiff://${cs.running.record.pid}` } : cs.terminated?.containerID ? { containerID: cs.terminated.containerID } : {}),
      started: !!cs.running && cs.started,
    };
  }

  private phase(): PodPhase {
    const policy = this.pod.spec?.restartPolicy ?? 'Always';
    const regular = [...this.containers.values()].filter((c) => !c.init);
    if (!this.initDone) {
      const failedInit = [...this.containers.values()].some((c) => c.init && !c.running && c.terminated && c.terminated.exitCode !== 0);
      return failedInit && policy === 'Never' ? 'Failed' : 'Pending';
    }
    if (regular.some((c) => !c.running && !c.everStarted && !c.terminated)) return 'Pending';
    if (regular.some((c) => c.running)) return 'Running';
    // Everything has stopped.
    if (policy === 'Always') return 'Running';
    const failed = regular.some((c) => (c.terminated?.exitCode ?? 0) !== 0);
    if (failed) return policy === 'Never' ? 'Failed' : 'Running';
    return 'Succeeded';
  }

  private condition(type: string, ok: boolean, reason?: string): Condition {
    const status = ok ? 'True' : 'False';
    let t = this.transitions.get(type);
    if (!t || t.status !== status) {
      t = { status, at: rfc3339(this.deps.clock.now()) };
      this.transitions.set(type, t);
    }
    return { type, status, lastProbeTime: null, lastTransitionTime: t.at, ...(!ok && reason ? { reason } : {}) };
  }

  buildStatus(): PodStatus {
    const inits = [...this.containers.values()].filter((c) => c.init).map((c) => this.containerStatus(c));
    const regular = [...this.containers.values()].filter((c) => !c.init).map((c) => this.containerStatus(c));
    const allReady = regular.length > 0 && regular.every((s) => s.ready);
    const phase = this.terminating ? (this.pod.status?.phase ?? this.phase()) : this.phase();
    const terminal = phase === 'Succeeded' || phase === 'Failed';
    const containersReady = allReady && !this.terminating;
    const notReadyReason = terminal ? 'PodCompleted' : 'ContainersNotReady';
    const prevScheduled = this.pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    const status: PodStatus = {
      phase,
      conditions: [
        this.condition('PodReadyToStartContainers', !!this.sandbox),
        this.condition('Initialized', this.initDone, terminal ? 'PodCompleted' : 'ContainersNotInitialized'),
        this.condition('Ready', containersReady, notReadyReason),
        this.condition('ContainersReady', containersReady, notReadyReason),
        prevScheduled ?? this.condition('PodScheduled', true),
      ],
      hostIP: this.deps.network.nodeIP,
      hostIPs: [{ ip: this.deps.network.nodeIP }],
      ...(this.sandbox ? { podIP: this.sandbox.podIP, podIPs: [{ ip: this.sandbox.podIP }] } : {}),
      ...(this.startTimeMs !== undefined ? { startTime: rfc3339(this.startTimeMs) } : {}),
      ...(inits.length ? { initContainerStatuses: inits } : {}),
      containerStatuses: regular,
      qosClass: qosClass(this.pod),
    };
    return status;
  }

  /**
   * Patches pods/status when it changed. Coalesced: while this pod's patch still waits for a
   * write slot (api-writes.ts), later changes ride on it, because it takes the status of the
   * moment it is sent. In a burst a pod whose probe passes before its "Running, not ready"
   * patch went out so sends one patch instead of two, and the Ready one is not queued behind
   * the other pods' first patches.
   */
  private pushStatus(): Promise<void> {
    if (this.deleted) return Promise.resolve();
    if (this.statusWaiting && this.statusPatch) return this.statusPatch;
    if (JSON.stringify(this.buildStatus()) === this.lastStatus) return Promise.resolve();
    const send = async (): Promise<void> => {
      this.statusWaiting = false;
      if (this.deleted) return;
      const status = this.buildStatus();
      const text = JSON.stringify(status);
      if (text === this.lastStatus) return;
      this.lastStatus = text;
      const ready = status.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? 'ready' : 'notready';
      tracePhase(this.pod.metadata.name, `patch-sent-${ready}`);
      try {
        await this.deps.client.patch(PODS, this.pod.metadata.name!, this.pod.metadata.namespace, { status }, 'merge', { subresource: 'status' });
        tracePhase(this.pod.metadata.name, `patch-done-${ready}`);
      } catch (err) {
        this.lastStatus = '';
        if (isNotFound(err)) return;
        this.deps.log.warn({ pod: this.key, err: (err as Error).message }, 'status update failed');
        this.retryLater(1000);
      }
    };
    tracePhase(this.pod.metadata.name, 'patch-queued');
    this.statusWaiting = true;
    this.statusPatch = this.deps.writes ? this.deps.writes.run('status', send) : send();
    return this.statusPatch;
  }
}

export function qosClass(pod: Pod): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const all = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  let any = false;
  let guaranteed = all.length > 0;
  for (const c of all) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    for (const r of ['cpu', 'memory']) {
      if (lim[r] === undefined) guaranteed = false;
      else if (req[r] !== undefined && String(req[r]) !== String(lim[r])) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
