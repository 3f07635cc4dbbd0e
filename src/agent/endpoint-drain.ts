/**
 * Take the endpoint out before stopping the process: when a pod is deleted, the agent waits
 * until no EndpointSlice lists the pod's IP as ready any more (the endpoints controller marks
 * it terminating as soon as the deletion is recorded), then a short settle time for proxies to
 * apply the change, and only then runs preStop and SIGTERM. Kubernetes sends SIGTERM at once
 * and loses the requests that proxies still steer to the dying pod (users add `preStop: sleep`
 * to every Deployment to hide it); Skiff does the waiting itself, bounded so a missing
 * controller or proxy never holds a deletion for long.
 */
import type { EndpointSlice } from '../api/types.js';
import type { Informer } from '../client/types.js';
import type { Clock } from '../util/clock.js';

export interface EndpointDrainOptions {
  slices: Informer<EndpointSlice>;
  clock: Clock;
  /** After the endpoint left every slice's ready set: time for proxies to sync (default 1 s). */
  settleMs?: number;
  /** How often the slices are re-checked while waiting (default 20 ms). */
  pollMs?: number;
}

export class EndpointDrain {
  constructor(private readonly o: EndpointDrainOptions) {}

  /** True when some slice lists `ip` with ready unset or true. */
  isReadyEndpoint(ip: string): boolean {
    for (const slice of this.o.slices.store.list()) {
      for (const ep of slice.endpoints ?? []) {
        if (ep.conditions?.ready !== false && ep.addresses?.includes(ip)) return true;
      }
    }
    return false;
  }

  /**
   * Resolves once `ip` is no ready endpoint anywhere plus the settle time, or after `maxMs`.
   * A pod that was no ready endpoint to begin with is not held at all.
   */
  async drain(ip: string, maxMs: number): Promise<void> {
    if (maxMs <= 0 || !this.isReadyEndpoint(ip)) return;
    const { clock } = this.o;
    const deadline = clock.now() + maxMs;
    const sleep = (ms: number) => new Promise<void>((r) => clock.setTimeout(r, ms));
    while (this.isReadyEndpoint(ip) && clock.now() < deadline) await sleep(this.o.pollMs ?? 20);
    const settle = Math.min(this.o.settleMs ?? 1000, Math.max(0, deadline - clock.now()));
    if (settle > 0) await sleep(settle);
  }
}
