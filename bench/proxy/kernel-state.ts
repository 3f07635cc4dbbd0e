// What the throughput benchmark reads from (and resets in) a namespace between kernel-mode
// runs: the conntrack table and its counters, and TCP's SYN retransmits. Every row must start
// from the same kernel state: conntrack entries left by one row (TIME_WAIT for 120 s) occupy
// the reply tuples the next row's DNATed connections need, so NAT rewrites their source port.
import type { Exec } from '../../src/util/exec.js';

/** The conntrack counters that mean "a new connection was not tracked as asked". */
export interface ConntrackCounters {
  drop: number;
  insertFailed: number;
  earlyDrop: number;
  clashResolve: number;
}

export async function flushConntrack(exec: Exec): Promise<void> {
  await exec('conntrack', ['-F'], { check: false });
}

export async function conntrackCount(exec: Exec): Promise<number> {
  const r = await exec('conntrack', ['-C'], { check: false });
  return Number(r.stdout.trim());
}

/** `conntrack -S` summed over CPUs (the counters are per namespace). */
export async function conntrackCounters(exec: Exec): Promise<ConntrackCounters> {
  const r = await exec('conntrack', ['-S'], { check: false });
  const sum = (name: string) => [...r.stdout.matchAll(new RegExp(`\\b${name}=(\\d+)`, 'g'))].reduce((n, m) => n + Number(m[1]), 0);
  return { drop: sum('drop'), insertFailed: sum('insert_failed'), earlyDrop: sum('early_drop'), clashResolve: sum('clash_resolve') };
}

export function countersDelta(after: ConntrackCounters, before: ConntrackCounters): ConntrackCounters {
  return {
    drop: after.drop - before.drop,
    insertFailed: after.insertFailed - before.insertFailed,
    earlyDrop: after.earlyDrop - before.earlyDrop,
    clashResolve: after.clashResolve - before.clashResolve,
  };
}

/** One `TcpExt` counter of the namespace `exec` runs in (e.g. `TCPSynRetrans`), from /proc/net/netstat. */
export async function tcpExtCounter(exec: Exec, name: string): Promise<number> {
  const r = await exec('cat', ['/proc/net/netstat']);
  const lines = r.stdout.split('\n').filter((l) => l.startsWith('TcpExt:'));
  const names = lines[0]?.split(/\s+/) ?? [];
  const values = lines[1]?.split(/\s+/) ?? [];
  const i = names.indexOf(name);
  return i > 0 ? Number(values[i]) : NaN;
}
