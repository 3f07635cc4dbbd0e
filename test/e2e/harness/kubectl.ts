/**
 * Runs the real kubectl against a test cluster: its own KUBECONFIG and a temporary
 * --cache-dir, asynchronously (an in-process API server must keep serving meanwhile).
 * `version: '1.29'` runs /usr/lib/google-cloud-sdk/bin/kubectl.1.29 directly.
 */
import { runCommand, type CommandResult } from './run-command.js';
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

export type KubectlResult = CommandResult;

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
  return runCommand([bin, `--cache-dir=${o.cacheDir}`, ...args], {
    env: { ...process.env, KUBECONFIG: o.kubeconfig, HOME: o.cacheDir },
    input: o.input,
    timeoutMs: o.timeoutMs,
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
