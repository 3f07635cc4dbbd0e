/**
 * The process runtime: a container is a process group started detached (its own session),
 * through a small /bin/sh wrapper that, before the command runs,
 *   - writes itself into the container's cgroups (so limits apply from the first byte),
 *   - makes the log FIFO and points stdout+stderr at it, sets the pod hostname (inside the UTS
 *     namespace `unshare --uts` made for it), changes to workingDir,
 * then runs the command as its child and writes the exit code to a file when it ends. The
 * wrapper stays as the group leader (the "shim"): it traps SIGTERM & co. with a no-op so a
 * signal to the group reaches the command and the wrapper still records how it ended, which
 * keeps exit codes known even for processes a restarted agent adopted (they are no longer its
 * children). Full argv in netns mode:
 *   ip netns exec <pod-netns> unshare --uts sh -c WRAPPER skiff-shim ARGS... -- command args...
 * `ip netns exec` neither forks nor leaves a process behind (verified: same pid), and it
 * bind-mounts /etc/netns/<ns>/{resolv.conf,hosts} in a private mount namespace: the pod's
 * resolver. The pid returned is the wrapper's = the process group id = containerID.
 *
 * The agent forks exactly once per container start, because a fork of the agent blocks its
 * event loop for ~1.5 ms per 50 MiB of RSS (what made a burst of pods slow):
 *   - the cgroup.procs files are opened by the agent and inherited as fds 3, 4; the wrapper
 *     writes its pid into them (`ip netns exec` remounts /sys, so it could not open them
 *     itself) and closes them;
 *   - the wrapper makes the FIFO itself (mkfifo forked by sh is cheap), says so on its stdout
 *     (a pipe to the agent), then opens the FIFO write-only, which blocks until the agent has
 *     opened it: no output can be written before the agent reads, so none is lost even when
 *     the command exits at once. Then it re-opens it read-write (see container-log.ts).
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { accessSync, closeSync, constants as fsc, openSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { CgroupLimits, CgroupManager } from './cgroups.js';
import { LogPump } from './container-log.js';
import { procStartTicks, processAlive } from './proc.js';

/** First fd the cgroup.procs files are inherited on (0-2 are stdio). */
const CGROUP_FD_BASE = 3;

export const WRAPPER = [
  'hn=$1; out=$2; ef=$3; wd=$4; cg=$5; shift 5',
  // $cg lists the inherited cgroup.procs fds: join each, then close it (the command never sees them).
  'for fd in $cg; do eval "echo \\$\\$ >&$fd && exec $fd>&-" || exit 126; done',
  '[ -p "$out" ] || mkfifo -m 0600 "$out" || exit 126',
  // Tell the agent the FIFO exists; the write-only open waits for the agent to open it. An
  // agent that died meanwhile must not kill the shim with SIGPIPE (the next agent adopts it
  // and opens the FIFO); the command gets SIGPIPE's default back.
  "trap '' PIPE; echo fifo; trap - PIPE",
  'exec 1>"$out"',
  'exec 1<>"$out" 2>&1 </dev/null',
  // /proc/sys/kernel/hostname belongs to the UTS namespace: a redirection, no `hostname` process.
  'if [ -n "$hn" ]; then echo "$hn" > /proc/sys/kernel/hostname || exit 126; fi',
  'if [ -n "$wd" ]; then cd "$wd" || exit 126; fi',
  'trap : TERM INT HUP QUIT USR1 USR2',
  '"$@" &',
  'c=$!',
  'while :; do wait $c; rc=$?; kill -0 $c 2>/dev/null || break; done',
  'echo $rc > "$ef"',
  'exit $rc',
].join('\n');

