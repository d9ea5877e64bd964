/** docker's containerContext: the fields `ps` renders from a GET /containers/json item. */
import { ago, humanSize } from './units.js';
import { goTimeString } from './time.js';
import { ellipsis, truncId } from './contexts.js';

export interface Port {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

function portKey(p: Port): string {
  return `${p.IP ?? ''}|${p.Type}|${p.PublicPort ? 'pub' : 'priv'}`;
}

/** docker's DisplayablePorts: groups consecutive ports into ranges, sorted. */
export function displayablePorts(ports: Port[] | null | undefined): string {
  const groups = new Map<string, Port[]>();
  for (const p of ports ?? []) (groups.get(portKey(p)) ?? groups.set(portKey(p), []).get(portKey(p))!).push(p);
  const out: string[] = [];
  for (const list of groups.values()) {
    list.sort((a, b) => (a.PublicPort ?? a.PrivatePort) - (b.PublicPort ?? b.PrivatePort));
    let start = 0;
    for (let i = 1; i <= list.length; i++) {
      const prev = list[i - 1]!;
      const cur = list[i];
      const consecutive = cur && cur.PrivatePort === prev.PrivatePort + 1 && (!prev.PublicPort || cur.PublicPort === prev.PublicPort + 1);
      if (consecutive) continue;
      out.push(portRange(list[start]!, prev));
      start = i;
    }
  }
  return out.sort().join(', ');
}

function portRange(first: Port, last: Port): string {
  const priv = first.PrivatePort === last.PrivatePort ? `${first.PrivatePort}` : `${first.PrivatePort}-${last.PrivatePort}`;
  if (!first.PublicPort) return `${priv}/${first.Type}`;
  const pub = first.PublicPort === last.PublicPort ? `${first.PublicPort}` : `${first.PublicPort}-${last.PublicPort}`;
  const ip = first.IP ? (first.IP.includes(':') ? `[${first.IP}]:` : `${first.IP}:`) : '';
  return `${ip}${pub}->${priv}/${first.Type}`;
}

export function containerRow(c: Record<string, any>, trunc: boolean): Record<string, unknown> {
  const labels = (c.Labels ?? {}) as Record<string, string>;
  const names = ((c.Names ?? []) as string[]).map((n) => n.replace(/^\//, '')).filter((n) => !trunc || !n.includes('/'));
  const image = String(c.Image ?? '');
  return {
    ID: trunc ? truncId(c.Id) : c.Id,
    Image: trunc && /^(sha256:)?[0-9a-f]{64}$/.test(image) ? truncId(image) : image,
    Command: JSON.stringify(trunc ? ellipsis(String(c.Command ?? ''), 20) : String(c.Command ?? '')),
    CreatedAt: goTimeString(c.Created),
    RunningFor: ago(c.Created),
    Ports: displayablePorts(c.Ports),
    State: c.State,
    Status: c.Status,
    Size: c.SizeRootFs > 0 ? `${humanSize(c.SizeRw ?? 0, 3)} (virtual ${humanSize(c.SizeRootFs, 3)})` : humanSize(c.SizeRw ?? 0, 3),
    Names: names.join(','),
    Labels: Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(','),
    Label: (k: string) => labels[k] ?? '',
    Mounts: ((c.Mounts ?? []) as any[]).map((m) => (m.Name ? (trunc ? ellipsis(m.Name, 15) : m.Name) : m.Source)).join(','),
    LocalVolumes: String(((c.Mounts ?? []) as any[]).filter((m) => m.Driver === 'local').length),
    Networks: Object.keys(c.NetworkSettings?.Networks ?? {}).sort().join(','),
    Platform: null,
  };
}
