/**
 * User namespace remapping, as dockerd's --userns-remap: container root is the first id
 * of a subordinate range from /etc/subuid and /etc/subgid, so a process that escapes
 * is an unprivileged user on the host.
 *
 * - Daemon-wide: `hakod --userns-remap default|USER[:GROUP]` (daemon.json "userns-remap").
 *   "default" is the system user `hako`, created when missing the way dockerd creates
 *   `dockremap`: `useradd -r -s /bin/false`, then `usermod -v/-w` with the first free
 *   65536 ids from 100000 up. Every container gets a user namespace unless
 *   HostConfig.UsernsMode is "host".
 * - Per container (hako's extension): UsernsMode "remap" gives one with the `hako` ranges.
 *
 * Several ranges of one user are sorted and concatenated (container ids 0.. over the
 * first, then the next), as dockerd does. Files: layers are shifted copies
 * (image/snapshots-idmap.ts); upper dir, etc files and named volumes are chowned to the
 * mapped root.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { chown, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { HostConfig } from '../core/docker.js';
import { invalid, precondition } from '../core/errors.js';
import { run } from '../platform/exec.js';
import { remappedDiffDir, type IdRange, type IdShift } from '../image/snapshots-idmap.js';

export const DEFAULT_REMAP_USER = 'hako';
const RANGE_START = 100000;
const RANGE_LEN = 65536;

export interface IdMapping extends IdShift {
  rootUid: number;
  rootGid: number;
}

export interface SubIdRange { start: number; length: number }

export interface UsernsFiles { subuid: string; subgid: string; passwd: string; group: string }
const ETC: UsernsFiles = { subuid: '/etc/subuid', subgid: '/etc/subgid', passwd: '/etc/passwd', group: '/etc/group' };

const readText = (p: string) => { try { return readFileSync(p, 'utf8'); } catch { return ''; } };

/** Ranges of `name` (or its numeric id) in subuid/subgid text; "ALL" gives every range. */
export function parseSubIds(text: string, name: string, id?: number): SubIdRange[] {
  const out: SubIdRange[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(':');
    if (f.length !== 3 || line.trim().startsWith('#')) continue;
    if (name !== 'ALL' && f[0] !== name && (id === undefined || f[0] !== String(id))) continue;
    const start = Number(f[1]);
    const length = Number(f[2]);
    if (Number.isInteger(start) && Number.isInteger(length) && length > 0) out.push({ start, length });
  }
  return out;
}

/** dockerd's createIDMap: sorted by start, container ids laid end to end. */
export function idMapOf(ranges: SubIdRange[]): IdRange[] {
  let containerID = 0;
  return [...ranges].sort((a, b) => a.start - b.start).map((r) => {
    const m = { containerID, hostID: r.start, size: r.length };
    containerID += r.length;
    return m;
  });
}

/**
 * dockerd's findNextRangeStart: the first 65536 ids from 100000 that overlap no existing
 * range (ranges by start; each one that overlaps moves the window past its end). The
 * overlap test is the exact one: dockerd's misses a range lying wholly inside the window.
 */
export function nextRangeStart(all: SubIdRange[]): number {
  let start = RANGE_START;
  for (const r of [...all].sort((a, b) => a.start - b.start)) {
    if (r.start < start + RANGE_LEN && start < r.start + r.length) start = r.start + r.length;
  }
  return start;
}

/** "default" -> hako:hako; "USER[:GROUP]" (the group defaults to the user). */
export function parseRemapSpec(spec: string): { user: string; group: string } {
  if (spec === 'default') return { user: DEFAULT_REMAP_USER, group: DEFAULT_REMAP_USER };
  const [user = '', group] = spec.split(':');
  if (!user || spec.split(':').length > 2) throw invalid(`invalid userns-remap value "${spec}": use default or USER[:GROUP]`);
  return { user, group: group || user };
}

/** name (or number) -> [name, id] from passwd/group text. */
function lookup(text: string, who: string): [string, number] | undefined {
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length >= 3 && (f[0] === who || f[2] === who)) return [f[0]!, Number(f[2])];
  }
  return undefined;
}

export class UsernsRemapper {
  private readonly cache = new Map<string, Promise<IdMapping>>();

  constructor(readonly o: { remap?: string; files?: UsernsFiles; log?: (msg: string, f?: Record<string, unknown>) => void } = {}) {
    if (o.remap) parseRemapSpec(o.remap);
  }

  /** Whether the daemon remaps every container by default (/info's "name=userns"). */
  get daemonRemaps(): boolean { return !!this.o.remap; }

  /** Resolves (and for "default", creates) the daemon's mapping at start, so a bad one fails early. */
  async init(): Promise<void> {
    if (this.o.remap) {
      const m = await this.resolve(this.o.remap);
      this.o.log?.('user namespaces: ids mapped to subordinate ranges', { remap: this.o.remap, root: `${m.rootUid}:${m.rootGid}` });
    }
  }

  /** True when a container with this HostConfig runs in a user namespace. */
  wants(hc: HostConfig): boolean {
    const mode = hc.UsernsMode ?? '';
    return mode === 'remap' || (mode === '' && this.daemonRemaps);
  }

