import { readlinkSync } from 'node:fs';
import { formatFlag, str, ExitError, type Command } from '../command.js';
import { tabwrite } from '../render/tabwriter.js';

/** The namespace kinds of /proc/PID/ns a container gets (time is never unshared). */
const KINDS = ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'user', 'uts'] as const;
type Kind = (typeof KINDS)[number];

export interface NsRow {
  Id: string;
  Name: string;
  Pid: number;
  /** Inode of each namespace, from the link /proc/PID/ns/<kind> ("net:[4026532800]"). */
  Namespaces: Partial<Record<Kind, number>>;
  /** Per kind, the other listed containers in the same namespace (not counting the host's namespaces). */
  SharedWith: Partial<Record<Kind, string[]>>;
  /** Kinds in which the container is in the host's namespace (that of this CLI). */
  Host: Kind[];
}

function inode(pid: number | 'self', kind: Kind): number | undefined {
  try { return Number(/\[(\d+)\]/.exec(readlinkSync(`/proc/${pid}/ns/${kind}`))?.[1]); } catch { return undefined; }
}

/** Namespace inodes of each container and which containers share them (pure but for /proc reads). */
export function nsRows(cs: { Id: string; Name: string; Pid: number }[], read = inode): NsRow[] {
  const host = Object.fromEntries(KINDS.map((k) => [k, read('self', k)])) as Partial<Record<Kind, number>>;
  const rows: NsRow[] = cs.map((c) => ({ ...c, Namespaces: Object.fromEntries(KINDS.map((k) => [k, read(c.Pid, k)])), SharedWith: {}, Host: [] }));
  for (const r of rows) {
    for (const k of KINDS) {
      const ino = r.Namespaces[k];
      if (ino === undefined) continue;
      if (ino === host[k]) { r.Host.push(k); continue; }
      const others = rows.filter((o) => o !== r && o.Namespaces[k] === ino).map((o) => o.Name);
      if (others.length) r.SharedWith[k] = others;
    }
  }
  return rows;
}

function table(rows: NsRow[]): string {
  const head = ['CONTAINER ID', 'NAME', 'PID', ...KINDS.map((k) => k.toUpperCase()), 'SHARED'];
  const lines = rows.map((r) => {
    const shared = [...KINDS.flatMap((k) => (r.SharedWith[k] ? [`${k}=${r.SharedWith[k]!.join(',')}`] : [])), ...(r.Host.length ? [`host=${r.Host.join(',')}`] : [])];
    return [r.Id.slice(0, 12), r.Name, String(r.Pid), ...KINDS.map((k) => String(r.Namespaces[k] ?? '-')), shared.join(' ') || '-'].join('\t');
  });
  return tabwrite([head.join('\t'), ...lines].join('\n'), 4, 3) + '\n';
}

const cmd: Command = {
  usage: '[OPTIONS] [CONTAINER...]',
  summary: 'Show the namespaces of running containers and which of them they share',
  aliases: ['hako ns'],
  flags: [{ ...formatFlag, desc: 'Format output: "table" (default) or "json"' }],
  async run(ctx, names, f) {
    const format = str(f, 'format') ?? 'table';
    if (format !== 'table' && format !== 'json') throw new ExitError(1, `unknown format "${format}": use "table" or "json"`);
    // sharing is computed over every running container; names only choose the rows shown
    const inspect = (id: string) => ctx.client.get<{ Id: string; Name: string; State: { Pid: number; Running: boolean } }>(`/containers/${encodeURIComponent(id)}/json`);
    const wanted = await Promise.all(names.map(inspect));
    for (const c of wanted) if (!c.State.Running) throw new ExitError(1, `Error response from daemon: Container ${c.Id} is not running`);
    const all = await Promise.all((await ctx.client.get<{ Id: string }[]>('/containers/json')).map((c) => inspect(c.Id)));
    const running = all.filter((c) => c.State.Running && c.State.Pid > 0).map((c) => ({ Id: c.Id, Name: c.Name.replace(/^\//, ''), Pid: c.State.Pid }));
    let rows = nsRows(running);
    if (names.length) rows = wanted.map((w) => rows.find((r) => r.Id === w.Id)).filter((r): r is NsRow => !!r);
    ctx.out.write(format === 'json' ? JSON.stringify(rows, null, 2) + '\n' : table(rows));
  },
};
export default cmd;
