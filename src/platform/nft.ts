/**
 * The host firewall: nftables through `nft -f -` (one atomic transaction per change)
 * and, only to coexist with engines that use iptables (dockerd sets the iptables
 * FORWARD policy to DROP), `iptables-restore --noflush` into a chain of our own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { run } from './exec.js';

/** A table added or deleted in this netns, by anyone (iptables-nft, another engine, us). */
export interface TableEvent {
  op: 'add' | 'delete';
  family: string;
  name: string;
}

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

/** "add table ip filter" (a line of `nft monitor tables`) -> the event, or undefined. */
export function parseTableEvent(line: string): TableEvent | undefined {
  const m = /^(add|delete) table (\S+) (\S+)/.exec(line.trim());
  return m ? { op: m[1] as TableEvent['op'], family: m[2]!, name: m[3]! } : undefined;
}

export interface FirewallTool {
  /** Applies an nft script as one transaction; nothing changes if any line fails. */
  apply(script: string): Promise<void>;
  /** `nft -j list tables` as [family, name] pairs. */
  tables(): Promise<Array<{ family: string; name: string }>>;
  /** `iptables -w ARGS`; resolves with the exit code (never throws for a non-zero one). */
  iptables(args: string[]): Promise<number>;
  /** `iptables-restore -w --noflush`, atomically. */
  iptablesRestore(script: string): Promise<void>;
  /**
   * Calls onEvent for every table added or deleted from now on, until the returned
   * function is called. Event-driven (one idle `nft monitor tables` process, restarted
   * if it dies): no polling, nothing on the path of a container start.
   */
  watchTables(onEvent: (e: TableEvent) => void): () => void;
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

  watchTables(onEvent: (e: TableEvent) => void): () => void {
    let child: ChildProcess | undefined;
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const start = () => {
      if (stopped) return;
      // setpriv (util-linux) sets PR_SET_PDEATHSIG and execs nft: a SIGKILLed hakod takes its monitor with it.
      const [cmd, args] = SETPRIV ? [SETPRIV, ['--pdeathsig', 'KILL', 'nft', 'monitor', 'tables']] : ['nft', ['monitor', 'tables']];
      const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] });
      child = c;
      c.unref();
      (c.stdout as unknown as { unref?: () => void }).unref?.();
      createInterface({ input: c.stdout! }).on('line', (l) => {
        const e = parseTableEvent(l);
        if (e) onEvent(e);
      });
      c.on('error', () => {});
      // A monitor that dies (nft missing, killed) comes back after a pause.
      c.on('close', () => {
        if (!stopped) timer = setTimeout(start, 2000).unref();
      });
    };
    start();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    };
  }
}

/** Records scripts; keeps a naive table list from `add/delete table` lines. */
export class FakeFirewall implements FirewallTool {
  readonly scripts: string[] = [];
  readonly iptablesCalls: string[][] = [];
  readonly restores: string[] = [];
  tableList: Array<{ family: string; name: string }> = [];
  iptablesCode = 1;
  readonly watchers = new Set<(e: TableEvent) => void>();

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
  watchTables(onEvent: (e: TableEvent) => void): () => void {
    this.watchers.add(onEvent);
    return () => this.watchers.delete(onEvent);
  }
  /** Delivers a table event to the watchers (a dockerd creating iptables' filter table). */
  emit(e: TableEvent): void {
    for (const w of this.watchers) w(e);
  }
  last(): string {
    return this.scripts[this.scripts.length - 1] ?? '';
  }
}