export interface ContainerStartSpec {
  podUID: string;
  container: string;
  /** Instance number (= restartCount at start): names the log file. */
  instance: number;
  argv: string[];
  env: Record<string, string>;
  workingDir?: string;
  /** Prefix entering the pod's network namespace (`ip netns exec NS`), [] for none. */
  enter: string[];
  /** Set this hostname in a new UTS namespace (pods with their own network); undefined = leave. */
  hostname?: string;
  limits: CgroupLimits;
}

/** What is persisted so that a restarted agent can adopt the process. */
export interface ContainerProcessRecord {
  pid: number;
  startTicks?: number;
  startedAtMs: number;
  instance: number;
  logPath: string;
  fifoPath: string;
  exitFile: string;
  oomBaseline: number;
}

export interface ContainerExit {
  exitCode: number;
  /** Signal number when the wrapper itself was killed (e.g. 9). */
  signal?: number;
  reason: 'Completed' | 'Error' | 'OOMKilled';
  finishedAtMs: number;
}

export class StartError extends Error {
  constructor(
    message: string,
    readonly reason: 'ContainerCannotRun' | 'RunContainerError',
  ) {
    super(message);
    this.name = 'StartError';
  }
}

export interface RuntimeOptions {
  dataDir: string;
  cgroups?: CgroupManager;
  /** How often adopted (non-child) processes are checked for liveness. */
  adoptPollMs?: number;
  now?: () => number;
}

interface Running {
  record: ContainerProcessRecord;
  podUID: string;
  container: string;
  child?: ChildProcess;
  pump: LogPump;
  exited: Promise<ContainerExit>;
  poll?: NodeJS.Timeout;
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15, SIGUSR1: 10, SIGUSR2: 12 };

export class ProcessRuntime {
  private readonly running = new Map<string, Running>();
  private readonly now: () => number;

  constructor(private readonly opts: RuntimeOptions) {
    this.now = opts.now ?? Date.now;
  }

  private key(podUID: string, container: string): string {
    return `${podUID}/${container}`;
  }

  podDir(podUID: string): string {
    return join(this.opts.dataDir, 'pods', podUID);
  }

  logDir(podUID: string, container: string): string {
    return join(this.podDir(podUID), 'logs', container);
  }

  /** Path of instance N's log (exists or not). */
  logPath(podUID: string, container: string, instance: number): string {
    return join(this.logDir(podUID, container), `${instance}.log`);
  }

  /** Instances that have a log file, ascending. */
  logInstances(podUID: string, container: string): number[] {
    try {
      return readdirSync(this.logDir(podUID, container))
        .filter((f) => /^\d+\.log$/.test(f))
        .map((f) => Number(f.slice(0, -4)))
        .sort((a, b) => a - b);
    } catch {
      return [];
    }
  }

  /** Fails fast (no process) when the command cannot be found or executed. */
  private checkCommand(spec: ContainerStartSpec): void {
    const cmd = spec.argv[0];
    if (!cmd) throw new StartError('no command specified', 'ContainerCannotRun');
    if (spec.workingDir) {
      try {
        if (!statSync(spec.workingDir).isDirectory()) throw new Error();
      } catch {
        throw new StartError(`chdir to cwd ("${spec.workingDir}") set in config.json failed: no such file or directory`, 'RunContainerError');
      }
    }
    const candidates = cmd.includes('/')
      ? [isAbsolute(cmd) ? cmd : join(spec.workingDir ?? process.cwd(), cmd)]
      : (spec.env.PATH ?? process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':').map((d) => join(d || '.', cmd));
    for (const c of candidates) {
      try {
        if (!statSync(c).isFile()) continue;
        accessSync(c, fsc.X_OK);
        return;
      } catch {
        /* next */
      }
    }
    throw new StartError(
      `failed to create containerd task: exec: "${cmd}": ${cmd.includes('/') ? 'stat ' + cmd + ': no such file or directory' : 'executable file not found in $PATH'}`,
      'ContainerCannotRun',
    );
  }

