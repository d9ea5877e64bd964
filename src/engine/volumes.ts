/**
 * The volume service: docker's "local" volume driver. Each volume is a directory
 * <dataRoot>/volumes/<name>/_data with its metadata in the `volumes` table; a volume
 * made with DriverOpts type/device/o is mounted there (`mount -t`) when its first
 * container starts and unmounted when its last one stops, as dockerd's local driver does.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, statSync } from 'node:fs';
import { lstat, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { conflict, internal, invalid, notFound } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { run } from '../platform/exec.js';
import type { Db } from '../platform/sqlite.js';
import type { HostConfig } from '../core/docker.js';
import type { EventService, Volume, VolumeCreateBody, VolumeMounter, VolumeService, VolumeUsers } from './types.js';

export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

/** The kernel side of volumes with mount options; tests give a fake. */
export interface VolumeMountOps {
  mount(type: string, device: string, options: string, target: string): Promise<void>;
  unmount(target: string): Promise<void>;
  /** Mount points at or below `path`, deepest first. */
  mountsUnder(path: string): Promise<string[]>;
}

export interface VolumesOptions {
  db: Db;
  /** The daemon's root; volumes live under <dataRoot>/volumes. */
  dataRoot: string;
  events: EventService;
  /** Containers using a volume; set later with setUsers() when the container service exists. */
  users?: VolumeUsers;
  mounts?: VolumeMountOps;
}

interface Row {
  name: string;
  driver: string;
  labels: string;
  options: string;
  created: string;
}

const validOpts = new Set(['type', 'device', 'o', 'size']);
const mandatoryOpts: Record<string, string[]> = { device: ['type'], type: ['device'], o: ['device'] };

export class Volumes implements VolumeService, VolumeMounter {
  readonly root: string;
  private users: VolumeUsers;
  private readonly mounts: VolumeMountOps;
  /** Container ids holding each mounted volume. */
  private readonly refs = new Map<string, Set<string>>();
  private readonly tails = new Map<string, Promise<unknown>>();

  constructor(private readonly o: VolumesOptions) {
    this.root = join(o.dataRoot, 'volumes');
    this.users = o.users ?? (() => []);
    this.mounts = o.mounts ?? hostMounts;
    o.db.exec(`CREATE TABLE IF NOT EXISTS volumes (
      name TEXT PRIMARY KEY, driver TEXT NOT NULL, labels TEXT NOT NULL, options TEXT NOT NULL, created TEXT NOT NULL)`);
    mkdirSync(this.root, { recursive: true, mode: 0o701 });
  }

  setUsers(users: VolumeUsers): void {
    this.users = users;
  }

  /** Removes half-removed volumes and adopts volume directories that have no row (made before this table). */
  async init(): Promise<void> {
    for (const n of readdirSync(this.root)) {
      if (n.startsWith('.trash-')) await rm(join(this.root, n), { recursive: true, force: true });
    }
    this.adopt();
  }

  mountpoint(name: string): string {
    return join(this.root, name, '_data');
  }

  async create(body: VolumeCreateBody): Promise<Volume> {
    return this.view(this.createRow(body));
  }

  async inspect(name: string): Promise<Volume> {
    return this.view(this.get(name));
  }

  async list(filters: Record<string, string[]> = {}): Promise<{ Volumes: Volume[]; Warnings: string[] | null }> {
    for (const k of Object.keys(filters)) if (!['name', 'label', 'dangling', 'driver'].includes(k)) throw invalid(`invalid filter '${k}'`);
    const dangling = filters.dangling?.length ? boolFilter('dangling', filters.dangling) : undefined;
    this.adopt();
    const rows = this.rows().filter((r) =>
      (!filters.name?.length || filters.name.some((p) => fuzzyMatch(p, r.name))) &&
      (!filters.driver?.length || filters.driver.some((p) => fuzzyMatch(p, r.driver))) &&
      (!filters.label?.length || filters.label.every((l) => matchLabel(JSON.parse(r.labels), l))) &&
      (dangling === undefined || (this.inUse(r.name).length === 0) === dangling));
    return { Volumes: rows.map((r) => this.view(r)), Warnings: null };
  }

