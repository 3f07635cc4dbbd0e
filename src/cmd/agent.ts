/**
 * `skiff agent`: the node agent. Chooses the pod network (netns | host) and wires the client.
 * Also exports `startAgent` for `skiff up`.
 */
import { mkdirSync } from 'node:fs';
import { hostname, networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent } from '../agent/agent.js';
import { RestClient } from '../client/rest-client.js';
import type { ApiClient } from '../client/types.js';
import { HostNetwork } from '../network/host-network.js';
import { NetnsNetwork } from '../network/netns-network.js';
import type { PodNetwork } from '../network/pod-network.js';
import { createLogger, type Logger } from '../util/logger.js';

export interface StartAgentOptions {
  /** Either a kubeconfig path or a ready client. */
  kubeconfig?: string;
  client?: ApiClient;
  nodeName?: string;
  network?: 'netns' | 'host';
  nodeNetns?: string;
  nodeIP?: string;
  dataDir?: string;
  clusterDns?: string[];
  clusterDomain?: string;
  port?: number;
  /** Bind address of the stream server (default: node IP; 127.0.0.1 with nodeNetns or host network). */
  bindAddress?: string;
  /** host mode: loopback range for pod IPs. */
  hostPodRange?: string;
  logger?: Logger;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  leaseIntervalMs?: number;
  cgroups?: boolean;
}

export interface RunningAgent {
  agent: Agent;
  stop(opts?: { keepPods?: boolean }): Promise<void>;
}

function firstExternalIPv4(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

export async function startAgent(o: StartAgentOptions): Promise<RunningAgent> {
  const logger = o.logger ?? createLogger('agent');
  const nodeName = o.nodeName ?? hostname();
  const dataDir = o.dataDir ?? join(process.getuid?.() === 0 ? '/var/lib/skiff' : tmpdir(), `agent-${nodeName}`);
  mkdirSync(dataDir, { recursive: true });
  const mode = o.network ?? (process.getuid?.() === 0 ? 'netns' : 'host');
  if (mode === 'netns' && process.getuid?.() !== 0) throw new Error('--network netns needs root; use --network host');
  const nodeIP = o.nodeIP ?? (mode === 'host' || o.nodeNetns ? '127.0.0.1' : firstExternalIPv4());
  let network: PodNetwork;
  if (mode === 'netns') {
    network = new NetnsNetwork({
      dataDir,
      nodeIP,
      nodeNetns: o.nodeNetns,
      clusterDns: o.clusterDns ?? ['10.96.0.10'],
      clusterDomain: o.clusterDomain ?? 'cluster.local',
    });
  } else {
    network = new HostNetwork({ dataDir, nodeIP, podRange: o.hostPodRange });
  }
  let client = o.client;
  let owned: RestClient | undefined;
  if (!client) {
    if (!o.kubeconfig) throw new Error('--kubeconfig is required');
    owned = await RestClient.fromKubeconfig(o.kubeconfig, { userAgent: `skiff-agent/${nodeName}` });
    client = owned;
  }
  // A node inside its own namespace is not reachable from the API server's namespace: serve
  // streams on loopback of the agent's (root) namespace instead.
  const bindAddress = o.bindAddress ?? (o.nodeNetns ? '127.0.0.1' : nodeIP);
  const agent = new Agent({
    client,
    nodeName,
    network,
    dataDir,
    port: o.port ?? 10250,
    bindAddress,
    cgroups: o.cgroups,
    logger,
    backoffBaseMs: o.backoffBaseMs,
    backoffMaxMs: o.backoffMaxMs,
    leaseIntervalMs: o.leaseIntervalMs,
  });
  await agent.start();
  return {
    agent,
    async stop(opts = {}) {
      await agent.stop(opts);
      owned?.close();
    },
  };
}

const HELP = `Usage: skiff agent --kubeconfig FILE [flags]

Runs the node agent: registers the Node, heartbeats its Lease, runs the pods bound to it as
process groups with their own network, and serves logs/exec/port-forward.

Flags:
  --kubeconfig FILE       credentials for the API server (e.g. DIR/components/agent.kubeconfig)
  --node-name NAME        Node name (default: the hostname)
  --network netns|host    pod network: netns (root; namespace per pod) or host (loopback IPs)
  --node-netns NAME       run the node inside this existing network namespace (netns mode)
  --node-ip IP            the node's address (InternalIP; hostIP of pods)
  --data-dir DIR          state, logs, IPAM (default /var/lib/skiff/agent-NAME)
  --cluster-dns IP        cluster DNS address for pods' resolv.conf (default 10.96.0.10; repeatable)
  --cluster-domain D      cluster domain (default cluster.local)
  --port PORT             stream server port (default 10250; 0 = any)
  --bind-address IP       stream server address (default the node IP; 127.0.0.1 with --node-netns)
  --host-pod-range CIDR   host mode: loopback range for pod IPs (default 127.1.0.0/16)
  --backoff-base-ms N     container restart back-off start (default 10000)
  --backoff-max-ms N      container restart back-off cap (default 300000)
  --no-cgroups            do not enforce limits with cgroups
SIGTERM/SIGINT stop the agent and its pods; SIGUSR2 stops the agent leaving pods running
(the next agent adopts them).
`;

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      kubeconfig: { type: 'string' },
      'node-name': { type: 'string' },
      network: { type: 'string' },
      'node-netns': { type: 'string' },
      'node-ip': { type: 'string' },
      'data-dir': { type: 'string' },
      'cluster-dns': { type: 'string', multiple: true },
      'cluster-domain': { type: 'string' },
      port: { type: 'string' },
      'bind-address': { type: 'string' },
      'host-pod-range': { type: 'string' },
      'backoff-base-ms': { type: 'string' },
      'backoff-max-ms': { type: 'string' },
      'lease-interval-ms': { type: 'string' },
      'no-cgroups': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (!values.kubeconfig) {
    process.stderr.write(`skiff agent: --kubeconfig is required\n\n${HELP}`);
    return 2;
  }
  if (values.network && values.network !== 'netns' && values.network !== 'host') {
    process.stderr.write('skiff agent: --network must be netns or host\n');
    return 2;
  }
  const logger = createLogger('agent');
  const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));
  const running = await startAgent({
    kubeconfig: values.kubeconfig,
    nodeName: values['node-name'],
    network: values.network as 'netns' | 'host' | undefined,
    nodeNetns: values['node-netns'],
    nodeIP: values['node-ip'],
    dataDir: values['data-dir'],
    clusterDns: values['cluster-dns'],
    clusterDomain: values['cluster-domain'],
    port: num(values.port),
    bindAddress: values['bind-address'],
    hostPodRange: values['host-pod-range'],
    backoffBaseMs: num(values['backoff-base-ms']),
    backoffMaxMs: num(values['backoff-max-ms']),
    leaseIntervalMs: num(values['lease-interval-ms']),
    cgroups: values['no-cgroups'] ? false : undefined,
    logger,
  });
  process.stdout.write(`agent ${running.agent.endpoint} ready\n`);
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (keepPods: boolean): void => {
      if (stopping) return;
      stopping = true;
      running.stop({ keepPods }).then(
        () => resolve(0),
        (err: Error) => {
          logger.error({ err: err.message }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', () => stop(false));
    process.on('SIGINT', () => stop(false));
    process.on('SIGUSR2', () => stop(true));
  });
}
