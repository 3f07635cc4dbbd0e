import type { Exec } from '../../util/exec.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import type { BackendSyncResult, ProxyBackend, ProxySnapshot, ServicePortChange } from '../types.js';
import type { NftSession } from './nft-session.js';
import { TABLE, deltaRuleset, fullRuleset, rulesForPort, type NftRulesetOptions, type PortRules } from './ruleset.js';

/**
 * Deltas up to this size go to the `nft -i` session, bigger ones (a burst of changes) through
 * a fresh `nft -f -`: nft's interactive reader (libedit) reads its input one byte per read(2),
 * so past ~8 KB the session loses to a new process (measured at load 6: 200 elements / 5 KB
 * 5-6 ms vs 8-10 ms; 800 / 18 KB 22 vs 18 ms; 20,000 / 478 KB 989 vs 280 ms).
 */
export const SESSION_MAX_CHARS = 8_000;

export interface NftablesBackendOptions extends NftRulesetOptions {
  /** Runs `nft` (wrapped with `ip netns exec` by the caller when programming another netns). */
  exec: Exec;
  /** A persistent `nft -i` for incremental syncs (optional; else `nft -f -` each time). */
  session?: NftSession;
  logger?: Logger;
}

/** The nftables mode: one `ip skiff` table, see ruleset.ts for the design. */
export class NftablesBackend implements ProxyBackend {
  readonly mode = 'nftables' as const;
  readonly usesConntrack = true;
  private applied = new Map<string, PortRules>();
  private known = { slotCounts: new Set<number>(), affinityTimeouts: new Set<number>() };
  private rules = 0;
  private readonly log: Logger;

  constructor(private readonly o: NftablesBackendOptions) {
    this.log = o.logger ?? silentLogger;
  }

  async sync(snapshot: ProxySnapshot, changes: readonly ServicePortChange[], full: boolean): Promise<BackendSyncResult> {
    if (full) {
      const next = new Map<string, PortRules>();
      for (const [id, s] of snapshot.ports) next.set(id, rulesForPort(s, this.o));
      const r = fullRuleset(next.values(), this.o);
      await this.nft(r.text);
      this.applied = next;
      this.known = { slotCounts: r.slotCounts, affinityTimeouts: r.affinityTimeouts };
      this.rules = r.rules;
      return { rules: this.rules };
    }
    const pending: { id: string; old?: PortRules; new?: PortRules }[] = [];
    for (const c of changes) pending.push({ id: c.id, old: this.applied.get(c.id), new: c.new ? rulesForPort(c.new, this.o) : undefined });
    const knownBefore = { slotCounts: new Set(this.known.slotCounts), affinityTimeouts: new Set(this.known.affinityTimeouts) };
    const d = deltaRuleset(pending, this.known);
    if (d.text) {
      try {
        if (this.o.session && d.text.length <= SESSION_MAX_CHARS) await this.o.session.run(d.text);
        else await this.nft(d.text);
      } catch (err) {
        this.known = knownBefore;
        throw err;
      }
    }
    for (const p of pending) {
      if (p.new) this.applied.set(p.id, p.new);
      else this.applied.delete(p.id);
    }
    this.rules += d.elementDelta;
    return { rules: this.rules };
  }

  private async nft(text: string): Promise<void> {
    await this.o.exec('nft', ['-f', '-'], { input: text, timeoutMs: 120_000 });
  }

  async cleanup(): Promise<void> {
    const r = await this.o.exec('nft', ['delete', 'table', 'ip', TABLE], { check: false });
    if (r.code !== 0 && !/No such file/.test(r.stderr)) this.log.warn({ stderr: r.stderr }, 'nft delete table failed');
    this.applied.clear();
    this.o.session?.close();
  }

  async stop(): Promise<void> {
    this.o.session?.close();
  }
}
