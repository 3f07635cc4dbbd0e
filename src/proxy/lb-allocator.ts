import type { Service } from '../api/types.js';
import { findResource } from '../api/resources.js';
import type { ApiClient, Informer } from '../client/types.js';
import { ipToNumber, numberToIp, parseCidr, type Cidr } from '../util/cidr.js';
import { silentLogger, type Logger } from '../util/logger.js';

const SERVICES = findResource('', 'services')!;

export interface LoadBalancerAllocatorOptions {
  client: ApiClient;
  /** Addresses handed out, e.g. 198.19.64.0/24 (network and broadcast addresses skipped). */
  pool: string;
  logger?: Logger;
}

/**
 * Gives LoadBalancer Services an address from a pool and writes it to
 * `status.loadBalancer.ingress` through the services/status subresource, like k3s's ServiceLB
 * or MetalLB. Only ONE allocator may run per cluster (`skiff proxy --lb-pool` on one node, or
 * the one inside `skiff up`): two would race for the same addresses. The proxies on every
 * node then program whatever the status says.
 *
 * Honours `spec.loadBalancerIP` when it lies in the pool and is free; keeps an address a
 * Service already has; frees addresses when a Service is deleted or stops being a
 * LoadBalancer (its status is cleared then).
 */
export class LoadBalancerAllocator {
  private readonly cidr: Cidr;
  private readonly owner = new Map<string, string>(); // ip → namespace/name
  private readonly queue = new Set<string>();
  private running = false;
  private readonly log: Logger;
  private idle: Promise<void> = Promise.resolve();

  constructor(
    private readonly o: LoadBalancerAllocatorOptions,
    private readonly services: Informer<Service>,
  ) {
    this.cidr = parseCidr(o.pool);
    this.log = o.logger ?? silentLogger;
    services.addEventHandler({
      onAdd: (s) => this.enqueue(s),
      onUpdate: (_a, b) => this.enqueue(b),
      onDelete: (s) => {
        this.release(key(s));
        // An address came free: Services still waiting for one get another try.
        for (const w of this.services.store.list()) if (w.spec?.type === 'LoadBalancer' && !w.status?.loadBalancer?.ingress?.length) this.enqueue(w);
      },
    });
    void services.whenSynced().then(() => this.kick());
  }

  private enqueue(s: Service): void {
    this.queue.add(key(s));
    if (this.services.hasSynced()) this.kick();
  }

  private release(k: string): void {
    for (const [ip, owner] of this.owner) if (owner === k) this.owner.delete(ip);
  }

  private kick(): void {
    if (this.running) return;
    this.running = true;
    this.idle = this.drain().finally(() => {
      this.running = false;
    });
  }

  /** Resolves when queued work is done (tests). */
  async settled(): Promise<void> {
    while (this.running) await this.idle;
  }

  private async drain(): Promise<void> {
    // Learn the addresses already in use before handing any out.
    for (const s of this.services.store.list()) {
      if (s.spec?.type !== 'LoadBalancer') continue;
      for (const i of s.status?.loadBalancer?.ingress ?? []) if (i.ip && this.inPool(i.ip) && !this.owner.has(i.ip)) this.owner.set(i.ip, key(s));
    }
    while (this.queue.size) {
      const k = this.queue.values().next().value as string;
      this.queue.delete(k);
      const s = this.services.store.get(k);
      if (!s) {
        this.release(k);
        continue;
      }
      try {
        await this.reconcile(s);
      } catch (err) {
        this.log.warn({ err, service: k }, 'load balancer status update failed; retrying');
        setTimeout(() => this.enqueue(s), 1000).unref();
      }
    }
  }

  private inPool(ip: string): boolean {
    try {
      const n = ipToNumber(ip);
      return n > this.cidr.base && n < this.cidr.base + this.cidr.size - 1;
    } catch {
      return false;
    }
  }

  private async reconcile(s: Service): Promise<void> {
    const k = key(s);
    const current = (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).filter((ip): ip is string => !!ip);
    if (s.spec?.type !== 'LoadBalancer' || s.spec.loadBalancerClass) {
      const mine = current.filter((ip) => this.owner.get(ip) === k);
      this.release(k);
      if (mine.length && s.spec?.type !== 'LoadBalancer') await this.writeStatus(s, []);
      return;
    }
    const have = current.find((ip) => this.inPool(ip) && (this.owner.get(ip) ?? k) === k);
    const wanted = s.spec.loadBalancerIP;
    // An address given earlier whose status write the informer has not shown us yet.
    const given = [...this.owner].find(([, owner]) => owner === k)?.[0];
    let ip = have ?? given;
    if (!ip && wanted && this.inPool(wanted) && !this.owner.has(wanted)) ip = wanted;
    if (!ip) ip = this.nextFree();
    if (!ip) {
      this.log.warn({ service: k, pool: this.o.pool }, 'load balancer pool exhausted');
      return;
    }
    this.owner.set(ip, k);
    if (current.length === 1 && current[0] === ip) return;
    await this.writeStatus(s, [ip]);
  }

  private nextFree(): string | undefined {
    for (let i = 1; i < this.cidr.size - 1; i++) {
      const ip = numberToIp(this.cidr.base + i);
      if (!this.owner.has(ip)) return ip;
    }
    return undefined;
  }

  private async writeStatus(s: Service, ips: string[]): Promise<void> {
    const ingress = ips.map((ip) => ({ ip, ipMode: 'VIP' as const }));
    await this.o.client.patch<Service>(SERVICES, s.metadata.name!, s.metadata.namespace, { status: { loadBalancer: { ingress } } }, 'merge', {
      subresource: 'status',
      fieldManager: 'skiff-proxy-lb',
    });
  }
}

function key(s: Service): string {
  return `${s.metadata.namespace ?? 'default'}/${s.metadata.name}`;
}
