// Statistics of paired runs for the throughput benchmark: the machine's 2 cores are shared
// with other work whose load drifts within seconds, so a path is compared with its reference
// run right beside it (a pair), and the spread over pairs is reported, not one ratio of medians.

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** "0.93x (0.81-1.02)": median and range of per-pair ratios. */
export function ratioSpread(ratios: readonly number[]): string {
  if (ratios.length === 0) return 'n/a';
  return `${median(ratios).toFixed(2)}x (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})`;
}

/** "3/5": how many pairs reached the target ratio. */
export function pairsMeeting(ratios: readonly number[], target: number): string {
  return `${ratios.filter((r) => r >= target).length}/${ratios.length}`;
}

/** Which of the two runs of pair `k` of a row goes first: alternating, so neither side always gets the later (drifting) slot. */
export function referenceFirst(round: number, row: number): boolean {
  return (round + row) % 2 === 0;
}
