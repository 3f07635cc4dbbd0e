/**
 * Service admission: ClusterIPs from --service-cidr, NodePorts from --node-port-range and
 * healthCheckNodePort for LoadBalancer Services with externalTrafficPolicy Local. Explicit
 * values are honoured or refused with Kubernetes' messages; values an update leaves out are
 * kept from the old object; everything held is released when the Service goes.
 */
import type { KubeObject, StatusCause } from '../../api/meta.js';
import { errors } from '../../api/status-error.js';
import type { Service, ServicePort } from '../../api/types.js';
import type { Storage } from '../../storage/storage.js';
import { cidrContains, formatCidr, ipToNumber, isIPv4, nthAddress, type Cidr } from '../../util/cidr.js';
import type { AdmissionContext, AdmissionPlugin, Undo } from './admission.js';
import { AlreadyAllocatedError, RangeAllocator, RangeFullError } from './range-allocator.js';

export interface PortRange {
  base: number;
  size: number;
}

export function parsePortRange(text: string): PortRange {
  const m = /^(\d+)-(\d+)$/.exec(text.trim());
  if (!m) throw new Error(`invalid port range "${text}" (want A-B)`);
  const a = Number(m[1]);
  const b = Number(m[2]);
  if (a < 1 || b > 65535 || a > b) throw new Error(`invalid port range "${text}"`);
  return { base: a, size: b - a + 1 };
}

export interface ServiceAllocationOptions {
  storage: Storage;
  serviceCidr: Cidr;
  nodePorts: PortRange;
}

type Taken = { kind: 'ip'; offset: number } | { kind: 'port'; offset: number };

export class ServiceAllocation implements AdmissionPlugin {
  readonly name = 'ServiceAllocation';
  readonly ips: RangeAllocator;
  readonly ports: RangeAllocator;

  constructor(private readonly o: ServiceAllocationOptions) {
    const cidr = o.serviceCidr;
    const reserved = new Set<number>(cidr.size > 2 ? [0, cidr.size - 1] : []);
    this.ips = new RangeAllocator({
      storage: o.storage,
      keyPrefix: '/registry/skiff.dev/serviceips/',
      size: cidr.size,
      reserved,
      dynamicFrom: Math.min(Math.max(16, Math.floor(cidr.size / 16)), 256),
      label: (i) => nthAddress(cidr, i),
      parse: (s) => (isIPv4(s) && cidrContains(cidr, s) ? ipToNumber(s) - cidr.base : undefined),
    });
    const pr = o.nodePorts;
    this.ports = new RangeAllocator({
      storage: o.storage,
      keyPrefix: '/registry/skiff.dev/nodeports/',
      size: pr.size,
      dynamicFrom: Math.min(Math.max(16, Math.floor(pr.size / 32)), 128),
      label: (i) => String(pr.base + i),
      parse: (s) => (/^\d+$/.test(s) ? Number(s) - pr.base : undefined),
    });
  }

  /** The first address of the range: the `kubernetes` Service's ClusterIP. */
  firstIp(): string {
    return nthAddress(this.o.serviceCidr, 1);
  }

  /** Rebuilds both bitmaps from storage and repairs them against the Services that exist. */
  async repair(services: readonly KubeObject[]): Promise<void> {
    const ipOwners = await this.ips.rebuild();
    const portOwners = await this.ports.rebuild();
    const wantIps = new Map<number, string>();
    const wantPorts = new Map<number, string>();
    for (const s of services as Service[]) {
      const owner = `${s.metadata.namespace}/${s.metadata.name}`;
      const ip = s.spec?.clusterIP;
      if (ip && ip !== 'None' && isIPv4(ip) && cidrContains(this.o.serviceCidr, ip)) wantIps.set(ipToNumber(ip) - this.o.serviceCidr.base, owner);
      for (const p of nodePortsOf(s)) if (this.inPortRange(p)) wantPorts.set(p - this.o.nodePorts.base, owner);
    }
    for (const [offset, owner] of wantIps) if (!ipOwners.has(offset)) await this.ips.allocate(offset, owner).catch(() => {});
    for (const offset of ipOwners.keys()) if (!wantIps.has(offset)) await this.ips.release(offset);
    for (const [offset, owner] of wantPorts) if (!portOwners.has(offset)) await this.ports.allocate(offset, owner).catch(() => {});
    for (const offset of portOwners.keys()) if (!wantPorts.has(offset)) await this.ports.release(offset);
  }

  private inPortRange(p: number): boolean {
    return p >= this.o.nodePorts.base && p < this.o.nodePorts.base + this.o.nodePorts.size;
  }

  async admitCreate(ctx: AdmissionContext, obj: KubeObject): Promise<Undo | void> {
    if (ctx.info.kind !== 'Service') return;
    return this.admit(ctx, obj as Service, undefined);
  }

