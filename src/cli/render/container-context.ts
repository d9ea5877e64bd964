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

function comparePorts(a: Port, b: Port): number {
  if (a.PrivatePort !== b.PrivatePort) return a.PrivatePort - b.PrivatePort;
  if ((a.IP ?? '') !== (b.IP ?? '')) return (a.IP ?? '') < (b.IP ?? '') ? -1 : 1;
  if ((a.PublicPort ?? 0) !== (b.PublicPort ?? 0)) return (a.PublicPort ?? 0) - (b.PublicPort ?? 0);
  return a.Type < b.Type ? -1 : a.Type > b.Type ? 1 : 0;
}

function formGroup(key: string, first: number, last: number): string {
  const slash = key.lastIndexOf('/');
  const ip = slash >= 0 ? key.slice(0, slash) : '';
  const type = slash >= 0 ? key.slice(slash + 1) : key;
  const range = first === last ? `${first}` : `${first}-${last}`;
  return `${ip ? `${ip}:${range}->${range}` : range}/${type}`;
}

/**
 * docker's DisplayablePorts: sorted by private port; ports published on their own number (or
 * not published) grouped into ranges, in the order their groups appear; then every mapping
 * to another host port, one by one.
 */
export function displayablePorts(ports: Port[] | null | undefined): string {
  const groups = new Map<string, { first: number; last: number }>();
  const result: string[] = [];
  const mappings: string[] = [];
  for (const p of [...(ports ?? [])].sort(comparePorts)) {
    const cur = p.PrivatePort;
    let key = p.Type;
    if (p.IP) {
      if (p.PublicPort !== cur) {
        mappings.push(`${p.IP.includes(':') ? `[${p.IP}]` : p.IP}:${p.PublicPort}->${cur}/${p.Type}`);
        continue;
      }
      key = `${p.IP}/${p.Type}`;
    }
    const g = groups.get(key);
    if (!g) groups.set(key, { first: cur, last: cur });
    else if (cur === g.last + 1) g.last = cur;
    else {
      result.push(formGroup(key, g.first, g.last));
      groups.set(key, { first: cur, last: cur });
    }
  }
  for (const [key, g] of groups) result.push(formGroup(key, g.first, g.last));
  return [...result, ...mappings].join(', ');
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
