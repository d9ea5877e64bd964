/**
 * `hako ns`: per running container its PID and the inode of each of its namespaces, read from
 * /proc/PID/ns (the check one does by hand with `ls -l /proc/PID/ns`), and which containers
 * share which namespace with each other or with the host. The CLI runs on the daemon's host
 * (unix socket), so it reads /proc itself; a namespace it may not read shows as "-".
 */
import { readlinkSync } from 'node:fs';
import { ExitError, bool, str, type Command } from '../command.js';
import { formatList } from '../format/formatter.js';
import { tabwrite } from '../render/tabwriter.js';

const KINDS = ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'user', 'uts'] as const;
type Kind = (typeof KINDS)[number];

interface NsInfo {
  Inode: number | null;
  Host: boolean;
  SharedWith: string[];
}

interface Row {
  ID: string;
  Name: string;
  Pid: number;
  Namespaces: Record<Kind, NsInfo>;
}

function inode(pid: number | string, kind: Kind): number | null {
  try {
    const m = /\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/ns/${kind}`));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Containers' namespaces, with the sharing worked out from equal inodes. */
export function namespaceRows(list: { ID: string; Name: string; Pid: number }[], read = inode): Row[] {
  // "host": the namespaces hako itself runs in (what `--network host` and friends join)
  const host = Object.fromEntries(KINDS.map((k) => [k, read('self', k)])) as Record<Kind, number | null>;
  const rows: Row[] = list.map((c) => ({
    ...c,
    Namespaces: Object.fromEntries(KINDS.map((k) => {
      const ino = read(c.Pid, k);
      const ns: NsInfo = { Inode: ino, Host: ino !== null && ino === host[k], SharedWith: [] };
      return [k, ns];
    })) as Record<Kind, NsInfo>,
  }));
  for (const k of KINDS) {
    for (const r of rows) {
      const ino = r.Namespaces[k].Inode;
      if (ino === null) continue;
      r.Namespaces[k].SharedWith = rows.filter((o) => o !== r && o.Namespaces[k].Inode === ino).map((o) => o.Name);
    }
  }
  return rows;
}

function cell(n: NsInfo): string {
  if (n.Inode === null) return '-';
  return `${n.Inode}${n.Host ? ' (host)' : n.SharedWith.length ? '*' : ''}`;
}

/** The sharing summary: one line per namespace held by more than one container. */
function sharedTable(rows: Row[]): string {
  const lines: string[] = [];
  for (const k of KINDS) {
    const seen = new Set<number>();
    for (const r of rows) {
      const n = r.Namespaces[k];
      if (n.Inode === null || seen.has(n.Inode) || (!n.SharedWith.length && !n.Host)) continue;
      seen.add(n.Inode);
      const names = [r.Name, ...n.SharedWith].sort();
      lines.push(`${k}\t${n.Inode}\t${n.Host ? 'host, ' : ''}${names.join(', ')}`);
    }
  }
  if (!lines.length) return '';
  return '\n' + tabwrite(['SHARED\tINODE\tCONTAINERS', ...lines].join('\n')) + '\n';
}

const cmd: Command = {
  usage: '[OPTIONS] [CONTAINER...]',
  summary: 'Show the namespaces of running containers and which of them are shared',
  flags: [
    { name: 'format', type: 'string', desc: "Format output: 'table' (default), 'json' (one object a line) or a Go template", meta: 'string' },
    { name: 'no-trunc', type: 'bool', desc: "Don't truncate container IDs" },
  ],
  async run(ctx, args, f) {
    // sharing is worked out over every running container, then the asked-for ones are shown
    const running = ((await ctx.client.get('/containers/json')) as { Id: string }[]).map((c) => c.Id);
    const wanted = new Set<string>();
    for (const n of args) {
      const c = await ctx.client.get(`/containers/${encodeURIComponent(n)}/json`);
      if (!c.State?.Running || !c.State.Pid) throw new ExitError(1, `Error response from daemon: container ${n} is not running`);
      wanted.add(c.Id);
    }
    const list: { ID: string; Name: string; Pid: number; full: string }[] = [];
    for (const id of running) {
      const c = await ctx.client.get(`/containers/${id}/json`).catch(() => undefined);
      if (!c?.State?.Running || !c.State.Pid) continue;
      list.push({ ID: bool(f, 'no-trunc') ? c.Id : String(c.Id).slice(0, 12), Name: String(c.Name).replace(/^\//, ''), Pid: c.State.Pid, full: c.Id });
    }
    const rows = namespaceRows(list.map(({ full: _, ...r }) => r)).filter((_r, i) => !wanted.size || wanted.has(list[i]!.full));
    const format = str(f, 'format');
    if (format === 'json') return void ctx.out.write(rows.map((r) => JSON.stringify(r) + '\n').join(''));
    if (format && format !== 'table') return void ctx.out.write(formatList(rows, { format, table: '' }));
    const head = ['CONTAINER ID', 'NAME', 'PID', ...KINDS.map((k) => k.toUpperCase())].join('\t');
    const body = rows.map((r) => [r.ID, r.Name, r.Pid, ...KINDS.map((k) => cell(r.Namespaces[k]))].join('\t'));
    ctx.out.write(tabwrite([head, ...body].join('\n')) + '\n' + sharedTable(rows));
  },
};
export default cmd;
