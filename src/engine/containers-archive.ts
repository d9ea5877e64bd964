/**
 * docker cp, export and diff over a container's filesystem.
 *
 * The root: a running container is reached through /proc/<pid>/root, which shows its
 * whole mount table (volumes and binds included); a stopped one through its overlay,
 * mounted for the call when it is not mounted already. Every container path is
 * resolved inside that root as docker's symlink.FollowSymlinkInScope does: each
 * component is lstat'ed and symlinks are followed with the root as "/", so neither
 * ".." nor an absolute or relative link can lead outside.
 */
import { createReadStream, createWriteStream, lstatSync, readlinkSync, readdirSync, existsSync, type Stats } from 'node:fs';
import { chmod, lchown, link, lstat, lutimes, mkdir, rm, symlink, utimes, readdir, readFile, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { invalid, notFound, EngineError } from '../core/errors.js';
import { cleanEntryName } from '../image/unpack.js';
import { mountRootfs, unmountRootfs, type ContainerPaths } from './containers-host.js';
import { mountedAt } from './containers-archive-mounts.js';
import type { ContainerRecord, ContainerStore } from './containers-store.js';
import { toContainerId, toHostId, type IdShift } from '../image/snapshots-idmap.js';

export interface ArchiveHost {
  store: ContainerStore;
  paths: ContainerPaths;
  /** The overlay lower dirs of a container (shifted copies in a user namespace). */
  rootfsLayers?(c: ContainerRecord): Promise<string[]>;
  /** A remapped container's id mapping: tar owners are its ids, the host's files the range's. */
  idShiftOf?(id: string): Promise<IdShift | undefined>;
}

/** Resolves container path `p` to a host path under `root`, following symlinks within the root. */
export function scopedPath(root: string, p: string): string {
  let todo = p.split('/').filter(Boolean);
  const done: string[] = [];
  let links = 0;
  while (todo.length) {
    const part = todo.shift()!;
    if (part === '.') continue;
    if (part === '..') { done.pop(); continue; }
    let st: Stats | undefined;
    try { st = lstatSync(join(root, ...done, part)); } catch { /* missing: keep lexically */ }
    if (st?.isSymbolicLink()) {
      if (++links > 255) throw invalid(`too many links in ${p}`);
      const target = readlinkSync(join(root, ...done, part));
      if (target.startsWith('/')) done.length = 0;
      todo = [...target.split('/').filter(Boolean), ...todo];
      continue;
    }
    done.push(part);
  }
  return join(root, ...done);
}

/** The parent resolved in scope, the last component kept as is (lstat semantics). */
function scopedLeaf(root: string, p: string): string {
  const clean = posix.normalize(`/${p}`);
  if (clean === '/') return root;
  return join(scopedPath(root, posix.dirname(clean)), posix.basename(clean));
}

/** Go's os.FileMode bits, which docker puts in the path stat. */
export function goFileMode(st: Stats): number {
  let m = st.mode & 0o777;
  if (st.mode & 0o4000) m |= 1 << 23;
  if (st.mode & 0o2000) m |= 1 << 22;
  if (st.mode & 0o1000) m |= 1 << 20;
  if (st.isDirectory()) m |= 2 ** 31;
  else if (st.isSymbolicLink()) m |= 1 << 27;
  else if (st.isFIFO()) m |= 1 << 25;
  else if (st.isSocket()) m |= 1 << 24;
  else if (st.isCharacterDevice()) m |= (1 << 26) | (1 << 21);
  else if (st.isBlockDevice()) m |= 1 << 26;
  return m >>> 0;
}

/**
 * Temporary overlay mounts of stopped containers, counted per container: the mount is
 * made once for overlapping calls and undone after the last release, and a new call
 * waits for a pending unmount, so no call ever writes into the bare mountpoint.
 */
const holds = new Map<string, { n: number; ready: Promise<string>; gone?: Promise<void> }>();

async function holdRootfs(h: ArchiveHost, c: ContainerRecord): Promise<{ root: string; release: () => Promise<void> }> {
  let x = holds.get(c.id);
  if (x?.gone) {
    await x.gone;
    x = holds.get(c.id);
  }
  if (!x) {
    x = { n: 0, ready: (h.rootfsLayers?.(c) ?? Promise.resolve(c.layerDirs)).then((l) => mountRootfs(h.paths, c, l)) };
    holds.set(c.id, x);
  }
  const hold = x;
  hold.n++;
  let released = false;
  const release = (): Promise<void> => {
    if (released) return Promise.resolve();
    released = true;
    if (--hold.n > 0) return Promise.resolve();
    const cur = (() => { try { return h.store.resolve(c.id); } catch { return undefined; } })();
    hold.gone = (cur?.state.Running ? Promise.resolve() : unmountRootfs(h.paths, c.id)).finally(() => {
      if (holds.get(c.id) === hold) holds.delete(c.id);
    });
    return hold.gone;
  };
  try { return { root: await hold.ready, release }; } catch (e) { release(); throw e; }
}

/** Runs fn with the container's root; for a stopped container the overlay is mounted until `release`. */
async function withRoot<T>(h: ArchiveHost, c: ContainerRecord, fn: (root: string, release: () => Promise<void>) => Promise<T>, opts: { mergedOnly?: boolean } = {}): Promise<T> {
  // The trailing slash makes lstat of the root itself (docker cp to or from "/") see the
  // directory, not the /proc magic link.
  if (c.state.Running && c.state.Pid > 0) return fn(opts.mergedOnly ? h.paths.rootfs(c.id) : `/proc/${c.state.Pid}/root/`, async () => {});
  const { root, release } = await holdRootfs(h, c);
  try { return await fn(root, release); } catch (e) { release(); throw e; }
}

const missing = (p: string, c: ContainerRecord) => notFound(`Could not find the file ${p} in container ${c.name}`);

/**
 * The host path of container path `p`. A stopped container's /etc/hosts, /etc/hostname and
 * /etc/resolv.conf are its own files (bind-mounted while it runs; its rootfs has only the
 * empty mount points): dockerd mounts them too for docker cp of a stopped container.
 */
function hostPathOf(h: ArchiveHost, c: ContainerRecord, root: string, p: string): string {
  const clean = posix.normalize(`/${p}`);
  if (!c.state.Running && ['/etc/hosts', '/etc/hostname', '/etc/resolv.conf'].includes(clean)) {
    const own = join(h.paths.dir(c.id), posix.basename(clean));
    if (existsSync(own)) return own;
  }
  const [r, q] = rootOf(h, c, root, p);
  return scopedLeaf(r, q);
}

/** A stopped container's path under a volume or bind: that host dir as the root (containers-archive-mounts.ts). */
function rootOf(h: ArchiveHost, c: ContainerRecord, root: string, p: string): [string, string] {
  if (c.state.Running) return [root, p];
  const m = mountedAt(h.paths.dataRoot, c.hostConfig, p);
  return m ? [m.root, m.path] : [root, p];
}

function statAt(root: string, host: string, p: string, c: ContainerRecord): Record<string, unknown> {
  let st: Stats;
  try { st = lstatSync(host); } catch { throw missing(p, c); }
  let linkTarget = '';
  if (st.isSymbolicLink()) linkTarget = '/' + scopedPath(root, p).slice(root.length).replace(/^\/+/, '');
  const name = posix.basename(posix.normalize(`/${p}`)) || '/';
  return { name, size: st.size, mode: goFileMode(st), mtime: st.mtime.toISOString(), linkTarget };
}

export async function archiveStat(h: ArchiveHost, idOrName: string, p: string): Promise<Record<string, unknown>> {
  const c = h.store.resolve(idOrName);
  return withRoot(h, c, async (root, release) => { try { return statAt(root, hostPathOf(h, c, root, p), p, c); } finally { await release(); } });
}

/** GET archive: the path as a tar whose entries are named after its basename (docker's RebaseNames). */
export async function archiveGet(h: ArchiveHost, idOrName: string, p: string): Promise<{ stat: Record<string, unknown>; tar: Readable }> {
  const c = h.store.resolve(idOrName);
  return withRoot(h, c, async (root, release) => {
    const host = hostPathOf(h, c, root, p);
    const stat = statAt(root, host, p, c);
    const base = posix.basename(posix.normalize(`/${p}`)) || '.';
    const out = tarTree(host, base, release, false, await h.idShiftOf?.(c.id));
    return { stat, tar: out };
  });
}

/** GET export: the whole merged rootfs (no volumes), entries relative to "/". */
export async function exportRootfs(h: ArchiveHost, idOrName: string): Promise<Readable> {
  const c = h.store.resolve(idOrName);
  const shift = await h.idShiftOf?.(c.id);
  return withRoot(h, c, async (root, release) => tarTree(root, '', release, true, shift), { mergedOnly: true });
}

/** A tar of the tree at host path `src`, entries prefixed with `name` ("" for the root's children). */
function tarTree(src: string, name: string, done: () => void, skipRoot = false, shift?: IdShift): Readable {
  const pack = tar.pack();
  const out = new PassThrough();
  out.on('error', () => {}); // the consumer's pipeline sees errors; none may go uncaught after it detached
  pipeline(pack, out).catch(() => {});
  out.on('close', () => { pack.destroy(); done(); });
  const seen = new Map<string, string>(); // dev:ino -> first entry name, for hard links
  const walk = async (host: string, entry: string): Promise<void> => {
    const st = await lstat(host);
    const key = `${st.dev}:${st.ino}`;
    if (st.isFile() && st.nlink > 1 && seen.has(key)) {
      await addLink(pack, entry, seen.get(key)!, st, shift);
      return;
    }
    if (st.isFile() && st.nlink > 1) seen.set(key, entry);
    if (!(skipRoot && entry === '')) await addEntry(pack, host, entry, st, shift);
    if (!st.isDirectory()) return;
    for (const child of (await readdir(host)).sort()) await walk(join(host, child), entry ? `${entry}/${child}` : child);
  };
  walk(src, name).then(() => pack.finalize(), (e) => { if (!out.destroyed) out.destroy(e as Error); done(); });
  out.on('end', done);
  return out;
}

/** Owner of `st` as the container sees it. */
const ownerOf = (st: Stats, s?: IdShift) => (s ? { uid: toContainerId(st.uid, s.uids), gid: toContainerId(st.gid, s.gids) } : { uid: st.uid, gid: st.gid });

async function addEntry(pack: tar.Pack, host: string, name: string, st: Stats, shift?: IdShift): Promise<void> {
  const base = { name: st.isDirectory() ? `${name}/` : name, mode: st.mode & 0o7777, ...ownerOf(st, shift), mtime: st.mtime };
  if (st.isFile() && st.size === 0) {
    // procfs and sysfs files say 0 bytes and have content: read them whole (an empty file stays empty)
    const data = await readFile(host).catch(() => Buffer.alloc(0));
    await new Promise<void>((resolve, reject) => pack.entry({ ...base, type: 'file', size: data.length }, data, (e) => (e ? reject(e) : resolve())));
  } else if (st.isFile()) {
    // no more than the size in the header: a file still growing (a log) does not break the tar
    const w = pack.entry({ ...base, type: 'file', size: st.size });
    await pipeline(createReadStream(host, { start: 0, end: st.size - 1 }), w);
  } else if (st.isDirectory()) await entry(pack, { ...base, type: 'directory' });
  else if (st.isSymbolicLink()) await entry(pack, { ...base, type: 'symlink', linkname: await readlink(host) });
  else if (st.isFIFO()) await entry(pack, { ...base, type: 'fifo' });
  else if (st.isCharacterDevice() || st.isBlockDevice()) {
    await entry(pack, { ...base, type: st.isCharacterDevice() ? 'character-device' : 'block-device', devmajor: Math.floor(st.rdev / 256) & 0xfff, devminor: (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00) });
  }
}

function addLink(pack: tar.Pack, name: string, target: string, st: Stats, shift?: IdShift): Promise<void> {
  return entry(pack, { name, type: 'link', linkname: target, mode: st.mode & 0o7777, ...ownerOf(st, shift), mtime: st.mtime, size: 0 });
}

function entry(pack: tar.Pack, header: Partial<tar.Header> & { name: string }): Promise<void> {
  return new Promise((resolve, reject) => pack.entry(header as tar.Header, (e) => (e ? reject(e) : resolve())));
}

/** PUT archive: extracts into an existing directory; every entry is placed in scope, "../" escapes are refused. */
export async function archivePut(h: ArchiveHost, idOrName: string, p: string, input: Readable, opts: { noOverwriteDirNonDir?: boolean }): Promise<void> {
  const c = h.store.resolve(idOrName);
  if (c.hostConfig.ReadonlyRootfs) throw new EngineError('PermissionDenied', 'container rootfs is marked read-only');
  await withRoot(h, c, async (ctrRoot, release) => {
    try {
      const [root, q] = rootOf(h, c, ctrRoot, p);
      const dest = scopedPath(root, q);
      let st: Stats;
      try { st = lstatSync(dest); } catch { throw missing(p, c); }
      if (!st.isDirectory()) throw invalid('extraction point is not a directory');
      const destInCtr = '/' + dest.slice(root.length).replace(/^\/+/, '');
      await extract(root, destInCtr, input, !!opts.noOverwriteDirNonDir, await h.idShiftOf?.(c.id));
      // the temporary mount of a stopped container is gone before the answer: a start right
      // after it (testcontainers copies files between create and start) mounts its own
    } finally { await release(); }
  });
}

async function extract(root: string, dest: string, input: Readable, noOverwrite: boolean, shift?: IdShift): Promise<void> {
  const ex = tar.extract();
  const dirTimes: [string, Date][] = [];
  ex.on('entry', (hdr, stream, next) => {
    placeEntry(root, dest, hdr, stream as unknown as Readable, noOverwrite, dirTimes, shift).then(() => next(), (e) => { stream.resume(); ex.destroy(e as Error); });
  });
  await pipeline(input, ex);
  for (const [d, t] of dirTimes.reverse()) await utimes(d, t, t).catch(() => {});
}

async function placeEntry(root: string, dest: string, hdr: tar.Header, stream: Readable, noOverwrite: boolean, dirTimes: [string, Date][], shift?: IdShift): Promise<void> {
  const rel = cleanEntryName(hdr.name);
  if (rel === '') { stream.resume(); return; }
  const target = scopedLeaf(root, posix.join(dest, rel));
  const cur = await lstat(target).catch(() => undefined);
  const isDir = hdr.type === 'directory';
  if (cur) {
    if (noOverwrite && cur.isDirectory() && !isDir) throw invalid(`cannot overwrite directory "${posix.join(dest, rel)}" with non-directory "${hdr.name}"`);
    if (noOverwrite && !cur.isDirectory() && isDir) throw invalid(`cannot overwrite non-directory "${posix.join(dest, rel)}" with directory "${hdr.name}"`);
    if (!(cur.isDirectory() && isDir)) await rm(target, { recursive: true, force: true });
  }
  await mkdir(posix.dirname(target), { recursive: true });
  const mode = (hdr.mode ?? 0o644) & 0o7777;
  switch (hdr.type) {
    case 'file': case 'contiguous-file': await pipeline(stream, createWriteStream(target, { mode })); break;
    case 'directory': await mkdir(target, { recursive: true, mode }); stream.resume(); break;
    case 'symlink': await symlink(hdr.linkname ?? '', target); stream.resume(); break;
    case 'link': {
      const src = scopedPath(root, posix.join(dest, cleanEntryName(hdr.linkname ?? '')));
      await link(src, target); stream.resume(); break;
    }
    default: stream.resume(); return; // devices, fifos: not created (as an unprivileged docker cp would fail too)
  }
  const [uid, gid] = [hdr.uid ?? 0, hdr.gid ?? 0];
  await lchown(target, shift ? toHostId(uid, shift.uids) : uid, shift ? toHostId(gid, shift.gids) : gid).catch(() => {});
  if (hdr.type !== 'symlink') await chmod(target, mode);
  const mtime = hdr.mtime ?? new Date();
  if (isDir) dirTimes.push([target, mtime]);
  else await lutimes(target, mtime, mtime).catch(() => {});
}

/** GET changes: the upper dir against the image layers; 0 modified, 1 added, 2 deleted (whiteouts). */
export async function changes(h: ArchiveHost, idOrName: string): Promise<{ Path: string; Kind: 0 | 1 | 2 }[] | null> {
  const c = h.store.resolve(idOrName);
  const upper = join(h.paths.dir(c.id), 'upper');
  const lowers = [...c.layerDirs].reverse(); // top layer first
  const hidden = new Set(['/etc/hostname', '/etc/hosts', '/etc/resolv.conf', '/.dockerenv', '/dev', '/proc', '/sys', ...mountTargets(c)]);
  const out: { Path: string; Kind: 0 | 1 | 2 }[] = [];
  const walk = async (rel: string): Promise<boolean> => {
    let any = false;
    for (const name of (await readdir(join(upper, rel)).catch(() => [] as string[])).sort()) {
      const path = `${rel}/${name}`;
      if (hidden.has(path)) continue;
      const st = await lstat(join(upper, path));
      if (st.isCharacterDevice() && st.rdev === 0) { out.push({ Path: path, Kind: 2 }); any = true; continue; }
      const inLower = existsInLowers(lowers, path);
      if (st.isDirectory()) {
        const idx = out.length;
        const inner = await walk(path);
        if (!inLower) out.splice(idx, 0, { Path: path, Kind: 1 });
        else if (inner) out.splice(idx, 0, { Path: path, Kind: 0 });
        any ||= inner || !inLower;
        continue;
      }
      out.push({ Path: path, Kind: inLower ? 0 : 1 });
      any = true;
    }
    return any;
  };
  if (existsSync(upper)) await walk('');
  out.sort((a, b) => (a.Path < b.Path ? -1 : a.Path > b.Path ? 1 : 0));
  return out.length ? out : null;
}

function existsInLowers(lowers: string[], path: string): boolean {
  for (const l of lowers) {
    let st: Stats | undefined;
    try { st = lstatSync(join(l, path)); } catch { /* not in this layer */ }
    if (st) return !(st.isCharacterDevice() && st.rdev === 0);
    const parts = path.split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i++) {
      try { if (readdirSync(join(l, ...parts.slice(0, i))).includes('.wh..wh..opq')) return false; } catch { /* absent */ }
    }
  }
  return false;
}

function mountTargets(c: ContainerRecord): string[] {
  const binds = (c.hostConfig.Binds ?? []).map((b) => b.split(':')[1] ?? '');
  const mounts = (c.hostConfig.Mounts ?? []).map((m) => m.Target);
  const vols = Object.keys(c.config.Volumes ?? {});
  return [...binds, ...mounts, ...vols].filter(Boolean).map((p) => posix.normalize(p));
}
