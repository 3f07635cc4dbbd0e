/** /proc helpers: identity of a process across agent restarts (pid + start time). */
import { readFileSync } from 'node:fs';

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot); undefined if gone or a zombie. */
export function procStartTicks(pid: number): number | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm (field 2) may contain spaces and parentheses: fields after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  if (rest[0] === 'Z' || rest[0] === 'X') return undefined;
  return Number(rest[19]);
}

/** Is this exact process (same pid and start time) still alive? */
export function processAlive(pid: number, startTicks?: number): boolean {
  const t = procStartTicks(pid);
  if (t === undefined) return false;
  return startTicks === undefined || t === startTicks;
}

/** Resident memory of a process group's members, in bytes (for metrics; best effort). */
export function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}
