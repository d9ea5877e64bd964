/**
 * The host firewall: nftables through `nft -f -` (one atomic transaction per change)
 * and, only to coexist with engines that use iptables (dockerd sets the iptables
 * FORWARD policy to DROP), `iptables-restore --noflush` into a chain of our own.
 */
import { run } from './exec.js';

export interface FirewallTool {
  /** Applies an nft script as one transaction; nothing changes if any line fails. */
  apply(script: string): Promise<void>;
  /** `nft -j list tables` as [family, name] pairs. */
  tables(): Promise<Array<{ family: string; name: string }>>;
  /** `iptables -w ARGS`; resolves with the exit code (never throws for a non-zero one). */
  iptables(args: string[]): Promise<number>;
  /** `iptables-restore -w --noflush`, atomically. */
  iptablesRestore(script: string): Promise<void>;
}

export class NftFirewall implements FirewallTool {
  async apply(script: string): Promise<void> {
    await run('nft', ['-f', '-'], { input: script });
  }

  async tables(): Promise<Array<{ family: string; name: string }>> {
    const r = await run('nft', ['-j', 'list', 'tables']);
    const j = JSON.parse(r.stdout || '{"nftables":[]}') as { nftables: Array<Record<string, any>> };
    return j.nftables.filter((x) => x.table).map((x) => ({ family: x.table.family, name: x.table.name }));
  }

  async iptables(args: string[]): Promise<number> {
    const r = await run('iptables', ['-w', ...args], { allowFailure: true }).catch(() => ({ code: 127 }));
    return r.code;
  }

  async iptablesRestore(script: string): Promise<void> {
    await run('iptables-restore', ['-w', '--noflush'], { input: script });
  }
}

/** Records scripts; keeps a naive table list from `add/delete table` lines. */
export class FakeFirewall implements FirewallTool {
  readonly scripts: string[] = [];
  readonly iptablesCalls: string[][] = [];
  readonly restores: string[] = [];
  tableList: Array<{ family: string; name: string }> = [];
  iptablesCode = 1;

  async apply(script: string): Promise<void> {
    this.scripts.push(script);
    for (const line of script.split('\n')) {
      const m = /^\s*(add |delete )?table (\w+) (\S+)/.exec(line);
      if (!m) continue;
      const t = { family: m[2]!, name: m[3]! };
      this.tableList = this.tableList.filter((x) => x.family !== t.family || x.name !== t.name);
      if (m[1] !== 'delete ') this.tableList.push(t);
    }
  }
  async tables(): Promise<Array<{ family: string; name: string }>> {
    return [...this.tableList];
  }
  async iptables(args: string[]): Promise<number> {
    this.iptablesCalls.push(args);
    return this.iptablesCode;
  }
  async iptablesRestore(script: string): Promise<void> {
    this.restores.push(script);
  }
  last(): string {
    return this.scripts[this.scripts.length - 1] ?? '';
  }
}
