/** Polls a condition with a deadline (tests never sleep a fixed time waiting for state). */
export interface PollOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Shown in the timeout error. */
  what?: string;
}

export async function pollUntil<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, o: PollOptions = {}): Promise<T> {
  const deadline = Date.now() + (o.timeoutMs ?? 10_000);
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${o.what ?? 'condition'}${lastErr ? `: ${String(lastErr)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, o.intervalMs ?? 50));
  }
}
