/** The Node object the agent registers and keeps current, and its Lease. */
import { readFileSync } from 'node:fs';
import { arch, cpus, hostname, release, totalmem } from 'node:os';
import type { Condition, Lease, Node } from '../api/types.js';
import { rfc3339, rfc3339Micro } from '../util/clock.js';

export const ENDPOINT_ANNOTATION = 'skiff.dev/agent-endpoint';
export const TOKEN_ANNOTATION = 'skiff.dev/agent-token';

export interface NodeFacts {
  nodeName: string;
  nodeIP: string;
  port: number;
  endpoint: string;
  token: string;
  version: string;
  labels?: Record<string, string>;
  /** Overrides for simulated nodes (e.g. { cpu: '4', memory: '8Gi' }). */
  capacity?: Record<string, string>;
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return fallback;
  }
}

function osImage(): string {
  const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readOr('/etc/os-release', ''));
  return m?.[1] ?? 'Linux';
}

export function nodeCapacity(facts: NodeFacts): Record<string, string> {
  return {
    cpu: String(cpus().length),
    memory: `${Math.floor(totalmem() / 1024)}Ki`,
    pods: '110',
    'ephemeral-storage': '0',
    ...facts.capacity,
  };
}

export function nodeConditions(nowMs: number, ready: boolean, previous?: Node): Condition[] {
  const now = rfc3339(nowMs);
  const prev = new Map((previous?.status?.conditions ?? []).map((c) => [c.type, c]));
  const cond = (type: string, status: 'True' | 'False', reason: string, message: string): Condition => {
    const p = prev.get(type);
    return { type, status, reason, message, lastHeartbeatTime: now, lastTransitionTime: p && p.status === status ? (p.lastTransitionTime ?? now) : now };
  };
  return [
    cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    ready ? cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status') : cond('Ready', 'False', 'KubeletNotReady', 'agent is starting'),
  ];
}

export function buildNode(facts: NodeFacts, nowMs: number): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: facts.nodeName,
      labels: {
        'kubernetes.io/hostname': facts.nodeName,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': arch() === 'x64' ? 'amd64' : arch(),
        'beta.kubernetes.io/os': 'linux',
        'beta.kubernetes.io/arch': arch() === 'x64' ? 'amd64' : arch(),
        ...facts.labels,
      },
      annotations: { [ENDPOINT_ANNOTATION]: facts.endpoint, [TOKEN_ANNOTATION]: facts.token },
    },
    spec: {},
    status: nodeStatus(facts, nowMs, true),
  };
}

export function nodeStatus(facts: NodeFacts, nowMs: number, ready: boolean, previous?: Node): NonNullable<Node['status']> {
  const capacity = nodeCapacity(facts);
  return {
    capacity,
    allocatable: { ...capacity },
    conditions: nodeConditions(nowMs, ready, previous),
    addresses: [
      { type: 'InternalIP', address: facts.nodeIP },
      { type: 'Hostname', address: facts.nodeName },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: facts.port } },
    nodeInfo: {
      machineID: readOr('/etc/machine-id', ''),
      systemUUID: readOr('/sys/class/dmi/id/product_uuid', ''),
      bootID: readOr('/proc/sys/kernel/random/boot_id', ''),
      kernelVersion: release(),
      osImage: osImage(),
      containerRuntimeVersion: `skiff://${facts.version}`,
      kubeletVersion: `v1.32.0-skiff.${facts.version}`,
      kubeProxyVersion: `v1.32.0-skiff.${facts.version}`,
      operatingSystem: 'linux',
      architecture: arch() === 'x64' ? 'amd64' : arch(),
    },
  };
}

export function buildLease(nodeName: string, nodeUID: string | undefined, nowMs: number, durationS = 40): Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: nodeName,
      namespace: 'kube-node-lease',
      ...(nodeUID ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: nodeUID }] } : {}),
    },
    spec: { holderIdentity: nodeName, leaseDurationSeconds: durationS, renewTime: rfc3339Micro(nowMs) },
  };
}

export const machineHostname = hostname;
