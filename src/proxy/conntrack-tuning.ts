import type { Exec } from '../util/exec.js';
import type { Logger } from '../util/logger.js';

/**
 * Conntrack sysctls the kernel modes own, as kube-proxy's `--conntrack-*` flags: every proxied
 * connection is a conntrack entry, so a busy node can fill the table ("nf_conntrack: table
 * full, dropping packet") or keep idle entries for days. 0 leaves a setting alone.
 */
export interface ConntrackTuning {
  /** nf_conntrack_max = max(min, maxPerCore × cores); only ever raised. */
  maxPerCore: number;
  min: number;
  /** net.netfilter.nf_conntrack_tcp_timeout_established, seconds. */
  tcpTimeoutEstablishedSeconds: number;
  /** net.netfilter.nf_conntrack_tcp_timeout_close_wait, seconds. */
  tcpTimeoutCloseWaitSeconds: number;
}

/** kube-proxy's defaults (v1.29+: 32768 per core, at least 131072, 24 h, 1 h). */
export const KUBE_PROXY_CONNTRACK: ConntrackTuning = {
  maxPerCore: 32768,
  min: 131072,
  tcpTimeoutEstablishedSeconds: 86400,
  tcpTimeoutCloseWaitSeconds: 3600,
};

export const CONNTRACK_MAX = 'net.netfilter.nf_conntrack_max';
export const TCP_TIMEOUT_ESTABLISHED = 'net.netfilter.nf_conntrack_tcp_timeout_established';
export const TCP_TIMEOUT_CLOSE_WAIT = 'net.netfilter.nf_conntrack_tcp_timeout_close_wait';

/** The table size asked for, or 0 when the max is left alone (maxPerCore 0, as in kube-proxy). */
export function desiredConntrackMax(t: ConntrackTuning, cores: number): number {
  if (t.maxPerCore <= 0) return 0;
  return Math.max(t.min, t.maxPerCore * cores);
}

export interface AppliedSysctl {
  key: string;
  from: number;
  to: number;
}

/**
 * Writes the settings through `exec` (already wrapped for the proxy's netns): the timeouts are
 * per network namespace; nf_conntrack_max is global and read-only outside the host namespace
 * (measured on 6.18: EINVAL), so there a failed write is logged, not fatal. Returns what changed.
 */
export async function applyConntrackTuning(o: { exec: Exec; tuning: ConntrackTuning; cores: number; logger?: Logger }): Promise<AppliedSysctl[]> {
  const wanted: { key: string; value: number; raiseOnly: boolean }[] = [];
  const max = desiredConntrackMax(o.tuning, o.cores);
  if (max > 0) wanted.push({ key: CONNTRACK_MAX, value: max, raiseOnly: true });
  if (o.tuning.tcpTimeoutEstablishedSeconds > 0) wanted.push({ key: TCP_TIMEOUT_ESTABLISHED, value: o.tuning.tcpTimeoutEstablishedSeconds, raiseOnly: false });
  if (o.tuning.tcpTimeoutCloseWaitSeconds > 0) wanted.push({ key: TCP_TIMEOUT_CLOSE_WAIT, value: o.tuning.tcpTimeoutCloseWaitSeconds, raiseOnly: false });
  const applied: AppliedSysctl[] = [];
  for (const w of wanted) {
    const read = await o.exec('sysctl', ['-n', w.key], { check: false });
    const text = read.stdout.trim();
    const current = Number(text);
    if (read.code !== 0 || text === '' || !Number.isFinite(current)) {
      o.logger?.warn({ key: w.key, stderr: read.stderr.trim() }, 'conntrack sysctl not readable (is nf_conntrack loaded?); left alone');
      continue;
    }
    if (current === w.value || (w.raiseOnly && current > w.value)) continue;
    const write = await o.exec('sysctl', ['-w', `${w.key}=${w.value}`], { check: false });
    // procps sysctl exits 0 even when the kernel refuses the write (EINVAL): read it back.
    const after = await o.exec('sysctl', ['-n', w.key], { check: false });
    if (write.code !== 0 || Number(after.stdout.trim()) !== w.value) {
      o.logger?.warn({ key: w.key, current, wanted: w.value, stderr: write.stderr.trim() }, 'conntrack sysctl not writable here (nf_conntrack_max is global: set it on the host); left alone');
      continue;
    }
    applied.push({ key: w.key, from: current, to: w.value });
  }
  if (applied.length) o.logger?.info({ applied }, 'conntrack sysctls set');
  return applied;
}

/**
 * Puts back what applyConntrackTuning changed (newest first), for a stop with cleanup: the
 * machine is left as the proxy found it. A value someone else changed since is still
 * overwritten only if it is the one we wrote.
 */
export async function restoreConntrackTuning(o: { exec: Exec; applied: AppliedSysctl[]; logger?: Logger }): Promise<void> {
  for (const a of [...o.applied].reverse()) {
    const read = await o.exec('sysctl', ['-n', a.key], { check: false });
    if (Number(read.stdout.trim()) !== a.to) {
      o.logger?.info({ key: a.key, expected: a.to, found: read.stdout.trim() }, 'conntrack sysctl changed since start; left as it is');
      continue;
    }
    const write = await o.exec('sysctl', ['-w', `${a.key}=${a.from}`], { check: false });
    if (write.code !== 0) o.logger?.warn({ key: a.key, value: a.from, stderr: write.stderr.trim() }, 'conntrack sysctl not restored');
  }
}
