/**
 * `docker ps --filter` as dockerd applies it (daemon/list.go): the keys it accepts (any
 * other is refused: "Invalid filter 'x'"), status values checked, name and id as patterns,
 * labels all matched, ancestor resolved to an image id, before/since by another container's
 * place in the list, volume by name, source or
 * destination, network by name or id prefix, publish/expose by host or container port.
 */
import { invalid, notFound } from '../core/errors.js';
import type { ContainerRecord } from './containers-store.js';

const KEYS = new Set(['ancestor', 'before', 'exited', 'health', 'id', 'isolation', 'is-task', 'label', 'name', 'network', 'publish', 'expose', 'since', 'status', 'volume']);
const STATES = new Set(['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead']);

/** The parts of a `GET /containers/json` row the filters read. */
export interface ListRow {
  Mounts?: { Name?: string; Source?: string; Destination?: string }[];
  Ports?: { PrivatePort: number; PublicPort?: number; Type: string }[];
  NetworkSettings?: { Networks?: Record<string, { NetworkID?: string } | null> };
}

export interface ListFilterHost {
  /** Every container, newest first (the list order). */
  all: ContainerRecord[];
  resolve(idOrName: string): ContainerRecord;
  /** The id of the image a reference names, undefined when there is none. */
  imageId(ref: string): Promise<string | undefined>;
}

export type ListFilter = (c: ContainerRecord, row: ListRow) => boolean;

/** "80", "80/udp", "8000-8010/tcp" -> the set of "port/proto". */
function portSet(values: string[], key: string): Set<string> {
  const out = new Set<string>();
  for (const v of values) {
    const m = /^(\d+)(?:-(\d+))?(?:\/([a-z]+))?$/.exec(v);
    if (!m) throw invalid(`Invalid filter '${key}=${v}'`);
    const lo = Number(m[1]);
    const hi = m[2] ? Number(m[2]) : lo;
    for (let p = lo; p <= hi && p - lo < 65536; p++) out.add(`${p}/${m[3] ?? 'tcp'}`);
  }
  return out;
}

/** A value as dockerd's filters.Match: exact, else a regular expression (a bad one matches nothing). */
function matches(pattern: string, s: string): boolean {
  if (pattern === s) return true;
  try { return new RegExp(pattern).test(s); } catch { return false; }
}

function validate(f: Record<string, string[]>): void {
  for (const k of Object.keys(f)) if (!KEYS.has(k)) throw invalid(`Invalid filter '${k}'`);
  for (const v of f.status ?? []) if (!STATES.has(v)) throw invalid(`Invalid filter 'status=${v}'`);
  for (const v of f.exited ?? []) if (!/^-?\d+$/.test(v)) throw invalid(`Invalid filter 'exited=${v}'`);
}

/** Checks the filters and resolves what they name (containers, images) once for the whole list. */
export async function listFilter(f: Record<string, string[]>, host: ListFilterHost): Promise<ListFilter> {
  validate(f);
  const order = new Map(host.all.map((c, i) => [c.id, i]));
  const place = (name: string) => {
    try { return order.get(host.resolve(name).id) ?? -1; } catch { throw notFound(`no such container ${name}`); }
  };
  const before = f.before?.length ? place(f.before[0]!) : undefined;
  const since = f.since?.length ? place(f.since[0]!) : undefined;
  let images: Set<string> | undefined;
  if (f.ancestor?.length) {
    images = new Set();
    for (const ref of f.ancestor) {
      const id = await host.imageId(ref);
      if (id) images.add(id);
    }
  }
  const publish = f.publish?.length ? portSet(f.publish, 'publish') : undefined;
  const expose = f.expose?.length ? portSet(f.expose, 'expose') : undefined;
  const any = (k: string, pred: (v: string) => boolean) => !f[k]?.length || f[k]!.some(pred);

  return (c: ContainerRecord, row: ListRow): boolean => {
    const i = order.get(c.id) ?? -1;
    if (before !== undefined && i <= before) return false;
    if (since !== undefined && i >= since) return false;
    const labels = c.config.Labels ?? {};
    const nets = row.NetworkSettings?.Networks ?? {};
    const mounts = row.Mounts ?? [];
    return any('id', (v) => c.id.startsWith(v) || matches(v, c.id))
      && any('name', (v) => matches(v, `/${c.name}`) || matches(v.replace(/^\//, ''), c.name))
      && (f.label ?? []).every((v) => { const [k, ...val] = v.split('='); return val.length ? labels[k!] === val.join('=') : k! in labels; })
      && any('status', (v) => c.state.Status === v)
      && any('exited', (v) => !c.state.Running && c.state.Status === 'exited' && c.state.ExitCode === Number(v))
      && (!images || images.has(c.imageId))
      && any('volume', (v) => mounts.some((m) => m.Destination === v || (m.Name || m.Source) === v))
      && any('network', (v) => v in nets || Object.values(nets).some((n) => !!n?.NetworkID && n.NetworkID.startsWith(v)))
      && any('is-task', (v) => v === 'false' || v === '0')
      && any('isolation', (v) => v === (c.hostConfig.Isolation || 'default'))
      && (!publish && !expose || (row.Ports ?? []).some((p) => publish?.has(`${p.PublicPort}/${p.Type}`) || expose?.has(`${p.PrivatePort}/${p.Type}`)));
  };
}

/** Go's duration ("10s", "1h30m") in milliseconds, or undefined. */
function goDuration(s: string): number | undefined {
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1e3, m: 6e4, h: 3.6e6 };
  const parts = [...s.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (!parts.length || parts.map((p) => p[0]).join('') !== s) return undefined;
  return parts.reduce((t, p) => t + Number(p[1]) * unit[p[2]!]!, 0);
}

/** `until` of the prune endpoints: a Go duration before now, unix seconds or an RFC 3339 time; in ms since the epoch. */
export function untilTime(v: string, now = Date.now()): number {
  const d = goDuration(v);
  if (d !== undefined) return now - d;
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw invalid(`failed to parse value as time or duration: "${v}"`);
  return t;
}

const hasLabels = (labels: Record<string, string>, want: string[]) =>
  want.every((v) => { const [k, ...val] = v.split('='); return val.length ? labels[k!] === val.join('=') : k! in labels; });

/** `container prune` filters as dockerd: until, label, label! (any other key is refused). */
export function pruneFilter(f: Record<string, string[]>): (c: ContainerRecord) => boolean {
  for (const k of Object.keys(f)) if (!['until', 'label', 'label!'].includes(k)) throw invalid(`Invalid filter '${k}'`);
  const until = f.until?.length ? untilTime(f.until[0]!) : undefined;
  return (c) => {
    const labels = c.config.Labels ?? {};
    if (until !== undefined && Date.parse(c.created) >= until) return false;
    if (f.label?.length && !hasLabels(labels, f.label)) return false;
    if (f['label!']?.length && hasLabels(labels, f['label!'])) return false;
    return true;
  };
}