  async remove(name: string, opts: { force?: boolean } = {}): Promise<void> {
    await this.locked(name, async () => {
      const row = this.find(name);
      if (!row) {
        if (opts.force) return;
        throw notFound(`get ${name}: no such volume`);
      }
      const users = this.inUse(name);
      if (users.length) throw conflict(`remove ${name}: volume is in use - [${users.join(', ')}]`);
      await this.destroy(row);
    });
  }

  async prune(filters: Record<string, string[]> = {}): Promise<{ VolumesDeleted: string[]; SpaceReclaimed: number }> {
    for (const k of Object.keys(filters)) if (!['label', 'label!', 'all'].includes(k)) throw invalid(`invalid filter '${k}'`);
    const all = filters.all?.length ? boolFilter('all', filters.all) : false;
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const r of this.rows()) {
      const labels = JSON.parse(r.labels) as Record<string, string>;
      if (!all && !(ANONYMOUS_LABEL in labels)) continue;
      if (filters.label?.length && !filters.label.every((l) => matchLabel(labels, l))) continue;
      if (filters['label!']?.length && filters['label!'].some((l) => matchLabel(labels, l))) continue;
      await this.locked(r.name, async () => {
        if (!this.find(r.name) || this.inUse(r.name).length) return;
        const size = await dirSize(this.mountpoint(r.name));
        await this.destroy(r);
        deleted.push(r.name);
        reclaimed += Math.max(size, 0);
      });
    }
    this.o.events.emit({ Type: 'volume', Action: 'prune', Actor: { ID: '', Attributes: { reclaimed: String(reclaimed) } } });
    return { VolumesDeleted: deleted, SpaceReclaimed: reclaimed };
  }

  async usage(): Promise<Volume[]> {
    this.adopt();
    const out: Volume[] = [];
    for (const r of this.rows()) {
      out.push({ ...this.view(r), UsageData: { Size: await dirSize(this.mountpoint(r.name)), RefCount: this.inUse(r.name).length } });
    }
    return out;
  }

  ensure(name: string): string {
    return this.view(this.createRow({ Name: name })).Mountpoint;
  }

  anonymous(labels: Record<string, string> = {}): { Name: string; Mountpoint: string } {
    const v = this.view(this.createRow({ Labels: labels }));
    return { Name: v.Name, Mountpoint: v.Mountpoint };
  }

  async mount(name: string, containerId: string, at: { destination?: string; readWrite?: boolean; propagation?: string } = {}): Promise<string> {
    return this.locked(name, async () => {
      this.ensure(name);
      const row = this.get(name);
      const target = this.mountpoint(name);
      const opts = JSON.parse(row.options) as Record<string, string> | null;
      const held = this.refs.get(name) ?? new Set<string>();
      if (opts?.type && held.size === 0 && !(await this.mounts.mountsUnder(target)).includes(target)) {
        await this.mounts.mount(opts.type, opts.device ?? '', opts.o ?? '', target).catch((e: unknown) => {
          throw internal(`error while mounting volume '${target}': ${e instanceof Error ? e.message : String(e)}`, e);
        });
      }
      held.add(containerId);
      this.refs.set(name, held);
      this.event('mount', row, {
        container: containerId, destination: at.destination ?? '', 'read/write': String(at.readWrite ?? true), propagation: at.propagation ?? '',
      });
      return target;
    });
  }

  async unmount(name: string, containerId: string): Promise<void> {
    await this.locked(name, async () => {
      const row = this.find(name);
      if (!row) return;
      const held = this.refs.get(name);
      held?.delete(containerId);
      if (!held?.size) {
        this.refs.delete(name);
        const target = this.mountpoint(name);
        const opts = JSON.parse(row.options) as Record<string, string> | null;
        if (opts?.type && (await this.mounts.mountsUnder(target)).includes(target)) await this.mounts.unmount(target).catch(() => {});
      }
      this.event('unmount', row, { container: containerId });
    });
  }

  async removeAnonymous(name: string, containerId?: string): Promise<void> {
    const row = this.find(name);
    if (!row || !(ANONYMOUS_LABEL in JSON.parse(row.labels))) return;
    // the removed container's own hold goes first (its mount is released after the answer)
    if (containerId) await this.unmount(name, containerId);
    await this.remove(name).catch(() => {});
  }

  // ---- internals ----

  private createRow(body: VolumeCreateBody): Row {
    const driver = body.Driver || 'local';
    const anonymous = !body.Name;
    const name = body.Name || newId();
    if (driver !== 'local') throw notFound(`create ${name}: error looking up volume plugin ${driver}: plugin "${driver}" not found`);
    validateName(name);
    const existing = this.find(name);
    if (existing) return existing;
    const opts = body.DriverOpts ?? null;
    validateOpts(name, opts);
    const labels = { ...(body.Labels ?? {}), ...(anonymous ? { [ANONYMOUS_LABEL]: '' } : {}) };
    const row: Row = { name, driver, labels: JSON.stringify(labels), options: JSON.stringify(opts), created: rfc3339(new Date()) };
    mkdirSync(this.mountpoint(name), { recursive: true, mode: 0o755 });
    this.o.db.prepare('INSERT INTO volumes (name, driver, labels, options, created) VALUES (?, ?, ?, ?, ?)')
      .run(row.name, row.driver, row.labels, row.options, row.created);
    this.event('create', row);
    return row;
  }

  private async destroy(row: Row): Promise<void> {
    const dir = join(this.root, row.name);
    for (const m of await this.mounts.mountsUnder(dir)) await this.mounts.unmount(m);
    this.refs.delete(row.name);
    const trash = join(this.root, `.trash-${newId().slice(0, 12)}`);
    let moved = false;
    try {
      renameSync(dir, trash);
      moved = true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    this.o.db.prepare('DELETE FROM volumes WHERE name = ?').run(row.name);
    if (moved) await rm(trash, { recursive: true, force: true });
    this.event('destroy', row);
  }

  /** Directories under volumes/ with a _data and no row become volumes (dockerd's restore on start). */
  private adopt(): void {
    const known = new Set(this.rows().map((r) => r.name));
    for (const n of readdirSync(this.root)) {
      if (known.has(n) || n.startsWith('.') || !existsSync(join(this.root, n, '_data'))) continue;
      try {
        validateName(n);
      } catch {
        continue;
      }
      const created = rfc3339(statSync(join(this.root, n)).mtime);
      const labels = /^[0-9a-f]{64}$/.test(n) ? { [ANONYMOUS_LABEL]: '' } : {};
      this.o.db.prepare('INSERT OR IGNORE INTO volumes (name, driver, labels, options, created) VALUES (?, ?, ?, ?, ?)')
        .run(n, 'local', JSON.stringify(labels), 'null', created);
    }
  }

  private rows(): Row[] {
    return this.o.db.prepare('SELECT * FROM volumes ORDER BY name').all() as Row[];
  }

  private find(name: string): Row | undefined {
    return this.o.db.prepare('SELECT * FROM volumes WHERE name = ?').get(name) as Row | undefined;
  }

  private get(name: string): Row {
    const row = this.find(name);
    if (row) return row;
    this.adopt();
    const again = this.find(name);
    if (!again) throw notFound(`get ${name}: no such volume`);
    return again;
  }

  private inUse(name: string): string[] {
    return [...new Set([...this.users(name), ...(this.refs.get(name) ?? [])])];
  }

  private view(r: Row): Volume {
    return {
      CreatedAt: r.created, Driver: r.driver, Labels: JSON.parse(r.labels) as Record<string, string>, Mountpoint: this.mountpoint(r.name),
      Name: r.name, Options: JSON.parse(r.options) as Record<string, string> | null, Scope: 'local',
    };
  }

  private event(action: string, r: Row, extra: Record<string, string> = {}): void {
    this.o.events.emit({ Type: 'volume', Action: action, Actor: { ID: r.name, Attributes: { driver: r.driver, ...extra } } });
  }

  /** Runs fn after every earlier operation on the same volume. */
  private locked<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(name) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => {});
    this.tails.set(name, tail);
    void tail.then(() => {
      if (this.tails.get(name) === tail) this.tails.delete(name);
    });
    return next;
  }
}

