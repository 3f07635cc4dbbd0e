/**
 * Runs the real kubectl against a test cluster: its own KUBECONFIG and a temporary
 * --cache-dir, asynchronously (an in-process API server must keep serving meanwhile).
 * `version: '1.29'` runs /usr/lib/google-cloud-sdk/bin/kubectl.1.29 directly.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const KUBECTL_DIR = '/usr/lib/google-cloud-sdk/bin';
export const KUBECTL_MINORS = [27, 28, 29, 30, 31, 32, 33];

export function kubectlPath(version?: string): string | undefined {
  if (version) {
    const p = join(KUBECTL_DIR, `kubectl.${version}`);
    return existsSync(p) ? p : undefined;
  }
  const p = join(KUBECTL_DIR, 'kubectl');
  return existsSync(p) ? p : undefined;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubectlOptions {
  kubeconfig: string;
  cacheDir: string;
  version?: string;
  input?: string;
  timeoutMs?: number;
}

export function kubectl(args: readonly string[], o: KubectlOptions): Promise<KubectlResult> {
  const bin = kubectlPath(o.version);
  if (!bin) return Promise.reject(new Error(`kubectl ${o.version ?? ''} not installed under ${KUBECTL_DIR}`));
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [`--cache-dir=${o.cacheDir}`, ...args], {
      env: { ...process.env, KUBECONFIG: o.kubeconfig, HOME: o.cacheDir },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 30_000);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(o.input ?? '');
  });
}

/** A kubectl bound to one cluster and cache dir; throws with stderr when the exit code is not 0. */
export function kubectlFor(kubeconfig: string, cacheDir: string, version?: string) {
  const run = (args: readonly string[], input?: string) => kubectl(args, { kubeconfig, cacheDir, version, input });
  const ok = async (args: readonly string[], input?: string): Promise<string> => {
    const r = await run(args, input);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  return { run, ok };
}