  async admitUpdate(ctx: AdmissionContext, obj: KubeObject, old: KubeObject): Promise<Undo | void> {
    if (ctx.info.kind !== 'Service') return;
    return this.admit(ctx, obj as Service, old as Service);
  }

  async deleted(ctx: AdmissionContext, obj: KubeObject): Promise<void> {
    if (ctx.info.kind !== 'Service') return;
    const s = obj as Service;
    const ip = s.spec?.clusterIP;
    if (ip && isIPv4(ip) && cidrContains(this.o.serviceCidr, ip)) await this.ips.release(ipToNumber(ip) - this.o.serviceCidr.base);
    for (const p of nodePortsOf(s)) if (this.inPortRange(p)) await this.ports.release(p - this.o.nodePorts.base);
  }

  private async admit(ctx: AdmissionContext, svc: Service, old: Service | undefined): Promise<Undo> {
    const spec = (svc.spec ??= {});
    const type = (spec.type ??= 'ClusterIP');
    const name = svc.metadata.name ?? '';
    const owner = `${svc.metadata.namespace}/${name}`;
    const taken: Taken[] = [];
    const toRelease: Taken[] = [];
    const dry = ctx.dryRun;
    const undo: Undo = {
      rollback: async () => {
        if (dry) return;
        for (const t of taken) await (t.kind === 'ip' ? this.ips : this.ports).release(t.offset);
      },
      commit: async () => {
        for (const t of toRelease) await (t.kind === 'ip' ? this.ips : this.ports).release(t.offset);
      },
    };
    const invalid = (causes: StatusCause[]) => errors.invalid('Service', '', name, causes);
    try {
      // ---- ClusterIP
      const oldIp = old?.spec?.clusterIP;
      if (old && !spec.clusterIP && oldIp && type !== 'ExternalName') {
        spec.clusterIP = oldIp;
        spec.clusterIPs = old.spec?.clusterIPs ?? [oldIp];
      }
      if (!spec.clusterIP && spec.clusterIPs?.length) spec.clusterIP = spec.clusterIPs[0];
      if (type === 'ExternalName') {
        if (spec.clusterIP && spec.clusterIP !== oldIp) {
          throw invalid([{ reason: 'FieldValueInvalid', field: 'spec.clusterIP', message: `Invalid value: "${spec.clusterIP}": may not be set for ExternalName services` }]);
        }
        delete spec.clusterIP;
        delete spec.clusterIPs;
        if (oldIp && oldIp !== 'None' && isIPv4(oldIp) && cidrContains(this.o.serviceCidr, oldIp)) {
          toRelease.push({ kind: 'ip', offset: ipToNumber(oldIp) - this.o.serviceCidr.base });
        }
      } else if (old && oldIp && spec.clusterIP !== oldIp) {
        throw invalid([{ reason: 'FieldValueInvalid', field: 'spec.clusterIPs[0]', message: `Invalid value: "${spec.clusterIP ?? ''}": may not change once set` }]);
      } else if (spec.clusterIP === 'None') {
        spec.clusterIPs = ['None'];
      } else if (!old || !oldIp) {
        if (spec.clusterIP) {
          const ip = spec.clusterIP;
          if (!isIPv4(ip)) {
            throw invalid([{ reason: 'FieldValueInvalid', field: 'spec.clusterIPs[0]', message: `Invalid value: "${ip}": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)` }]);
          }
          if (!cidrContains(this.o.serviceCidr, ip)) {
            throw invalid([{ reason: 'FieldValueInvalid', field: 'spec.clusterIPs', message: `Invalid value: ["${ip}"]: failed to allocate IP ${ip}: the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${formatCidr(this.o.serviceCidr)}` }]);
          }
          const offset = ipToNumber(ip) - this.o.serviceCidr.base;
          if (!dry) {
            try {
              await this.ips.allocate(offset, owner);
            } catch (err) {
              if (err instanceof AlreadyAllocatedError) {
                throw invalid([{ reason: 'FieldValueInvalid', field: 'spec.clusterIPs', message: `Invalid value: ["${ip}"]: failed to allocate IP ${ip}: provided IP is already allocated` }]);
              }
              throw err;
            }
            taken.push({ kind: 'ip', offset });
          }
        } else if (dry) {
          spec.clusterIP = nthAddress(this.o.serviceCidr, this.o.serviceCidr.size > 2 ? this.o.serviceCidr.size - 2 : 0);
        } else {
          try {
            const offset = await this.ips.allocateNext(owner);
            taken.push({ kind: 'ip', offset });
            spec.clusterIP = nthAddress(this.o.serviceCidr, offset);
          } catch (err) {
            if (err instanceof RangeFullError) {
              throw invalid([{ reason: 'FieldValueInvalid', field: 'spec.clusterIPs', message: `Invalid value: []: failed to allocate IP: range is full` }]);
            }
            throw err;
          }
        }
        spec.clusterIPs = [spec.clusterIP];
      }
      if (spec.clusterIP && spec.clusterIP !== 'None') {
        spec.ipFamilies ??= ['IPv4'];
        spec.ipFamilyPolicy ??= 'SingleStack';
      }

      // ---- NodePorts
      const wantsNodePorts = type === 'NodePort' || (type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false);
      const oldPorts = new Set(old ? nodePortsOf(old) : []);
      const newPorts = new Set<number>();
      const ports = spec.ports ?? [];
      for (let i = 0; i < ports.length; i++) {
        const p = ports[i]!;
        if (!wantsNodePorts) {
          if (p.nodePort && type !== 'LoadBalancer') {
            if (old && oldPorts.has(p.nodePort) && old.spec?.type !== type) delete p.nodePort;
            else throw invalid([{ reason: 'FieldValueForbidden', field: `spec.ports[${i}].nodePort`, message: `Forbidden: may not be used when \`type\` is '${type}'` }]);
          }
          if (p.nodePort) newPorts.add(p.nodePort);
          continue;
        }
        if (!p.nodePort && old) {
          const prev = (old.spec?.ports ?? []).find((q: ServicePort) => q.port === p.port && (q.protocol ?? 'TCP') === (p.protocol ?? 'TCP') && q.nodePort);
          if (prev) p.nodePort = prev.nodePort;
        }
        if (p.nodePort) {
          if (!oldPorts.has(p.nodePort) && !newPorts.has(p.nodePort)) await this.takePort(p.nodePort, `spec.ports[${i}].nodePort`, owner, taken, invalid, dry);
        } else if (!dry) {
          p.nodePort = await this.nextPort(owner, taken, invalid);
        } else {
          p.nodePort = this.o.nodePorts.base + this.o.nodePorts.size - 1;
        }
        newPorts.add(p.nodePort);
      }
      // ---- healthCheckNodePort
      const needsHealth = type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local';
      if (needsHealth) {
        if (!spec.healthCheckNodePort && old?.spec?.healthCheckNodePort) spec.healthCheckNodePort = old.spec.healthCheckNodePort;
        const h = spec.healthCheckNodePort;
        if (h) {
          if (h !== old?.spec?.healthCheckNodePort && !newPorts.has(h)) await this.takePort(h, 'spec.healthCheckNodePort', owner, taken, invalid, dry);
        } else if (!dry) spec.healthCheckNodePort = await this.nextPort(owner, taken, invalid);
        if (spec.healthCheckNodePort) newPorts.add(spec.healthCheckNodePort);
      } else {
        delete spec.healthCheckNodePort;
      }
      for (const p of oldPorts) if (!newPorts.has(p) && this.inPortRange(p)) toRelease.push({ kind: 'port', offset: p - this.o.nodePorts.base });
      if (type === 'NodePort' || type === 'LoadBalancer') spec.externalTrafficPolicy ??= 'Cluster';
    } catch (err) {
      await undo.rollback();
      throw err;
    }
    return undo;
  }

