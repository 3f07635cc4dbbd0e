/** Shared pieces of the controller benchmarks: a skiff server process, a controllers process, stats. */
import { spawn, type ChildProcess } from 'node:child_process';
import { startSkiffServer, REPO_ROOT, type TestServer } from '../../test/e2e/harness/skiff-server.js';

export interface Cleanup {
  after(fn: () => unknown): void;
  run(): Promise<void>;
}

export function cleanups(): Cleanup {
  const fns: Array<() => unknown> = [];
  return {
    after: (fn) => fns.push(fn),
    run: async () => {
      for (const fn of fns.reverse()) await fn();
    },
  };
}

export async function startServer(c: Cleanup): Promise<TestServer> {
  return startSkiffServer(c, { storage: 'sqlite', timeoutMs: 60_000 });
}

/** `skiff controllers` in its own process (so the load generator does not share its event loop). */
export function startControllers(c: Cleanup, kubeconfig: string, args: string[]): ChildProcess {
  const argv = ['controllers', '--kubeconfig', kubeconfig, ...args];
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', `import('./src/cmd/main.ts').then(m => m.main(${JSON.stringify(argv)})).then(c => { process.exitCode = c; })`], {
    cwd: REPO_ROOT,
    env: { ...process.env, SKIFF_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  c.after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  });
  return child;
}

/** Runs `fn(i)` for i in [0, n) with at most `concurrency` in flight. */
export async function pool(n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function fmt(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms.toFixed(1);
}
