import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { BackendSyncResult, ProxyBackend, ProxySnapshot, ServicePortChange, ServicePortState } from '../types.js';

/**
 * Userspace mode for another network namespace. Sockets can only be opened inside the
 * namespace, but the API server may only be reachable from outside it (tests, or a node netns
 * that is not the host's). So the control plane (informers, change trackers, runner, metrics,
 * health checks) stays in the proxy process, and a child started inside the netns
 * (`command`, e.g. `ip netns exec NODE skiff proxy --userspace-dataplane`) runs a
 * UserspaceBackend fed over a pipe: one JSON line per sync, one JSON line back.
 */
interface SyncRequest {
  op: 'sync' | 'cleanup' | 'stop';
  ports?: ServicePortState[];
  changes?: ServicePortChange[];
  full?: boolean;
}

interface SyncReply {
  ok: boolean;
  rules?: number;
  error?: string;
}

export class NetnsUserspaceBackend implements ProxyBackend {
  readonly mode = 'userspace' as const;
  readonly usesConntrack = false;
  private child: ChildProcess | undefined;
  private replies: ((r: SyncReply) => void)[] = [];
  private stderr = '';

  /** `command`: argv of the dataplane child, started lazily on the first sync. */
  constructor(private readonly command: readonly string[]) {}

  private ensureChild(): ChildProcess {
    if (this.child && this.child.exitCode === null && !this.child.killed) return this.child;
    const child = spawn(this.command[0]!, this.command.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    child.stderr!.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const waiter = this.replies.shift();
      try {
        waiter?.(JSON.parse(line) as SyncReply);
      } catch {
        waiter?.({ ok: false, error: `bad reply: ${line}` });
      }
    });
    child.on('exit', (code) => {
      for (const w of this.replies.splice(0)) w({ ok: false, error: `dataplane exited ${code}: ${this.stderr.trim()}` });
    });
    child.stdin!.on('error', () => {});
    return child;
  }

  private call(req: SyncRequest): Promise<SyncReply> {
    const child = this.ensureChild();
    return new Promise((resolve) => {
      this.replies.push(resolve);
      child.stdin!.write(JSON.stringify(req) + '\n');
    });
  }

  async sync(snapshot: ProxySnapshot, changes: readonly ServicePortChange[], full: boolean): Promise<BackendSyncResult> {
    const r = await this.call({ op: 'sync', ports: [...snapshot.ports.values()], changes: [...changes], full });
    if (!r.ok) throw new Error(r.error ?? 'dataplane sync failed');
    return { rules: r.rules ?? 0 };
  }

  async cleanup(): Promise<void> {
    await this.shutdown('cleanup');
  }

  async stop(): Promise<void> {
    await this.shutdown('stop');
  }

  private async shutdown(op: 'cleanup' | 'stop'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    await this.call({ op });
    child.stdin!.end();
    await exited;
  }
}

/** The child side: reads requests from `input`, drives `backend`, answers on `output`; resolves after cleanup/stop. */
export async function serveDataplane(backend: ProxyBackend, input: Readable, output: Writable): Promise<void> {
  const reply = (r: SyncReply) => output.write(JSON.stringify(r) + '\n');
  for await (const line of createInterface({ input })) {
    let req: SyncRequest;
    try {
      req = JSON.parse(line) as SyncRequest;
    } catch {
      reply({ ok: false, error: 'bad request' });
      continue;
    }
    try {
      if (req.op === 'sync') {
        const ports = new Map((req.ports ?? []).map((p) => [p.id, p]));
        const r = await backend.sync({ nodeName: '', ports }, req.changes ?? [], req.full ?? true);
        reply({ ok: true, rules: r.rules });
      } else {
        if (req.op === 'cleanup') await backend.cleanup();
        else await backend.stop();
        reply({ ok: true });
        return;
      }
    } catch (err) {
      reply({ ok: false, error: (err as Error).message });
    }
  }
  await backend.stop();
}
