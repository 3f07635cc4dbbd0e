/** Per-pod state files (<data>/pods/<uid>/state.json), written atomically. */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerProcessRecord } from './runtime/process-runtime.js';

export interface Terminated {
  exitCode: number;
  signal?: number;
  reason: string;
  message?: string;
  startedAtMs?: number;
  finishedAtMs: number;
  containerID?: string;
}

/** What state.json holds: enough to adopt the pod's processes after an agent restart. */
export interface SavedPodState {
  namespace: string;
  name: string;
  uid: string;
  podIP?: string;
  netns?: string;
  ownNetwork?: boolean;
  startTimeMs?: number;
  initDone: boolean;
  containers: Record<
    string,
    {
      init: boolean;
      restartCount: number;
      terminated?: Terminated;
      lastTerminated?: Terminated;
      backoffMs: number;
      nextStartAtMs?: number;
      everStarted: boolean;
      record?: ContainerProcessRecord;
      ready?: boolean;
    }
  >;
}

export class PodStateStore {
  /** Pod dirs known to exist: a save is then one write and one rename, no mkdir. */
  private readonly made = new Set<string>();

  constructor(private readonly dataDir: string) {}

  private file(uid: string): string {
    return join(this.dataDir, 'pods', uid, 'state.json');
  }

  save(uid: string, state: SavedPodState): void {
    const f = this.file(uid);
    if (!this.made.has(uid)) {
      mkdirSync(join(this.dataDir, 'pods', uid), { recursive: true });
      this.made.add(uid);
    }
    writeFileSync(`${f}.tmp`, JSON.stringify(state));
    renameSync(`${f}.tmp`, f);
  }

  remove(uid: string): void {
    this.made.delete(uid);
    rmSync(join(this.dataDir, 'pods', uid), { recursive: true, force: true });
  }

  loadAll(): SavedPodState[] {
    const out: SavedPodState[] = [];
    let dirs: string[] = [];
    try {
      dirs = readdirSync(join(this.dataDir, 'pods'));
    } catch {
      return out;
    }
    for (const d of dirs) {
      try {
        out.push(JSON.parse(readFileSync(this.file(d), 'utf8')) as SavedPodState);
      } catch {
        /* no state (a pod dir of a pod that never got started): ignored */
      }
    }
    return out;
  }
}
