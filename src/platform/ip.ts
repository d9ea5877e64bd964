/**
 * The host's network plumbing through iproute2: every change is one `ip -batch -`
 * (in the host or inside a network namespace), so wiring a container costs two
 * process spawns however many links, addresses and routes it needs.
 *
 * A netns is named either by a name under /run/netns (`ip -n NAME`) or by a path to
 * any netns file (a bind mount, /proc/PID/ns/net), run through `nsenter --net=PATH`
 * because `ip -n` only accepts names.
 */
import { writeFile, readFile } from 'node:fs/promises';
import { run } from './exec.js';

export interface IpTool {
  /** Runs `ip` commands (without the leading "ip") as one batch; the first failure throws. */
  batch(cmds: string[], netns?: string): Promise<void>;
  /** Like batch, but keeps going past failures (`ip -force`); for teardown and cleanup. */
  batchForce(cmds: string[], netns?: string): Promise<void>;
  /** `ip -j ARGS`, parsed. */
  json(args: string[], netns?: string): Promise<any[]>;
  /** Writes /proc/sys/<key with dots as slashes> in the host. */
  sysctl(key: string, value: string): Promise<void>;
  /** Names under /run/netns. */
  listNetns(): Promise<string[]>;
}

function ipArgs(args: string[], netns?: string): [string, string[]] {
  if (!netns) return ['ip', args];
  if (netns.includes('/')) return ['nsenter', [`--net=${netns}`, 'ip', ...args]];
  return ['ip', ['-n', netns, ...args]];
}

export class IpRoute implements IpTool {
  async batch(cmds: string[], netns?: string): Promise<void> {
    if (cmds.length === 0) return;
    const [cmd, args] = ipArgs(['-batch', '-'], netns);
    await run(cmd, args, { input: cmds.join('\n') + '\n' });
  }

  async batchForce(cmds: string[], netns?: string): Promise<void> {
    if (cmds.length === 0) return;
    const [cmd, args] = ipArgs(['-force', '-batch', '-'], netns);
    await run(cmd, args, { input: cmds.join('\n') + '\n', allowFailure: true });
  }

  async json(args: string[], netns?: string): Promise<any[]> {
    const [cmd, a] = ipArgs(['-j', ...args], netns);
    const r = await run(cmd, a);
    const out = r.stdout.trim();
    return out ? (JSON.parse(out) as any[]) : [];
  }

  async sysctl(key: string, value: string): Promise<void> {
    const path = '/proc/sys/' + key.replace(/\./g, '/');
    const cur = await readFile(path, 'utf8').catch(() => '');
    if (cur.trim() !== value) await writeFile(path, value);
  }

  async listNetns(): Promise<string[]> {
    const { readdir } = await import('node:fs/promises');
    return readdir('/run/netns').catch(() => []);
  }
}

export interface IpCall {
  op: 'batch' | 'batchForce' | 'json' | 'sysctl';
  netns?: string;
  cmds: string[];
}

/** Records every call; `json` answers from `jsonResults` keyed by the joined args. */
export class FakeIp implements IpTool {
  readonly calls: IpCall[] = [];
  jsonResults: Record<string, any[]> = {};
  netns: string[] = [];
  failOn?: RegExp;

  async batch(cmds: string[], netns?: string): Promise<void> {
    this.calls.push({ op: 'batch', netns, cmds });
    const bad = this.failOn && cmds.find((c) => this.failOn!.test(c));
    if (bad) throw new Error(`ip: fake failure on "${bad}"`);
    for (const c of cmds) {
      const m = /^netns (add|del) (\S+)$/.exec(c);
      if (m?.[1] === 'add') this.netns.push(m[2]!);
      if (m?.[1] === 'del') this.netns = this.netns.filter((n) => n !== m[2]);
    }
  }
  async batchForce(cmds: string[], netns?: string): Promise<void> {
    this.calls.push({ op: 'batchForce', netns, cmds });
  }
  async json(args: string[], netns?: string): Promise<any[]> {
    this.calls.push({ op: 'json', netns, cmds: [args.join(' ')] });
    return this.jsonResults[args.join(' ')] ?? [];
  }
  async sysctl(key: string, value: string): Promise<void> {
    this.calls.push({ op: 'sysctl', cmds: [`${key}=${value}`] });
  }
  async listNetns(): Promise<string[]> {
    return [...this.netns];
  }
  /** Every command run so far, flattened, for assertions. */
  all(): string[] {
    return this.calls.flatMap((c) => c.cmds);
  }
}
