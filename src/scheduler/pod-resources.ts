/**
 * Resource arithmetic the scheduler needs: cpu in millicores, memory in bytes, from Kubernetes
 * quantities (`100m`, `0.5`, `64Mi`, `1G`, `1e3`) parsed exactly by api/quantity.ts.
 */
import { toBytes, toMillis } from '../api/quantity.js';
import type { Pod, Quantity } from '../api/types.js';

/** CPU in millicores (rounded up); NaN if malformed. */
export function cpuMillis(q: Quantity | undefined): number {
  if (q === undefined || q === null) return 0;
  try {
    return toMillis(q);
  } catch {
    return NaN;
  }
}

/** Memory in bytes (rounded up); NaN if malformed. */
export function memoryBytes(q: Quantity | undefined): number {
  if (q === undefined || q === null) return 0;
  try {
    return toBytes(q);
  } catch {
    return NaN;
  }
}

export interface ResourceVector {
  cpuMillis: number;
  memoryBytes: number;
  pods: number;
}

/** A pod's requests: the sum over containers, at least the largest init container (as Kubernetes computes it). */
export function podRequests(pod: Pod): ResourceVector {
  let cpu = 0;
  let mem = 0;
  for (const c of pod.spec?.containers ?? []) {
    const r = { ...c.resources?.limits, ...c.resources?.requests };
    cpu += cpuMillis(r.cpu);
    mem += memoryBytes(r.memory);
  }
  for (const c of pod.spec?.initContainers ?? []) {
    const r = { ...c.resources?.limits, ...c.resources?.requests };
    cpu = Math.max(cpu, cpuMillis(r.cpu));
    mem = Math.max(mem, memoryBytes(r.memory));
  }
  return { cpuMillis: cpu, memoryBytes: mem, pods: 1 };
}
