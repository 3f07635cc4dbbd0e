/**
 * Resource arithmetic the scheduler needs: cpu in millicores, memory in bytes, from Kubernetes
 * quantities (`100m`, `0.5`, `64Mi`, `1G`, `1e3`). Kept local until a shared quantity parser
 * exists in api/.
 */
import type { Pod, Quantity } from '../api/types.js';

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** The quantity's value as a plain number (cores for cpu, bytes for memory); NaN if malformed. */
export function quantityValue(q: Quantity | undefined): number {
  if (q === undefined || q === null) return 0;
  if (typeof q === 'number') return q;
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei)|([numkMGTPE]?))$/.exec(q.trim());
  if (!m) return NaN;
  const n = Number(m[1]);
  if (m[2]) return n * 10 ** Number(m[2].slice(1));
  if (m[3]) return n * BINARY[m[3]];
  return n * DECIMAL[m[4] ?? ''];
}

export function cpuMillis(q: Quantity | undefined): number {
  return Math.ceil(quantityValue(q) * 1000 - 1e-9);
}

export function memoryBytes(q: Quantity | undefined): number {
  return Math.ceil(quantityValue(q) - 1e-9);
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
