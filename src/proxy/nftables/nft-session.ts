import { spawn, type ChildProcess } from 'node:child_process';

/**
 * A long-lived `nft -i` for incremental syncs: starting nsenter + nft for every change costs
 * more than the change itself (two fork/execs; on a loaded machine, several scheduler
 * rounds). In interactive mode each input line is one transaction (atomic, like `nft -f`).
 * nft prints nothing on success, so every transaction is followed by a sentinel command that
 * fails with a unique name (`list table ip skiff_sentinel_N`); everything nft printed on
 * stderr before the sentinel's own error belongs to the transaction. The sentinel is a read
 * on purpose: a failing *write* (`delete table ...`) aborts a kernel batch, and the abort path
 * waits for an RCU grace period (measured 8-18 ms here, more than the transaction itself);
 * a failed `list` is a netlink dump, no batch.
 * Full syncs (megabytes) and deltas past SESSION_MAX_CHARS (nftables-backend.ts) still go
 * through `nft -f -`: nft -i reads its input one byte per read(2).
 */
export class NftSession {
  private child: ChildProcess | undefined;
  private seq = 0;
  private stderr = '';
  private waiting: { token: string; resolve: (errorText: string) => void; reject: (e: Error) => void } | undefined;

  /** `argv`: how to start `nft -i` (e.g. `['nsenter', '--net=/run/netns/X', 'nft', '-i']`). */
  constructor(private readonly argv: readonly string[]) {}

  private ensure(): ChildProcess {
    if (this.child && this.child.exitCode === null && !this.child.killed) return this.child;
    const child = spawn(this.argv[0]!, this.argv.slice(1), { stdio: ['pipe', 'ignore', 'pipe'] });
    this.child = child;
    this.stderr = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      this.stderr += d;
      this.check();
    });
    child.on('exit', () => {
      const w = this.waiting;
      this.waiting = undefined;
      this.child = undefined;
      w?.reject(new Error(`nft -i exited: ${this.stderr.trim().slice(-500)}`));
    });
    child.on('error', (e) => {
      const w = this.waiting;
      this.waiting = undefined;
      w?.reject(e);
    });
    child.stdin!.on('error', () => {});
    return child;
  }

  private check(): void {
    const w = this.waiting;
    if (!w) return;
    const i = this.stderr.indexOf(w.token);
    if (i < 0) return;
    const lineEnd = this.stderr.indexOf('\n', this.stderr.indexOf('\n', i) + 1); // the command echo, then the caret line
    if (lineEnd < 0) return;
    const before = this.stderr.slice(0, i);
    this.stderr = this.stderr.slice(lineEnd + 1);
    // Drop the sentinel's own "Error: ..." line (the last line before its echo).
    const lines = before.split('\n');
    lines.pop(); // partial line holding the echo's start
    lines.pop(); // the sentinel's Error: line
    this.waiting = undefined;
    w.resolve(lines.join('\n').trim());
  }

  /** Runs `text` (newline-separated nft commands) as one transaction; throws with nft's message on failure. */
  run(text: string, timeoutMs = 10_000): Promise<void> {
    if (this.waiting) return Promise.reject(new Error('nft session busy'));
    const child = this.ensure();
    const token = `skiff_sentinel_${++this.seq}`;
    const oneLine = text.trim().split('\n').join('; ');
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        this.close();
        reject(new Error('nft -i did not answer'));
      }, timeoutMs);
      this.waiting = {
        token,
        resolve: (errorText) => {
          clearTimeout(timer);
          if (errorText) reject(new Error(`nft: ${errorText}`));
          else resolve();
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      child.stdin!.write(`${oneLine}\nlist table ip ${token}\n`);
    });
  }

  /** The nft process (for CPU accounting), once started. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  close(): void {
    this.child?.stdin?.end();
    this.child?.kill('SIGTERM');
    this.child = undefined;
  }
}
