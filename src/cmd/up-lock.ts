/**
 * One `skiff up` per data dir: a lock file holding the owner's pid. A lock left by a dead
 * process (kill -9, power loss) is taken over; a live owner makes the second start fail
 * with a message that names it.
 */
import { openSync, writeSync, closeSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly ownerPid: number,
  ) {
    super(`another skiff is already running on data dir ${dataDir} (pid ${ownerPid}); stop it first or use another --data-dir`);
    this.name = 'DataDirLockedError';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock or throws DataDirLockedError; returns the release function. */
export function lockDataDir(dataDir: string, pid = process.pid): () => void {
  const path = join(dataDir, 'skiff.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${pid}\n`);
      closeSync(fd);
      return () => {
        try {
          if (Number(readFileSync(path, 'utf8').trim()) === pid) unlinkSync(path);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== pid && alive(owner)) throw new DataDirLockedError(dataDir, owner);
      unlinkSync(path); // stale: its owner is gone
    }
  }
  throw new Error(`could not take the lock ${path}`);
}
