/**
 * The node agent (Skiff's kubelet): registers the Node, renews its Lease, watches the pods bound
 * to it and runs one PodWorker per pod; serves logs/exec/attach/port-forward for the API
 * server's proxy. Built by cmd/agent.ts, which chooses the pod network and the client.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { KubeObject } from '../api/meta.js';
import { findResource } from '../api/resources.js';
import { isAlreadyExists, isNotFound, isStatusError } from '../api/status-error.js';
import type { ConfigMap, EndpointSlice, Lease, Node, Pod, Secret, Service } from '../api/types.js';
import { EndpointDrain } from './endpoint-drain.js';
import { InformerFactory } from '../client/informer/index.js';
import type { ApiClient, Informer } from '../client/types.js';
import type { PodNetwork } from '../network/pod-network.js';
import { systemClock, type Clock } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { ApiWriteQueue } from './api-writes.js';
import { EventRecorder } from './events.js';
import { buildLease, buildNode, nodeStatus, type NodeFacts } from './node-status.js';
import { PodWorker } from './pod-worker.js';
import { CgroupManager } from './runtime/cgroups.js';
import { ProcessRuntime } from './runtime/process-runtime.js';
import { processAlive } from './runtime/proc.js';
import { PodStateStore } from './state-store.js';
import { StreamServer } from './streams/stream-server.js';
import { traceLoopLag, tracePhase } from './trace.js';

const NODES = findResource('', 'nodes')!;
const LEASES = findResource('coordination.k8s.io', 'leases')!;
const PODS = findResource('', 'pods')!;
const SERVICES = findResource('', 'services')!;
const CONFIGMAPS = findResource('', 'configmaps')!;
const SECRETS = findResource('', 'secrets')!;
const ENDPOINTSLICES = findResource('discovery.k8s.io', 'endpointslices')!;

export interface AgentOptions {
  /** On pod deletion, after its IP left the endpoints: time for proxies to apply it (default 1000 ms). */
  endpointSettleMs?: number;
  client: ApiClient;
  nodeName: string;
  network: PodNetwork;
  dataDir: string;
  /** Stream server port (0 = any free port). */
  port: number;
  /** Address the stream server binds (default the node IP, 127.0.0.1 when the node lives in a netns). */
  bindAddress?: string;
  /** Address published in the endpoint annotation (default bindAddress). */
  advertiseAddress?: string;
  version?: string;
  /** Enforce limits with cgroups v1 when possible (default: when available). */
  cgroups?: boolean;
  clock?: Clock;
  logger?: Logger;
  leaseIntervalMs?: number;
  statusIntervalMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  backoffResetMs?: number;
  nodeLabels?: Record<string, string>;
  capacity?: Record<string, string>;
  /** How long to wait for the API server to assign a podCIDR (netns mode). */
  podCIDRWaitMs?: number;
}

export interface PodHandle {
  pod: Pod;
  worker: PodWorker;
}

export class Agent {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly runtime: ProcessRuntime;
  private readonly states: PodStateStore;
  private readonly events: EventRecorder;
  /** Status patches and events: a few at a time, status first (api-writes.ts). */
  private readonly writes = new ApiWriteQueue(4);
  private readonly workers = new Map<string, PodWorker>();
  private readonly factory: InformerFactory;
  private pods!: Informer<Pod>;
  private services!: Informer<Service>;
  private configMaps!: Informer<ConfigMap>;
  private secrets!: Informer<Secret>;
  private drain?: EndpointDrain;
  private streams!: StreamServer;
  private facts!: NodeFacts;
  private nodeUID?: string;
  private lastNode?: Node;
  private cancelLease?: () => void;
  private cancelStatus?: () => void;
  private stopped = false;
  readonly token = randomBytes(24).toString('hex');
  private readonly cgroups?: CgroupManager;

  constructor(private readonly opts: AgentOptions) {
    this.clock = opts.clock ?? systemClock;
    this.log = opts.logger ?? silentLogger;
    mkdirSync(opts.dataDir, { recursive: true });
    const useCgroups = opts.cgroups ?? CgroupManager.available();
    if (useCgroups && CgroupManager.available()) this.cgroups = new CgroupManager('/sys/fs/cgroup', `skiff/${opts.nodeName}`);
    this.runtime = new ProcessRuntime({ dataDir: opts.dataDir, cgroups: this.cgroups, now: () => this.clock.now() });
    this.states = new PodStateStore(opts.dataDir);
    this.events = new EventRecorder(opts.client, opts.nodeName, this.clock, this.log, this.writes);
    this.factory = new InformerFactory({ client: opts.client, logger: this.log });
  }

  get endpoint(): string {
    return this.facts.endpoint;
  }

  get cgroupsEnforced(): boolean {
    return !!this.cgroups;
  }

