/**
 * An `Exec` that runs commands through one long-lived `sh` instead of forking the caller.
 * Why: a fork of the agent (tens of MiB of page tables, then the child's exec) blocks its
 * event loop for ~1.5 ms per 50 MiB of RSS, more on a loaded machine; dash forks in ~0.2 ms.
 * A burst of pods is several such commands per pod.
 * Protocol: per call the caller writes `<dir>/<id>.cmd` (the argv, shell-quoted, after
 * `exec`) and `<id>.in` (stdin), then the line `<id>` to the server's stdin; the server runs
 * it in the background (`sh <id>.cmd <id>.in >id.out 2>id.err`) and answers `<id> <status>`
 * on its stdout, so calls run concurrently as with spawn. Calls with their own env or a
 * timeout go to the fallback Exec (nothing here needs them). If the server dies, calls in
 * flight fail and the next call starts a new one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { ExecError, realExec, type Exec, type ExecResult } from '../util/exec.js';

const SERVER = [
  'd=$1',
  'while read -r id; do',
  '  { sh "$d/$id.cmd" <"$d/$id.in" >"$d/$id.out" 2>"$d/$id.err"; echo "$id $?"; } &',
  'done',
].join('\n');

export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export class ShellExec {
  private child?: ChildProcess;
  private nextId = 0;
  private readonly waiting = new Map<string, (status: number) => void>();
  private buffered = '';

  constructor(
    /** Scratch directory for the per-call files (created; emptied as calls finish). */
    private readonly dir: string,
    private readonly fallback: Exec = realExec,
  ) {}

  readonly exec: Exec = async (file, args, options = {}) => {
    if (options.env || options.timeoutMs) return this.fallback(file, args, options);
    const id = `${process.pid}-${++this.nextId}`;
    const base = join(this.dir, id);
    const server = this.server();
    writeFileSync(`${base}.cmd`, `exec ${[file, ...args].map(shellQuote).join(' ')}\n`);
    writeFileSync(`${base}.in`, options.input ?? '');
    let status: number;
    try {
      status = await new Promise<number>((resolve, reject) => {
        this.waiting.set(id, resolve);
        this.holdLoop(true);
        server.stdin!.write(`${id}\n`, (err) => {
          if (err) {
            this.waiting.delete(id);
            reject(err);
          }
        });
      });
    } catch (err) {
      this.cleanup(base);
      throw err;
    }
    const result: ExecResult = { code: status, stdout: readOr(`${base}.out`), stderr: readOr(`${base}.err`) };
    this.cleanup(base);
    // 127: sh could not find the program (spawn's ENOENT).
    if (status === 127 && /not found/.test(result.stderr)) throw Object.assign(new Error(`spawn ${file} ENOENT`), { code: 'ENOENT' });
    if (result.code !== 0 && options.check !== false) throw new ExecError([file, ...args].join(' '), result);
    return result;
  };

  private server(): ChildProcess {
    if (this.child) return this.child;
    mkdirSync(this.dir, { recursive: true });
    const child = spawn('sh', ['-c', SERVER, 'skiff-shell-exec', this.dir], { stdio: ['pipe', 'pipe', 'ignore'] });
    this.child = child;
    child.stdin!.on('error', () => {});
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => {
      this.buffered += d;
      let i: number;
      while ((i = this.buffered.indexOf('\n')) >= 0) {
        const [id, status] = this.buffered.slice(0, i).split(' ');
        this.buffered = this.buffered.slice(i + 1);
        const done = this.waiting.get(id!);
        this.waiting.delete(id!);
        done?.(Number(status));
      }
      if (!this.waiting.size) this.holdLoop(false);
    });
    child.on('exit', () => {
      if (this.child === child) this.child = undefined;
      // Calls in flight lost their answer: report them as failed (status 1 is what ip uses).
      for (const [id, done] of this.waiting) {
        this.waiting.delete(id);
        done(255);
      }
    });
    // The agent may exit without close(): the server then sees EOF on stdin and ends.
    child.unref();
    (child.stdin as unknown as Socket).unref();
    (child.stdout as unknown as Socket).unref();
    return child;
  }

  /** Keeps the process alive only while calls wait for their answer (like a spawned child). */
  private holdLoop(on: boolean): void {
    const out = this.child?.stdout as unknown as Socket | undefined;
    if (on) out?.ref();
    else out?.unref();
  }

  private cleanup(base: string): void {
    for (const ext of ['cmd', 'in', 'out', 'err']) rmSync(`${base}.${ext}`, { force: true });
  }

  /** Ends the server (after the commands it runs finish); the scratch directory is removed. */
  close(): void {
    this.child?.stdin?.end();
    this.child = undefined;
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