  private async takePort(port: number, field: string, owner: string, taken: Taken[], invalid: (c: StatusCause[]) => Error, dry: boolean): Promise<void> {
    if (!this.inPortRange(port)) {
      const hi = this.o.nodePorts.base + this.o.nodePorts.size - 1;
      throw invalid([{ reason: 'FieldValueInvalid', field, message: `Invalid value: ${port}: provided port is not in the valid range. The range of valid ports is ${this.o.nodePorts.base}-${hi}` }]);
    }
    const offset = port - this.o.nodePorts.base;
    if (dry) {
      if (this.ports.has(offset)) throw invalid([{ reason: 'FieldValueInvalid', field, message: `Invalid value: ${port}: provided port is already allocated` }]);
      return;
    }
    try {
      await this.ports.allocate(offset, owner);
      taken.push({ kind: 'port', offset });
    } catch (err) {
      if (err instanceof AlreadyAllocatedError) throw invalid([{ reason: 'FieldValueInvalid', field, message: `Invalid value: ${port}: provided port is already allocated` }]);
      throw err;
    }
  }

  private async nextPort(owner: string, taken: Taken[], invalid: (c: StatusCause[]) => Error): Promise<number> {
    try {
      const offset = await this.ports.allocateNext(owner);
      taken.push({ kind: 'port', offset });
      return this.o.nodePorts.base + offset;
    } catch (err) {
      if (err instanceof RangeFullError) throw invalid([{ reason: 'FieldValueInvalid', field: 'spec.ports', message: 'failed to allocate a nodePort: range is full' }]);
      throw err;
    }
  }
}

function nodePortsOf(s: Service): number[] {
  const out: number[] = [];
  for (const p of s.spec?.ports ?? []) if (p.nodePort) out.push(p.nodePort);
  if (s.spec?.healthCheckNodePort) out.push(s.spec.healthCheckNodePort);
  return out;
}
