/**
 * cgroup v1 limits for containers: /sys/fs/cgroup/{memory,cpu}/skiff/<node>/<podUID>/<container>.
 * The node level keeps simulated nodes on one machine apart. Limits: memory.limit_in_bytes
 * (the kernel OOM killer kills inside the group; `oom_kill` in memory.oom_control counts it),
 * cpu.cfs_quota_us over cpu.cfs_period_us = 100 ms. Used only when root and the v1 memory and
 * cpu hierarchies are mounted; otherwise limits are recorded but not enforced.
 */
import { existsSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface CgroupLimits {
  memoryBytes?: number;
  /** CPU limit in millicores. */
  cpuMillis?: number;
}

export interface ContainerCgroup {
  /** The cgroup.procs files the container's first process writes itself into. */
  procsFiles: string[];
  memoryDir?: string;
  cpuDir?: string;
}

const CFS_PERIOD_US = 100_000;

export class CgroupManager {
  constructor(
    private readonly root: string,
    /** Path below each hierarchy, e.g. `skiff/node-1`. */
    private readonly parent: string,
  ) {}

  /** cgroups v1 memory+cpu usable here (root, hierarchies mounted and writable)? */
  static available(root = '/sys/fs/cgroup'): boolean {
    if (process.getuid?.() !== 0) return false;
    return existsSync(join(root, 'memory', 'memory.limit_in_bytes')) && existsSync(join(root, 'cpu', 'cpu.cfs_quota_us'));
  }

  private dir(controller: 'memory' | 'cpu', ...parts: string[]): string {
    return join(this.root, controller, this.parent, ...parts);
  }

  /** Asynchronous: making cgroups takes the kernel ~1 ms each under load, off the agent's loop here. */
  async create(podUID: string, container: string, limits: CgroupLimits): Promise<ContainerCgroup> {
    const memoryDir = this.dir('memory', podUID, container);
    const cpuDir = this.dir('cpu', podUID, container);
    await Promise.all([mkdir(memoryDir, { recursive: true }), mkdir(cpuDir, { recursive: true })]);
    // -1 = unlimited; writing it also resets a limit left from a previous instance.
    await Promise.all([
      writeFile(join(memoryDir, 'memory.limit_in_bytes'), limits.memoryBytes ? String(limits.memoryBytes) : '-1'),
      // The period before the quota: a quota is checked against the period in force.
      writeFile(join(cpuDir, 'cpu.cfs_period_us'), String(CFS_PERIOD_US)).then(() =>
        writeFile(join(cpuDir, 'cpu.cfs_quota_us'), limits.cpuMillis ? String(Math.max(1000, Math.round((limits.cpuMillis * CFS_PERIOD_US) / 1000))) : '-1'),
      ),
    ]);
    return { procsFiles: [join(memoryDir, 'cgroup.procs'), join(cpuDir, 'cgroup.procs')], memoryDir, cpuDir };
  }

  /** How many times the kernel OOM killer has killed in this container's group. */
  oomKills(podUID: string, container: string): number {
    try {
      const text = readFileSync(join(this.dir('memory', podUID, container), 'memory.oom_control'), 'utf8');
      const m = /oom_kill (\d+)/.exec(text);
      if (m) return Number(m[1]);
    } catch {
      return 0;
    }
    // Kernels before 4.13 have no oom_kill counter: fall back to the limit-hit count.
    try {
      return Number(readFileSync(join(this.dir('memory', podUID, container), 'memory.failcnt'), 'utf8').trim()) > 0 ? 1 : 0;
    } catch {
      return 0;
    }
  }

  /** PIDs still inside the container's groups (strays that left the process group). */
  pids(podUID: string, container: string): number[] {
    const out = new Set<number>();
    for (const c of ['memory', 'cpu'] as const) {
      try {
        for (const l of readFileSync(join(this.dir(c, podUID, container), 'cgroup.procs'), 'utf8').split('\n')) if (l.trim()) out.add(Number(l));
      } catch {
        /* gone */
      }
    }
    return [...out];
  }

  /** Memory usage in bytes and CPU usage (cpuacct is not joined: only memory here). */
  memoryUsage(podUID: string, container: string): number | undefined {
    try {
      return Number(readFileSync(join(this.dir('memory', podUID, container), 'memory.usage_in_bytes'), 'utf8').trim());
    } catch {
      return undefined;
    }
  }

  /** Removes the container's groups (must be empty of processes). Returns false if some remain. */
  removeContainer(podUID: string, container: string): boolean {
    let ok = true;
    for (const c of ['memory', 'cpu'] as const) {
      const d = this.dir(c, podUID, container);
      if (!existsSync(d)) continue;
      try {
        rmdirSync(d);
      } catch {
        ok = false;
      }
    }
    return ok;
  }

  /** Removes the pod's groups and every container group below them. */
  removePod(podUID: string): boolean {
    let ok = true;
    for (const c of ['memory', 'cpu'] as const) {
      const d = this.dir(c, podUID);
      if (!existsSync(d)) continue;
      for (const entry of readdirSync(d, { withFileTypes: true })) {
        if (!entry.isDirectory()) continue;
        try {
          rmdirSync(join(d, entry.name));
        } catch {
          ok = false;
        }
      }
      try {
        rmdirSync(d);
      } catch {
        ok = false;
      }
    }
    return ok;
  }

  /** Removes the node-level parent groups if empty (agent shutdown with no pods). */
  removeNode(): void {
    for (const c of ['memory', 'cpu'] as const) {
      const d = join(this.root, c, this.parent);
      try {
        rmdirSync(d);
        rmdirSync(join(d, '..'));
      } catch {
        /* not empty or gone */
      }
    }
  }

  podUIDs(): string[] {
    try {
      return readdirSync(this.dir('memory'), { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name);
    } catch {
      return [];
    }
  }
}
