import type { Exec } from '../../util/exec.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import type { BackendSyncResult, ProxyBackend, ProxySnapshot, ServicePortChange } from '../types.js';
import { chainsForPort, deltaNat, filterSection, fullRuleset, type IptRulesetOptions, type PortChains } from './ruleset.js';

export interface IptablesBackendOptions extends IptRulesetOptions {
  /** Runs iptables tools (wrapped with `ip netns exec` by the caller for another netns). */
  exec: Exec;
  logger?: Logger;
}

/** Jumps from the built-in chains, checked (`-C`) and inserted once per full sync. */
const BASE_JUMPS: [table: string, chain: string, args: string[]][] = [
  ['nat', 'PREROUTING', ['-j', 'KUBE-SERVICES']],
  ['nat', 'OUTPUT', ['-j', 'KUBE-SERVICES']],
  ['nat', 'POSTROUTING', ['-j', 'KUBE-POSTROUTING']],
  ['filter', 'INPUT', ['-m', 'conntrack', '--ctstate', 'NEW', '-j', 'KUBE-SERVICES']],
  ['filter', 'FORWARD', ['-m', 'conntrack', '--ctstate', 'NEW', '-j', 'KUBE-SERVICES']],
  ['filter', 'OUTPUT', ['-m', 'conntrack', '--ctstate', 'NEW', '-j', 'KUBE-SERVICES']],
];

const OWN_CHAIN = /^:(KUBE-(?:SVC|EXT|SEP)-[0-9A-F]{16}) /;

/** The iptables mode; see ruleset.ts for the layout. Applied with `iptables-restore --noflush`. */
export class IptablesBackend implements ProxyBackend {
  readonly mode = 'iptables' as const;
  readonly usesConntrack = true;
  private applied = new Map<string, PortChains>();
  private filterText = '';
  private rules = 0;
  private readonly log: Logger;

  constructor(private readonly o: IptablesBackendOptions) {
    this.log = o.logger ?? silentLogger;
  }

  async sync(snapshot: ProxySnapshot, changes: readonly ServicePortChange[], full: boolean): Promise<BackendSyncResult> {
    if (full) {
      const next = new Map<string, PortChains>();
      for (const [id, s] of snapshot.ports) next.set(id, chainsForPort(s, this.o));
      const wanted = new Set<string>();
      for (const p of next.values()) for (const c of p.chains.keys()) wanted.add(c);
      const save = await this.o.exec('iptables-save', ['-t', 'nat'], { check: false });
      const stale: string[] = [];
      for (const line of save.stdout.split('\n')) {
        const m = OWN_CHAIN.exec(line);
        if (m && !wanted.has(m[1]!)) stale.push(m[1]!);
      }
      const all = [...next.values()];
      const r = fullRuleset(all, this.o, stale);
      await this.restore(r.text);
      await this.ensureBaseJumps();
      this.applied = next;
      this.filterText = filterSection(all);
      this.rules = r.rules;
      return { rules: this.rules };
    }
    const pending: { id: string; old?: PortChains; new?: PortChains }[] = [];
    for (const c of changes) pending.push({ id: c.id, old: this.applied.get(c.id), new: c.new ? chainsForPort(c.new, this.o) : undefined });
    const nat = deltaNat(pending);
    const nextApplied = new Map(this.applied);
    for (const p of pending) {
      if (p.new) nextApplied.set(p.id, p.new);
      else nextApplied.delete(p.id);
    }
    const filter = filterSection(nextApplied.values());
    const text = nat.text + (filter !== this.filterText ? filter : '');
    if (text) await this.restore(text);
    const filterCount = (t: string) => t.split('\n').filter((l) => l.startsWith('-A ')).length;
    this.rules += nat.ruleDelta + filterCount(filter) - filterCount(this.filterText);
    this.applied = nextApplied;
    this.filterText = filter;
    return { rules: this.rules };
  }

  private async restore(text: string): Promise<void> {
    await this.o.exec('iptables-restore', ['--noflush', '-w', '5'], { input: text, timeoutMs: 300_000 });
  }

  private async ensureBaseJumps(): Promise<void> {
    for (const [table, chain, args] of BASE_JUMPS) {
      const check = await this.o.exec('iptables', ['-w', '5', '-t', table, '-C', chain, ...args], { check: false });
      if (check.code !== 0) await this.o.exec('iptables', ['-w', '5', '-t', table, '-I', chain, '1', ...args]);
    }
  }

  async cleanup(): Promise<void> {
    for (const [table, chain, args] of BASE_JUMPS) {
      for (let i = 0; i < 10; i++) {
        const r = await this.o.exec('iptables', ['-w', '5', '-t', table, '-D', chain, ...args], { check: false });
        if (r.code !== 0) break;
      }
    }
    const save = await this.o.exec('iptables-save', [], { check: false });
    const natChains: string[] = [];
    const filterChains: string[] = [];
    let table = '';
    for (const line of save.stdout.split('\n')) {
      if (line.startsWith('*')) table = line.slice(1);
      const m = /^:(KUBE-[A-Z0-9-]+) /.exec(line);
      if (!m) continue;
      if (table === 'nat') natChains.push(m[1]!);
      if (table === 'filter' && m[1] === 'KUBE-SERVICES') filterChains.push(m[1]);
    }
    const section = (name: string, chains: string[]) =>
      chains.length ? [`*${name}`, ...chains.map((c) => `:${c} - [0:0]`), ...chains.map((c) => `-X ${c}`), 'COMMIT', ''].join('\n') : '';
    const text = section('nat', natChains) + section('filter', filterChains);
    if (text) {
      const r = await this.o.exec('iptables-restore', ['--noflush', '-w', '5'], { input: text, check: false });
      if (r.code !== 0) this.log.warn({ stderr: r.stderr }, 'iptables cleanup failed');
    }
    this.applied.clear();
    this.filterText = '';
  }

  async stop(): Promise<void> {}
}