  async start(spec: ContainerStartSpec): Promise<ContainerProcessRecord> {
    this.checkCommand(spec);
    const key = this.key(spec.podUID, spec.container);
    if (this.running.has(key)) throw new Error(`container ${key} is already running`);
    const runDir = join(this.podDir(spec.podUID), 'run');
    const logDir = this.logDir(spec.podUID, spec.container);
    const fifoPath = join(runDir, `${spec.container}.${spec.instance}.fifo`);
    const exitFile = join(runDir, `${spec.container}.${spec.instance}.exit`);
    const logPath = this.logPath(spec.podUID, spec.container, spec.instance);
    // Asynchronous (the thread pool, not the agent's loop): the data dir is on the disk.
    await Promise.all([mkdir(runDir, { recursive: true }), mkdir(logDir, { recursive: true })]);
    await Promise.all([rm(fifoPath, { force: true }), rm(exitFile, { force: true }), rm(logPath, { force: true })]);
    this.pruneLogs(spec.podUID, spec.container, spec.instance);
    const pump = new LogPump(fifoPath, logPath, this.now);

    let cgroupFds: number[] = [];
    let oomBaseline = 0;
    if (this.opts.cgroups) {
      const cg = await this.opts.cgroups.create(spec.podUID, spec.container, spec.limits);
      cgroupFds = cg.procsFiles.map((f) => openSync(f, fsc.O_WRONLY));
      oomBaseline = this.opts.cgroups.oomKills(spec.podUID, spec.container);
    }
    const fdList = cgroupFds.map((_, i) => CGROUP_FD_BASE + i).join(' ');
    const shim = ['sh', '-c', WRAPPER, 'skiff-shim', spec.hostname ?? '', fifoPath, exitFile, spec.workingDir ?? '', fdList, ...spec.argv];
    const argv = [...spec.enter, ...(spec.hostname !== undefined ? ['unshare', '--uts'] : []), ...shim];
    const stdio: StdioOptions = ['ignore', 'pipe', 'ignore', ...cgroupFds];
    const startedAtMs = this.now();
    let child: ChildProcess;
    try {
      child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio, env: spec.env });
    } finally {
      for (const fd of cgroupFds) closeSync(fd);
    }
    child.unref();
    // The wrapper's "fifo" line: open our end now (its write-only open is waiting for it).
    // start() resolves after that, so "running" means the command is being started (an agent
    // killed right after still leaves a running container), or once the wrapper ended early.
    const signal = child.stdout!;
    signal.on('error', () => {});
    const fifoOpen = new Promise<void>((resolve) => {
      signal.once('data', () => {
        signal.destroy();
        try {
          pump.start();
        } catch {
          /* the FIFO went away: the container's output is lost, it still runs */
        }
        resolve();
      });
      signal.once('close', () => resolve());
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('spawn', () => resolve(child.pid!));
      child.once('error', (e) => reject(new StartError(`failed to start: ${e.message}`, 'RunContainerError')));
    }).catch(async (e: Error) => {
      await pump.finish();
      throw e;
    });
    const record: ContainerProcessRecord = { pid, startTicks: procStartTicks(pid), startedAtMs, instance: spec.instance, logPath, fifoPath, exitFile, oomBaseline };
    const exited = new Promise<ContainerExit>((resolve) => {
      child.once('exit', (code, signal) => {
        resolve(this.finish(spec.podUID, spec.container, record, code ?? (signal ? 128 + (SIGNALS[signal] ?? 0) : 1), signal ? SIGNALS[signal] : undefined));
      });
    });
    this.running.set(key, { record, podUID: spec.podUID, container: spec.container, child, pump, exited });
    await fifoOpen;
    return record;
  }

  private async finish(podUID: string, container: string, record: ContainerProcessRecord, wrapperCode: number, signal?: number): Promise<ContainerExit> {
    const r = this.running.get(this.key(podUID, container));
    let exitCode = wrapperCode;
    try {
      exitCode = Number(readFileSync(record.exitFile, 'utf8').trim());
    } catch {
      /* the wrapper died before writing it (SIGKILL to the group): keep its own status */
    }
    const finishedAtMs = this.now();
    let reason: ContainerExit['reason'] = exitCode === 0 ? 'Completed' : 'Error';
    if (this.opts.cgroups && exitCode === 137 && this.opts.cgroups.oomKills(podUID, container) > record.oomBaseline) reason = 'OOMKilled';
    // The container ends with its wrapper: whatever is left of its process group (the command,
    // when the wrapper itself was killed) goes too, and so do processes that left the group
    // but stayed in the cgroup.
    killQuiet(-record.pid, 'SIGKILL');
    if (this.opts.cgroups) for (const pid of this.opts.cgroups.pids(podUID, container)) killQuiet(pid, 'SIGKILL');
    await r?.pump.finish();
    if (r?.poll) clearInterval(r.poll);
    this.running.delete(this.key(podUID, container));
    rmSync(record.fifoPath, { force: true });
    rmSync(record.exitFile, { force: true });
    return { exitCode, signal, reason, finishedAtMs };
  }

  /**
   * Re-attaches to a container started by an earlier agent. Returns false when the process is
   * gone (the caller then treats the container as exited; `lastExit` tells how if known).
   */
  adopt(podUID: string, container: string, record: ContainerProcessRecord): boolean {
    if (!processAlive(record.pid, record.startTicks)) return false;
    const key = this.key(podUID, container);
    if (this.running.has(key)) return true;
    const pump = new LogPump(record.fifoPath, record.logPath, this.now);
    try {
      pump.start();
    } catch {
      /* FIFO gone: logs are lost from here on, the process is still adopted */
    }
    let resolveExit!: (e: ContainerExit) => void;
    const exited = new Promise<ContainerExit>((r) => (resolveExit = r));
    const running: Running = { record, podUID, container, pump, exited };
    running.poll = setInterval(() => {
      if (processAlive(record.pid, record.startTicks)) return;
      clearInterval(running.poll);
      // No exit file = killed with the group before it could write one: report SIGKILL.
      void this.finish(podUID, container, record, 137, 9).then(resolveExit);
    }, this.opts.adoptPollMs ?? 500);
    running.poll.unref();
    this.running.set(key, running);
    return true;
  }

  /** The exit code an adopted-but-dead container left behind, if its wrapper wrote one. */
  readExitFile(record: ContainerProcessRecord): number | undefined {
    try {
      return Number(readFileSync(record.exitFile, 'utf8').trim());
    } catch {
      return undefined;
    }
  }

  isRunning(podUID: string, container: string): boolean {
    return this.running.has(this.key(podUID, container));
  }

  record(podUID: string, container: string): ContainerProcessRecord | undefined {
    return this.running.get(this.key(podUID, container))?.record;
  }

  /** Resolves when the container's process ends (immediately-settled if not running). */
  waitExit(podUID: string, container: string): Promise<ContainerExit> | undefined {
    return this.running.get(this.key(podUID, container))?.exited;
  }

  signal(podUID: string, container: string, sig: NodeJS.Signals): void {
    const r = this.running.get(this.key(podUID, container));
    if (r) killQuiet(-r.record.pid, sig);
  }

  /**
   * SIGTERM to the whole group, SIGKILL after `graceMs`. Resolves with how it ended, or
   * undefined if it was not running.
   */
  async stop(podUID: string, container: string, graceMs: number): Promise<ContainerExit | undefined> {
    const r = this.running.get(this.key(podUID, container));
    if (!r) return undefined;
    killQuiet(-r.record.pid, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        killQuiet(-r.record.pid, 'SIGKILL');
        if (this.opts.cgroups) for (const pid of this.opts.cgroups.pids(podUID, container)) killQuiet(pid, 'SIGKILL');
        resolve();
      }, Math.max(0, graceMs));
    });
    await Promise.race([r.exited, killed]);
    const exit = await r.exited;
    clearTimeout(timer);
    return exit;
  }

  /**
   * Starts `argv` inside a running container's namespaces (network, UTS, mount: the same
   * resolv.conf/hosts/hostname): `nsenter --target <shim pid> -n -u -m`. Without root the
   * command runs directly (host mode shares everything anyway). With `tty`, `script` gives the
   * command a pseudo-terminal of the client's first size (later resizes are not applied).
   */
  spawnIn(
    podUID: string,
    container: string,
    argv: string[],
    opts: { env: Record<string, string>; cwd?: string; tty?: boolean; size?: { width: number; height: number } },
  ): ChildProcess {
    const r = this.running.get(this.key(podUID, container));
    if (!r) throw new Error(`container ${container} is not running`);
    let cmd = argv;
    if (opts.tty) {
      // The pty `script` creates starts at the client's size (sent before the command starts).
      const stty = opts.size ? `stty cols ${opts.size.width} rows ${opts.size.height} 2>/dev/null; ` : '';
      cmd = ['script', '-q', '-f', '-e', '-c', `${stty}exec ${argv.map(shellQuote).join(' ')}`, '/dev/null'];
    }
    const useNsenter = process.getuid?.() === 0;
    const full = useNsenter ? ['nsenter', '-t', String(r.record.pid), '-n', '-u', '-m', ...(opts.cwd ? [`--wd=${opts.cwd}`] : []), '--', ...cmd] : cmd;
    const env = opts.tty ? { TERM: 'xterm', ...opts.env } : opts.env;
    return spawn(full[0]!, full.slice(1), { env, cwd: useNsenter ? undefined : opts.cwd, stdio: 'pipe' });
  }

  /** Runs a command in the container to completion (exec probes, exec preStop). code -1 = timed out. */
  execIn(podUID: string, container: string, argv: string[], opts: { env: Record<string, string>; cwd?: string; timeoutMs: number }): Promise<{ code: number; output: string }> {
    return new Promise((resolve) => {
      let child: ChildProcess;
      try {
        child = this.spawnIn(podUID, container, argv, opts);
      } catch (e) {
        resolve({ code: 126, output: (e as Error).message });
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      const keep = (d: Buffer): void => {
        if (size < 10240) chunks.push(d);
        size += d.length;
      };
      child.stdout!.on('data', keep);
      child.stderr!.on('data', keep);
      child.stdin!.on('error', () => {});
      child.stdin!.end();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, opts.timeoutMs);
      child.on('error', (e) => {
        clearTimeout(timer);
        resolve({ code: 126, output: e.message });
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code: timedOut ? -1 : (code ?? (signal ? 128 + (SIGNALS[signal] ?? 0) : 1)), output: Buffer.concat(chunks).toString() });
      });
    });
  }

  /** Agent shutdown leaving containers running (adopted by the next agent). */
  detachAll(): void {
    for (const r of this.running.values()) {
      if (r.poll) clearInterval(r.poll);
      r.child?.removeAllListeners('exit');
      r.pump.detach();
    }
    this.running.clear();
  }

  /** SIGKILL to every container's group (tests' cleanup; emergency stop). */
  killAll(): void {
    for (const r of this.running.values()) killQuiet(-r.record.pid, 'SIGKILL');
  }

  /** Deletes all but the newest log before `instance` (kept for --previous). */
  private pruneLogs(podUID: string, container: string, instance: number): void {
    const older = this.logInstances(podUID, container).filter((i) => i < instance);
    for (const i of older.slice(0, -1)) rmSync(this.logPath(podUID, container, i), { force: true });
  }

  /** Removes the pod's files and cgroups (all its containers must be stopped). */
  removePod(podUID: string): void {
    this.opts.cgroups?.removePod(podUID);
    rmSync(this.podDir(podUID), { recursive: true, force: true });
  }
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function killQuiet(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}
