/**
 * Node pod CIDRs: a Node created without spec.podCIDR gets the next free /24 of
 * --cluster-cidr (what kube-controller-manager's node IPAM does, done at admission here so
 * the agent sees its range in the create answer). Released when the Node goes.
 */
import type { KubeObject } from '../../api/meta.js';
import { errors } from '../../api/status-error.js';
import type { Storage } from '../../storage/storage.js';
import { cidrContains, formatCidr, ipToNumber, numberToIp, parseCidr, type Cidr } from '../../util/cidr.js';
import type { AdmissionContext, AdmissionPlugin, Undo } from './admission.js';
import { AlreadyAllocatedError, RangeAllocator, RangeFullError } from './range-allocator.js';

export const NODE_CIDR_PREFIX = 24;

export class NodeCidrAllocation implements AdmissionPlugin {
  readonly name = 'NodeCidrAllocation';
  readonly blocks: RangeAllocator;

  constructor(storage: Storage, private readonly cluster: Cidr) {
    const count = cluster.prefix >= NODE_CIDR_PREFIX ? 1 : 2 ** (NODE_CIDR_PREFIX - cluster.prefix);
    const blockSize = 2 ** (32 - NODE_CIDR_PREFIX);
    this.blocks = new RangeAllocator({
      storage,
      keyPrefix: '/registry/skiff.dev/podcidrs/',
      size: count,
      sequential: true,
      label: (i) => `${numberToIp(cluster.base + i * blockSize)}-${NODE_CIDR_PREFIX}`,
      parse: (s) => {
        const ip = s.split('-')[0] ?? '';
        try {
          return Math.floor((ipToNumber(ip) - cluster.base) / blockSize);
        } catch {
          return undefined;
        }
      },
    });
  }

  private offsetOf(cidrText: string): number | undefined {
    try {
      const c = parseCidr(cidrText);
      if (c.prefix !== NODE_CIDR_PREFIX || !cidrContains(this.cluster, numberToIp(c.base))) return undefined;
      return Math.floor((c.base - this.cluster.base) / 2 ** (32 - NODE_CIDR_PREFIX));
    } catch {
      return undefined;
    }
  }

  async repair(nodes: readonly KubeObject[]): Promise<void> {
    const owners = await this.blocks.rebuild();
    const want = new Map<number, string>();
    for (const n of nodes) {
      const cidr = (n.spec as { podCIDR?: string } | undefined)?.podCIDR;
      const off = cidr ? this.offsetOf(cidr) : undefined;
      if (off !== undefined) want.set(off, n.metadata.name!);
    }
    for (const [off, owner] of want) if (!owners.has(off)) await this.blocks.allocate(off, owner).catch(() => {});
    for (const off of owners.keys()) if (!want.has(off)) await this.blocks.release(off);
  }

  async admitCreate(ctx: AdmissionContext, obj: KubeObject): Promise<Undo | void> {
    if (ctx.info.kind !== 'Node' || ctx.dryRun) return;
    const spec = (obj.spec ??= {}) as { podCIDR?: string; podCIDRs?: string[] };
    const name = obj.metadata.name ?? '';
    let offset: number;
    if (spec.podCIDR) {
      const off = this.offsetOf(spec.podCIDR);
      if (off === undefined) return; // outside our range: the user manages it
      try {
        await this.blocks.allocate(off, name);
      } catch (err) {
        if (err instanceof AlreadyAllocatedError) {
          throw errors.invalid('Node', '', name, [{ reason: 'FieldValueInvalid', field: 'spec.podCIDR', message: `Invalid value: "${spec.podCIDR}": provided CIDR is already allocated` }]);
        }
        throw err;
      }
      offset = off;
    } else {
      try {
        offset = await this.blocks.allocateNext(name);
      } catch (err) {
        if (err instanceof RangeFullError) return; // no CIDR left: the node comes up without one, as in Kubernetes
        throw err;
      }
      const base = this.cluster.base + offset * 2 ** (32 - NODE_CIDR_PREFIX);
      spec.podCIDR = formatCidr({ base, prefix: NODE_CIDR_PREFIX, size: 2 ** (32 - NODE_CIDR_PREFIX) });
    }
    spec.podCIDRs = [spec.podCIDR];
    return { rollback: () => this.blocks.release(offset) };
  }

  async deleted(ctx: AdmissionContext, obj: KubeObject): Promise<void> {
    if (ctx.info.kind !== 'Node') return;
    const cidr = (obj.spec as { podCIDR?: string } | undefined)?.podCIDR;
    const off = cidr ? this.offsetOf(cidr) : undefined;
    if (off !== undefined) await this.blocks.release(off);
  }
}