  async start(): Promise<void> {
    const o = this.opts;
    const bind = o.bindAddress ?? o.network.nodeIP;
    this.streams = new StreamServer({
      token: this.token,
      lookup: (ns, name) => this.lookup(ns, name),
      runtime: this.runtime,
      network: o.network,
      logger: this.log,
    });
    const port = await this.streams.listen(o.port, bind);
    const advertise = o.advertiseAddress ?? bind;
    this.facts = {
      nodeName: o.nodeName,
      nodeIP: o.network.nodeIP,
      port,
      endpoint: `http://${advertise.includes(':') ? `[${advertise}]` : advertise}:${port}`,
      token: this.token,
      version: o.version ?? '0.1.0',
      labels: o.nodeLabels,
      capacity: o.capacity,
    };
    // Like kubelet, keep trying until the API server answers (it may start after the agent).
    let node: Node | undefined;
    for (let attempt = 0; !node; attempt++) {
      try {
        node = await this.register();
      } catch (err) {
        if (isStatusError(err) || this.stopped) throw err;
        this.log.warn({ err: (err as Error).message }, 'cannot register the node yet; retrying');
        await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** attempt)));
      }
    }
    await o.network.init(node.spec?.podCIDR);

    this.pods = this.factory.informerFor<Pod>(PODS, { fieldSelector: `spec.nodeName=${o.nodeName}` });
    this.services = this.factory.informerFor<Service>(SERVICES);
    this.configMaps = this.factory.informerFor<ConfigMap>(CONFIGMAPS);
    this.secrets = this.factory.informerFor<Secret>(SECRETS);
    const slices = this.factory.informerFor<EndpointSlice>(ENDPOINTSLICES);
    this.drain = new EndpointDrain({ slices, clock: this.clock, settleMs: this.opts.endpointSettleMs });
    this.factory.start();
    await Promise.all([this.pods.whenSynced(), this.services.whenSynced(), this.configMaps.whenSynced(), this.secrets.whenSynced(), slices.whenSynced()]);
    await this.adopt();
    this.pods.addEventHandler({
      onAdd: (p) => this.onPod(p),
      onUpdate: (_o, p) => this.onPod(p),
      onDelete: (p) => this.workers.get(p.metadata.uid!)?.markDeleted(),
    });
    traceLoopLag();
    this.scheduleLease(0);
    this.scheduleStatus(o.statusIntervalMs ?? 60_000);
    this.log.info({ node: o.nodeName, endpoint: this.facts.endpoint, podCIDR: node.spec?.podCIDR, cgroups: !!this.cgroups }, 'agent started');
  }

  private lookup(namespace: string, name: string): PodHandle | undefined {
    const pod = this.pods?.store.get(`${namespace}/${name}`);
    if (!pod) return undefined;
    const worker = this.workers.get(pod.metadata.uid!);
    return worker ? { pod, worker } : undefined;
  }

  private onPod(pod: Pod): void {
    if (this.stopped || pod.spec?.nodeName !== this.opts.nodeName) return;
    const uid = pod.metadata.uid!;
    const w = this.workers.get(uid);
    if (w) {
      w.update(pod);
      return;
    }
    // A pod that already finished before this agent saw it stays as it is.
    if (!pod.metadata.deletionTimestamp && (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed')) return;
    tracePhase(pod.metadata.name, 'seen');
    this.newWorker(pod).kick();
  }

  private newWorker(pod: Pod, saved?: ConstructorParameters<typeof PodWorker>[2]): PodWorker {
    const o = this.opts;
    const w = new PodWorker(
      pod,
      {
        nodeName: o.nodeName,
        client: o.client,
        runtime: this.runtime,
        network: o.network,
        events: this.events,
        states: this.states,
        clock: this.clock,
        log: this.log,
        services: () => this.services.store.list(),
        configMap: (ns, n) => this.configMaps.store.get(`${ns}/${n}`),
        secret: (ns, n) => this.secrets.store.get(`${ns}/${n}`),
        backoffBaseMs: o.backoffBaseMs ?? 10_000,
        backoffMaxMs: o.backoffMaxMs ?? 300_000,
        backoffResetMs: o.backoffResetMs ?? 2 * (o.backoffMaxMs ?? 300_000),
        onFinished: (uid) => this.workers.delete(uid),
        writes: this.writes,
        drainEndpoints: (ip, maxMs) => this.drain?.drain(ip, maxMs) ?? Promise.resolve(),
      },
      saved,
    );
    this.workers.set(pod.metadata.uid!, w);
    return w;
  }

  /** Re-attaches to pods an earlier agent started; stops what no longer has a pod. */
  private async adopt(): Promise<void> {
    const live = new Set<string>();
    for (const saved of this.states.loadAll()) {
      const pod = this.pods.store.get(`${saved.namespace}/${saved.name}`);
      if (pod && pod.metadata.uid === saved.uid && pod.spec?.nodeName === this.opts.nodeName) {
        live.add(saved.uid);
        this.newWorker(pod, saved).kick();
        continue;
      }
      // The pod went away while no agent was running: stop its processes and clean up.
      for (const [name, c] of Object.entries(saved.containers)) {
        if (c.record && processAlive(c.record.pid, c.record.startTicks) && this.runtime.adopt(saved.uid, name, c.record)) {
          await this.runtime.stop(saved.uid, name, 2000);
        }
      }
      await this.opts.network.teardownPod(saved.uid);
      this.runtime.removePod(saved.uid);
      this.states.remove(saved.uid);
    }
    for (const pod of this.pods.store.list()) if (pod.metadata.uid) live.add(pod.metadata.uid);
    const stale = await this.opts.network.garbageCollect(live);
    if (stale.length) this.log.info({ stale }, 'removed stale pod networks');
  }

  // -------------------------------------------------------------------------------------------
  // node registration, lease, status

  private async register(): Promise<Node> {
    const o = this.opts;
    let node: Node;
    try {
      node = await o.client.create<Node>(NODES, buildNode(this.facts, this.clock.now()));
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      node = await o.client.patch<Node>(
        NODES,
        o.nodeName,
        undefined,
        { metadata: { labels: buildNode(this.facts, 0).metadata.labels, annotations: buildNode(this.facts, 0).metadata.annotations } },
        'merge',
      );
    }
    node = await this.patchStatus(node);
    // The API server assigns the podCIDR on create; poll briefly if it lags (netns needs it).
    const deadline = this.clock.now() + (o.podCIDRWaitMs ?? (o.network.mode === 'netns' ? 10_000 : 0));
    while (!node.spec?.podCIDR && this.clock.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      node = await o.client.get<Node>(NODES, o.nodeName);
    }
    this.nodeUID = node.metadata.uid;
    return node;
  }

  private async patchStatus(prev?: Node): Promise<Node> {
    const status = nodeStatus(this.facts, this.clock.now(), true, prev ?? this.lastNode);
    const node = await this.opts.client.patch<Node>(NODES, this.opts.nodeName, undefined, { status }, 'merge', { subresource: 'status' });
    this.lastNode = node;
    return node;
  }

  private scheduleLease(delayMs: number): void {
    if (this.stopped) return;
    this.cancelLease = this.clock.setTimeout(() => void this.renewLease().finally(() => this.scheduleLease(this.opts.leaseIntervalMs ?? 10_000)), delayMs);
  }

  private scheduleStatus(delayMs: number): void {
    if (this.stopped) return;
    this.cancelStatus = this.clock.setTimeout(
      () =>
        void this.patchStatus()
          .catch((err: Error) => this.log.warn({ err: err.message }, 'node status update failed'))
          .finally(() => this.scheduleStatus(this.opts.statusIntervalMs ?? 60_000)),
      delayMs,
    );
  }

  async renewLease(): Promise<void> {
    const { client, nodeName } = this.opts;
    const lease = buildLease(nodeName, this.nodeUID, this.clock.now());
    try {
      const existing = await client.get<Lease>(LEASES, nodeName, 'kube-node-lease');
      await client.update<Lease>(LEASES, { ...existing, spec: { ...existing.spec, ...lease.spec } });
    } catch (err) {
      if (isNotFound(err)) {
        try {
          await client.create<Lease>(LEASES, lease, { namespace: 'kube-node-lease' });
        } catch (e) {
          this.log.warn({ err: (e as Error).message }, 'lease create failed');
        }
      } else this.log.warn({ err: (err as Error).message }, 'lease renew failed');
    }
  }

  // -------------------------------------------------------------------------------------------

  podWorker(uid: string): PodWorker | undefined {
    return this.workers.get(uid);
  }

  /**
   * keepPods: leave containers running for the next agent to adopt (agent restart/upgrade).
   * Otherwise every pod is stopped (graceful, bounded by `graceMs`) and its network and
   * cgroups removed; the Pod objects stay in the API.
   */
  async stop(opts: { keepPods?: boolean; graceMs?: number } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.cancelLease?.();
    this.cancelStatus?.();
    this.factory.stop();
    await this.streams?.close();
    if (opts.keepPods) {
      for (const w of this.workers.values()) w.detach();
      this.runtime.detachAll();
    } else {
      await Promise.all([...this.workers.values()].map((w) => w.shutdown(opts.graceMs ?? 10_000)));
      this.cgroups?.removeNode();
    }
    this.workers.clear();
    await this.opts.network.close();
  }
}

export type { KubeObject };
