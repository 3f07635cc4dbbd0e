import type { Exec } from '../../util/exec.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import type { BackendSyncResult, ProxyBackend, ProxySnapshot, ServicePortChange } from '../types.js';
import { chainsForPort, deltaNat, filterSection, fullRuleset, natWithoutOurs, type IptRulesetOptions, type PortChains } from './ruleset.js';

export interface IptablesBackendOptions extends IptRulesetOptions {
  /** Runs iptables tools (wrapped with `ip netns exec` by the caller for another netns). */
  exec: Exec;
  logger?: Logger;
}

/** Jumps from the built-in chains. nat ones are part of the full nat table; filter ones are checked (`-C`) and inserted per full sync. */
const BASE_JUMPS: [table: string, chain: string, args: string[]][] = [
  ['nat', 'PREROUTING', ['-j', 'KUBE-SERVICES']],
  ['nat', 'OUTPUT', ['-j', 'KUBE-SERVICES']],
  ['nat', 'POSTROUTING', ['-j', 'KUBE-POSTROUTING']],
  ['filter', 'INPUT', ['-m', 'conntrack', '--ctstate', 'NEW', '-j', 'KUBE-SERVICES']],
  ['filter', 'FORWARD', ['-m', 'conntrack', '--ctstate', 'NEW', '-j', 'KUBE-SERVICES']],
  ['filter', 'OUTPUT', ['-m', 'conntrack', '--ctstate', 'NEW', '-j', 'KUBE-SERVICES']],
];

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
      const save = await this.o.exec('iptables-save', ['-t', 'nat'], { check: false });
      const all = [...next.values()];
      const r = fullRuleset(all, this.o, save.stdout);
      await this.o.exec('iptables-restore', ['-w', '5'], { input: r.nat, timeoutMs: 300_000 });
      await this.restore(r.filter);
      await this.ensureFilterJumps();
      this.applied = next;
      this.filterText = r.filter;
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

  private async ensureFilterJumps(): Promise<void> {
    for (const [table, chain, args] of BASE_JUMPS) {
      if (table !== 'filter') continue;
      const check = await this.o.exec('iptables', ['-w', '5', '-t', table, '-C', chain, ...args], { check: false });
      if (check.code !== 0) await this.o.exec('iptables', ['-w', '5', '-t', table, '-I', chain, '1', ...args]);
    }
  }

  async cleanup(): Promise<void> {
    const save = await this.o.exec('iptables-save', ['-t', 'nat'], { check: false });
    if (save.code === 0 && /KUBE-/.test(save.stdout)) {
      const r = await this.o.exec('iptables-restore', ['-w', '5'], { input: natWithoutOurs(save.stdout), check: false, timeoutMs: 300_000 });
      if (r.code !== 0) this.log.warn({ stderr: r.stderr }, 'iptables nat cleanup failed');
    }
    for (const [table, chain, args] of BASE_JUMPS) {
      if (table !== 'filter') continue;
      for (let i = 0; i < 10; i++) {
        const r = await this.o.exec('iptables', ['-w', '5', '-t', table, '-D', chain, ...args], { check: false });
        if (r.code !== 0) break;
      }
    }
    const filter = await this.o.exec('iptables-save', ['-t', 'filter'], { check: false });
    if (/^:KUBE-SERVICES /m.test(filter.stdout)) {
      const r = await this.o.exec('iptables-restore', ['--noflush', '-w', '5'], { input: '*filter\n:KUBE-SERVICES - [0:0]\n-X KUBE-SERVICES\nCOMMIT\n', check: false });
      if (r.code !== 0) this.log.warn({ stderr: r.stderr }, 'iptables filter cleanup failed');
    }
    this.applied.clear();
    this.filterText = '';
  }

  async stop(): Promise<void> {}
}
