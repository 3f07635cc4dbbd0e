import type { EndpointSlice } from '../api/types.js';
import type { Clock } from '../util/clock.js';
import { serviceKey } from './service-change-tracker.js';
import type { EndpointInfo, ServicePortInfo } from './types.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const TRIGGER_TIME_ANNOTATION = 'endpoints.kubernetes.io/last-change-trigger-time';

/**
 * Records EndpointSlice changes per Service. For each changed Service it remembers the
 * earliest trigger time not yet programmed: the slice's `last-change-trigger-time`
 * annotation when present (set by the endpoints controller from the Pod/Service change),
 * else the time the event arrived. That time starts the network-programming-latency clock.
 */
export class EndpointsChangeTracker {
  private readonly slices = new Map<string, Map<string, EndpointSlice>>();
  private pending = new Map<string, number>();

  constructor(
    private readonly nodeName: string,
    private readonly clock: Clock,
  ) {}

  update(oldSlice: EndpointSlice | undefined, newSlice: EndpointSlice | undefined): void {
    const ref = newSlice ?? oldSlice;
    if (!ref) return;
    const svcName = ref.metadata.labels?.[SERVICE_NAME_LABEL];
    if (!svcName) return;
    const key = serviceKey(ref.metadata.namespace, svcName);
    const sliceName = ref.metadata.name ?? '';
    let bySlice = this.slices.get(key);
    if (newSlice && newSlice.addressType === 'IPv4') {
      if (!bySlice) this.slices.set(key, (bySlice = new Map()));
      bySlice.set(sliceName, newSlice);
    } else if (bySlice) {
      bySlice.delete(sliceName);
      if (bySlice.size === 0) this.slices.delete(key);
    }
    const trigger = triggerTime(newSlice ?? oldSlice) ?? this.clock.now();
    const prev = this.pending.get(key);
    if (prev === undefined || trigger < prev) this.pending.set(key, trigger);
  }

  /** Endpoints of one service port: slice ports matched by name and protocol; deduplicated by ip:port. */
  endpointsFor(key: string, port: ServicePortInfo): EndpointInfo[] {
    const bySlice = this.slices.get(key);
    if (!bySlice) return [];
    const seen = new Map<string, EndpointInfo>();
    for (const slice of bySlice.values()) {
      const sp = (slice.ports ?? []).find((p) => (p.name ?? '') === port.portName && (p.protocol ?? 'TCP') === port.protocol);
      if (!sp || sp.port === undefined) continue;
      for (const ep of slice.endpoints ?? []) {
        const ip = ep.addresses?.[0];
        if (!ip) continue;
        const c = ep.conditions ?? {};
        const ready = c.ready !== false;
        const info: EndpointInfo = {
          ip,
          port: sp.port,
          ready,
          serving: c.serving ?? ready,
          terminating: c.terminating ?? false,
          nodeName: ep.nodeName,
          isLocal: ep.nodeName !== undefined && ep.nodeName === this.nodeName,
        };
        const id = `${ip}:${sp.port}`;
        const had = seen.get(id);
        // The same endpoint in two slices (during a slice rebalance): trust the readier copy.
        if (!had || (!had.ready && info.ready)) seen.set(id, info);
      }
    }
    return [...seen.values()].sort(compareEndpoints);
  }

  /** Changed Service keys with the earliest unprogrammed trigger time of each. */
  takePending(): Map<string, number> {
    const p = this.pending;
    this.pending = new Map();
    return p;
  }

  /** Put trigger times back after a failed sync so the latency metric stays honest. */
  restorePending(p: Map<string, number>): void {
    for (const [k, t] of p) {
      const prev = this.pending.get(k);
      if (prev === undefined || t < prev) this.pending.set(k, t);
    }
  }
}

function triggerTime(slice: EndpointSlice | undefined): number | undefined {
  const v = slice?.metadata.annotations?.[TRIGGER_TIME_ANNOTATION];
  if (!v) return undefined;
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : undefined;
}

export function compareEndpoints(a: EndpointInfo, b: EndpointInfo): number {
  const x = ipNum(a.ip) - ipNum(b.ip);
  return x !== 0 ? x : a.port - b.port;
}

function ipNum(ip: string): number {
  const p = ip.split('.');
  return ((Number(p[0]) << 24) >>> 0) + (Number(p[1]) << 16) + (Number(p[2]) << 8) + Number(p[3]);
}