/** Names of the named volumes a container's HostConfig uses (Binds "name:/dst" and Mounts of type volume). */
export function volumeNamesOf(hc: Pick<HostConfig, 'Binds' | 'Mounts'>): string[] {
  const binds = (hc.Binds ?? []).map((b) => b.split(':')[0] ?? '').filter((s) => s !== '' && !s.startsWith('/'));
  const mounts = (hc.Mounts ?? []).filter((m) => m.Type === 'volume' && m.Source).map((m) => m.Source!);
  return [...new Set([...binds, ...mounts])];
}

function validateName(name: string): void {
  if (name.length === 1) throw invalid(`create ${name}: volume name is too short, names should be at least two alphanumeric characters`);
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) {
    throw invalid(`create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`);
  }
}

function validateOpts(name: string, opts: Record<string, string> | null): void {
  if (!opts) return;
  for (const k of Object.keys(opts)) if (!validOpts.has(k)) throw invalid(`create ${name}: invalid option: "${k}"`);
  if ('size' in opts) throw invalid(`create ${name}: quota size requested but no quota support`);
  for (const [k, need] of Object.entries(mandatoryOpts)) {
    if (!(k in opts)) continue;
    for (const r of need) if (!(r in opts)) throw invalid(`create ${name}: missing required option: "${r}"`);
  }
}

