/**
 * The proxy's desired state, independent of mode. The change trackers turn Services and
 * EndpointSlices into `ServicePortState`s; backends (userspace/, nftables/, iptables/) only
 * turn these into sockets or rules.
 */
export type L4Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface EndpointInfo {
  ip: string;
  port: number;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  nodeName?: string;
  /** nodeName equals the proxy's node. */
  isLocal: boolean;
}

/** One port of one Service (kube-proxy's ServicePortName + ServicePort). */
export interface ServicePortInfo {
  /** `namespace/name:portName/PROTOCOL`: stable identity of this service port. */
  id: string;
  namespace: string;
  name: string;
  portName: string;
  protocol: L4Protocol;
  port: number;
  clusterIPs: string[];
  /** 0 when the Service has no NodePort. */
  nodePort: number;
  loadBalancerIPs: string[];
  externalIPs: string[];
  /** 0 = no session affinity. */
  affinityTimeoutSeconds: number;
  externalPolicyLocal: boolean;
  internalPolicyLocal: boolean;
  /** 0 = none (only LoadBalancer/NodePort Services with externalTrafficPolicy Local have one). */
  healthCheckNodePort: number;
}

export interface ServicePortState extends ServicePortInfo {
  /** Every endpoint known for this port, sorted by ip then port. */
  endpoints: EndpointInfo[];
  /** Endpoints for ClusterIP traffic (internalTrafficPolicy applied, ready-else-terminating fallback). */
  clusterEndpoints: EndpointInfo[];
  /** Endpoints for NodePort / LoadBalancer / externalIP traffic (externalTrafficPolicy applied). */
  externalEndpoints: EndpointInfo[];
  /** Usable node-local endpoints (what healthCheckNodePort reports). */
  localEndpointCount: number;
}

/** One service port added, changed or removed since the last sync. */
export interface ServicePortChange {
  id: string;
  old?: ServicePortState;
  new?: ServicePortState;
}

export interface ProxySnapshot {
  nodeName: string;
  /** By ServicePortInfo.id. */
  ports: ReadonlyMap<string, ServicePortState>;
}

export interface BackendSyncResult {
  /** Rules / map elements / listeners the backend now holds (for the rules-count metric). */
  rules: number;
}

/** A proxy mode. `sync` is never called concurrently. */
export interface ProxyBackend {
  readonly mode: 'userspace' | 'nftables' | 'iptables';
  /** Kernel modes keep NAT state in conntrack and need stale UDP entries flushed. */
  readonly usesConntrack: boolean;
  /**
   * Make the rules match `snapshot`. `full` = rebuild everything (first sync, after a failure,
   * periodic); otherwise only `changes` differ from what the last successful sync applied.
   * Throws when the rules could not be applied (the core then schedules a full resync).
   */
  sync(snapshot: ProxySnapshot, changes: readonly ServicePortChange[], full: boolean): Promise<BackendSyncResult>;
  /** Remove everything this backend ever installed (`--cleanup`). */
  cleanup(): Promise<void>;
  /** Release sockets/timers; leaves kernel rules in place. */
  stop(): Promise<void>;
}