  /** dockerd's checks at create (400 on failure). */
  validate(hc: HostConfig = {}): void {
    const mode = hc.UsernsMode ?? '';
    if (!['', 'host', 'remap'].includes(mode)) throw invalid(`invalid USER mode "${mode}": use host, or remap for a user namespace mapped to the ${DEFAULT_REMAP_USER} subordinate ids`);
    if (!this.wants(hc)) return;
    if (hc.Privileged) throw invalid('privileged mode is incompatible with user namespaces.  You must run the container in the host namespace when running privileged mode');
    if (hc.NetworkMode === 'host') throw invalid('cannot share the host\'s network namespace when user namespaces are enabled');
    if (hc.PidMode === 'host') throw invalid('cannot share the host PID namespace when user namespaces are enabled');
  }

  /** The mapping of a container, or undefined when it shares the host's user namespace. */
  mappingFor(hc: HostConfig): Promise<IdMapping | undefined> {
    if (!this.wants(hc)) return Promise.resolve(undefined);
    return this.resolve(hc.UsernsMode === 'remap' ? 'default' : this.o.remap!);
  }

  private resolve(spec: string): Promise<IdMapping> {
    let p = this.cache.get(spec);
    if (!p) {
      p = this.load(spec);
      p.catch(() => this.cache.delete(spec));
      this.cache.set(spec, p);
    }
    return p;
  }

  private async load(spec: string): Promise<IdMapping> {
    const f = this.o.files ?? ETC;
    const { user, group } = parseRemapSpec(spec);
    if (spec === 'default') await ensureDefaultUser(f);
    const u = lookup(readText(f.passwd), user);
    if (!u) throw precondition(`Error during uid lookup for ${user}: user ${user} not found`);
    const g = lookup(readText(f.group), group) ?? (group === user ? u : undefined);
    if (!g) throw precondition(`Error during gid lookup for ${group}: group ${group} not found`);
    const uids = idMapOf(parseSubIds(readText(f.subuid), u[0], u[1]));
    const gids = idMapOf(parseSubIds(readText(f.subgid), g[0], g[1]));
    if (!uids.length) throw precondition(`No subuid ranges found for user "${u[0]}" in ${f.subuid}`);
    if (!gids.length) throw precondition(`No subgid ranges found for group "${g[0]}" in ${f.subgid}`);
    const rootUid = uids[0]!.containerID === 0 ? uids[0]!.hostID : 0;
    const rootGid = gids[0]!.containerID === 0 ? gids[0]!.hostID : 0;
    return { key: `${rootUid}.${rootGid}`, uids, gids, rootUid, rootGid };
  }
}

/** The `hako` system user and its ranges, made when missing (dockerd's AddNamespaceRangesUser). */
async function ensureDefaultUser(f: UsernsFiles): Promise<void> {
  const name = DEFAULT_REMAP_USER;
  if (!lookup(readText(f.passwd), name)) {
    if (f !== ETC) throw precondition(`user ${name} not found`);
    await run('useradd', ['-r', '-s', '/bin/false', name], { allowFailure: true });
    if (!lookup(readText(f.passwd), name)) throw precondition(`unable to create the ${name} user for user namespace remapping (useradd)`);
  }
  for (const [file, flag] of [[f.subuid, '-v'], [f.subgid, '-w']] as const) {
    if (parseSubIds(readText(file), name).length) continue;
    if (f !== ETC) throw precondition(`No subordinate ranges for ${name} in ${file}`);
    const start = nextRangeStart(parseSubIds(readText(file), 'ALL'));
    await run('usermod', [flag, `${start}-${start + RANGE_LEN - 1}`, name]);
  }
}

/**
 * The container's storage as the mapped root sees it: shifted copies of the layers (the
 * overlay lower dirs, bottom first) and an upper dir owned by the mapped root, made before
 * the overlay is mounted. The daemon root gets o+x so the runtime, already inside the
 * user namespace, can reach the rootfs (dockerd makes its root 0701 for the same reason).
 */
export async function prepareRemappedStorage(containerDir: string, dataRoot: string, layerDirs: string[], m: IdMapping): Promise<string[]> {
  const lowers = await Promise.all(layerDirs.map((d) => remappedDiffDir(d, m)));
  const upper = join(containerDir, 'upper');
  await mkdir(upper, { recursive: true });
  await chown(upper, m.rootUid, m.rootGid);
  for (const d of [dataRoot, join(dataRoot, 'containers')]) {
    const st = statSync(d);
    if (!(st.mode & 0o001)) chmodSync(d, (st.mode & 0o7777) | 0o001);
  }
  for (let d = dirname(dataRoot); ; d = dirname(d)) {
    if (!(statSync(d).mode & 0o001)) {
      throw precondition(`cannot run a container in a user namespace: ${d}, above the data root, is not searchable by others (chmod o+x), so the remapped root cannot reach the container's rootfs`);
    }
    if (d === dirname(d)) break;
  }
  return lowers;
}

/** Etc files and named volume dirs (still owned by host root) handed to the mapped root. */
export function ownForContainer(containerDir: string, volumeSources: string[], m: IdMapping): void {
  for (const f of ['hosts', 'hostname', 'resolv.conf']) {
    const p = join(containerDir, f);
    if (existsSync(p)) chownSync(p, m.rootUid, m.rootGid);
  }
  for (const src of volumeSources) {
    mkdirSync(src, { recursive: true });
    const st = statSync(src);
    if (st.uid === 0 && st.gid === 0) chownSync(src, m.rootUid, m.rootGid);
  }
}
