/**
 * Optional per-pod phase trace for the start-up benchmark: with SKIFF_TRACE_FILE set, each
 * call appends `<epoch ms with µs> <pod> <phase>` to that file. Off (one branch) otherwise.
 */
import { appendFileSync } from 'node:fs';

const file = process.env.SKIFF_TRACE_FILE;

export function tracePhase(pod: string | undefined, phase: string): void {
  if (!file) return;
  appendFileSync(file, `${(performance.timeOrigin + performance.now()).toFixed(3)} ${pod ?? '-'} ${phase}\n`);
}

/** Event-loop stalls over 4 ms, as `lag <ms>` lines (what forks and sync work cost the loop). */
export function traceLoopLag(): void {
  if (!file) return;
  let last = performance.now();
  const t = setInterval(() => {
    const now = performance.now();
    const lag = now - last - 5;
    if (lag > 4) tracePhase('-', `lag ${lag.toFixed(1)}`);
    last = now;
  }, 5);
  t.unref();
}
