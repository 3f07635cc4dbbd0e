import { spawn } from 'node:child_process';

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** Written to the child's stdin, then stdin is closed. */
  input?: string;
  /** Reject when the command exits non-zero (default true). */
  check?: boolean;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** Runs a program (no shell). Injected so that callers can be tested with a fake. */
export type Exec = (file: string, args: readonly string[], options?: ExecOptions) => Promise<ExecResult>;

export class ExecError extends Error {
  constructor(
    readonly command: string,
    readonly result: ExecResult,
  ) {
    super(`${command} exited ${result.code}: ${result.stderr.trim() || result.stdout.trim()}`);
    this.name = 'ExecError';
  }
}

export const realExec: Exec = (file, args, options = {}) =>
  new Promise((resolve, reject) => {
    const child = spawn(file, [...args], { env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    if (options.timeoutMs) timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const result = {
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      };
      if (result.code !== 0 && options.check !== false) reject(new ExecError([file, ...args].join(' '), result));
      else resolve(result);
    });
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });

/** Records calls and answers from a script; for unit tests of code that shells out. */
export class FakeExec {
  readonly calls: { file: string; args: string[]; input?: string }[] = [];
  constructor(private readonly respond: (file: string, args: readonly string[], input?: string) => Partial<ExecResult> = () => ({})) {}

  readonly exec: Exec = async (file, args, options = {}) => {
    this.calls.push({ file, args: [...args], input: options.input });
    const r = { code: 0, stdout: '', stderr: '', ...this.respond(file, args, options.input) };
    if (r.code !== 0 && options.check !== false) throw new ExecError([file, ...args].join(' '), r);
    return r;
  };
}