function boolFilter(name: string, values: string[]): boolean {
  const v = values[values.length - 1]!.toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw invalid(`invalid filter '${name}=${values[values.length - 1]}'`);
}

/** dockerd's filters.Match: the value as a regular expression, else equality. */
function fuzzyMatch(pattern: string, s: string): boolean {
  if (pattern === s) return true;
  try {
    return new RegExp(pattern).test(s);
  } catch {
    return false;
  }
}

function matchLabel(labels: Record<string, string>, l: string): boolean {
  const i = l.indexOf('=');
  if (i < 0) return l in labels;
  return labels[l.slice(0, i)] === l.slice(i + 1);
}

function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Bytes of regular files below `dir`, each inode once (dockerd's directory.Size); -1 when unreadable. */
export async function dirSize(dir: string): Promise<number> {
  const seen = new Set<string>();
  const walk = async (p: string): Promise<number> => {
    let total = 0;
    for (const ent of await readdir(p, { withFileTypes: true }).catch(() => [])) {
      const child = join(p, ent.name);
      const st = await lstat(child).catch(() => undefined);
      if (!st) continue;
      if (st.isDirectory()) total += await walk(child);
      else {
        const key = `${st.dev}:${st.ino}`;
        if (st.nlink > 1 && seen.has(key)) continue;
        seen.add(key);
        total += st.size;
      }
    }
    return total;
  };
  if (!existsSync(dir)) return -1;
  return walk(dir);
}

/** `mount -t` / `umount` and /proc/self/mountinfo. */
export const hostMounts: VolumeMountOps = {
  async mount(type, device, options, target) {
    await run('mount', ['-t', type, ...(options ? ['-o', options] : []), device, target], { errorCode: 'InvalidArgument' });
  },
  async unmount(target) {
    await run('umount', [target]);
  },
  async mountsUnder(path) {
    const text = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
    const points = text.split('\n').map((l) => l.split(' ')[4]).filter((m): m is string => !!m)
      .map((m) => m.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
    return [...new Set(points.filter((m) => m === path || m.startsWith(path + '/')))].sort((a, b) => b.length - a.length);
  },
};
