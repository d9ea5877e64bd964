/**
 * COPY and ADD: sources (globs allowed) from a view (the build context, another
 * stage, an image) copied into an upper-form layer directory on top of the
 * image being built, with docker's destination rules, --chown and --chmod, and
 * ADD's unpacking of local tar archives. Also the content hash of the sources
 * that keys the build cache.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, copyFile, lchown, lstat, mkdir, open, readdir, readlink, rename, rm, symlink, utimes } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { invalid } from '../../core/errors.js';
import { unpackLayer } from '../../image/unpack.js';
import { cleanPath, LayerView, type Found } from './view.js';

export interface Owner { uid: number; gid: number }

export interface CopyRequest {
  kind: 'copy' | 'add';
  /** Source view and the (already expanded) source patterns. */
  from: LayerView;
  srcs: string[];
  /** Destination inside the image, already absolute (WORKDIR applied). */
  dest: string;
  /** The image the layer goes on top of. */
  image: LayerView;
  /** The upper-form layer dir being filled. */
  upper: string;
  owner?: Owner;
  mode?: number;
}

const GLOB = /[*?[]/;

function globRe(p: string): RegExp {
  let re = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = p.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else { re += '[' + p.slice(i + 1, end).replace(/^\^|^!/, '^') + ']'; i = end; }
    } else if (c === '\\' && i + 1 < p.length) re += '\\' + p[++i];
    else re += c.replace(/[.+^${}()|/\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Expands one source pattern to the matching paths of the view (sorted). */
export async function expandSource(view: LayerView, pattern: string): Promise<string[]> {
  const clean = cleanPath(pattern);
  if (!GLOB.test(clean)) return [clean];
  let paths = ['/'];
  for (const comp of clean.split('/').filter(Boolean)) {
    const next: string[] = [];
    for (const dir of paths) {
      if (!GLOB.test(comp)) next.push(posix.join(dir, comp));
      else {
        const re = globRe(comp);
        for (const n of await view.readdir(dir)) if (re.test(n)) next.push(posix.join(dir, n));
      }
    }
    paths = next;
  }
  return paths.sort();
}

export interface Source { path: string; found: Found }

/** Resolves the sources of a COPY/ADD; errors worded as docker's. */
export async function resolveSources(kind: string, view: LayerView, srcs: string[]): Promise<Source[]> {
  const out: Source[] = [];
  for (const s of srcs) {
    if (/^https?:\/\//.test(s)) {
      if (kind === 'add') throw invalid(`ADD from a URL (${s}) is not supported by hako: no network access during builds; download it into the context and use COPY`);
      throw invalid(`COPY does not support URLs: ${s}`);
    }
    const matches = await expandSource(view, s);
    for (const m of matches) {
      const found = await view.resolve(m);
      if (!found) {
        throw invalid(`COPY failed: file not found in build context or excluded by .dockerignore: stat ${m.slice(1) || '.'}: file does not exist`);
      }
      out.push({ path: m, found });
    }
  }
  if (!out.length) throw invalid('COPY failed: no source files were specified');
  return out;
}

/** Hash of the sources' content and metadata (not mtimes), "file:", "dir:" or "multi:" prefixed as docker shows it. */
export async function hashSources(view: LayerView, sources: Source[], extra: string): Promise<string> {
  const h = createHash('sha256');
  h.update(extra + '\0');
  for (const s of sources) await hashTree(view, s.found, s.path, h);
  const kind = sources.length > 1 ? 'multi' : sources[0]!.found.st.isDirectory() ? 'dir' : 'file';
  return `${kind}:${h.digest('hex')}`;
}

async function hashTree(view: LayerView, f: Found, path: string, h: ReturnType<typeof createHash>): Promise<void> {
  const st = f.st;
  h.update(`${path}\0${st.mode}\0${st.uid}:${st.gid}\0`);
  if (st.isSymbolicLink()) h.update('l' + (await readlink(f.abs)));
  else if (st.isFile()) {
    h.update(`f${st.size}\0`);
    for await (const c of createReadStream(f.abs)) h.update(c as Buffer);
  } else if (st.isDirectory()) {
    for (const n of await view.readdir(path)) {
      const child = `${path === '/' ? '' : path}/${n}`;
      const cf = await view.resolve(child, false);
      if (cf) await hashTree(view, cf, child, h);
    }
  }
}

/**
 * Makes `dir` (a path in the image) a directory in the upper dir, copying up the
 * metadata of directories the image already has and creating missing ones 0755.
 */
async function ensureDir(req: CopyRequest, dir: string): Promise<void> {
  let cur = '';
  for (const comp of dir.split('/').filter(Boolean)) {
    cur += `/${comp}`;
    const abs = join(req.upper, cur);
    const have = await lstat(abs).catch(() => undefined);
    if (have?.isDirectory()) continue;
    if (have) await rm(abs, { recursive: true, force: true });
    const lower = await req.image.resolve(cur, false);
    await mkdir(abs);
    if (lower?.st.isDirectory()) {
      await chmod(abs, lower.st.mode & 0o7777);
      await lchown(abs, lower.st.uid, lower.st.gid);
    } else {
      await chmod(abs, 0o755);
      await lchown(abs, req.owner?.uid ?? 0, req.owner?.gid ?? 0);
    }
  }
}

/** Resolves symlinks in the destination's parents inside the image (docker's FollowSymlinkInScope). */
async function resolveDest(image: LayerView, dest: string): Promise<string> {
  const parent = posix.dirname(dest);
  const f = parent === '/' ? undefined : await image.resolve(parent);
  return posix.join(f?.st.isDirectory() ? f.path : parent, posix.basename(dest));
}

async function copyEntry(req: CopyRequest, from: LayerView, f: Found, srcPath: string, dest: string): Promise<void> {
  const abs = join(req.upper, dest);
  const st = f.st;
  await rm(abs, { recursive: true, force: true }).catch(() => {});
  if (st.isDirectory()) {
    await mkdir(abs, { recursive: true });
    for (const n of await from.readdir(srcPath)) {
      const child = `${srcPath === '/' ? '' : srcPath}/${n}`;
      const cf = await from.resolve(child, false);
      if (cf) await copyEntry(req, from, cf, child, posix.join(dest, n));
    }
  } else if (st.isSymbolicLink()) {
    await symlink(await readlink(f.abs), abs);
  } else if (st.isFile()) {
    await copyFile(f.abs, abs);
  } else return; // fifos, sockets, devices are not copied
  await lchown(abs, req.owner?.uid ?? 0, req.owner?.gid ?? 0);
  if (!st.isSymbolicLink()) {
    await chmod(abs, req.mode ?? st.mode & 0o7777);
    await utimes(abs, st.atime, st.mtime);
  }
}

/** True when the file starts like a tar archive (plain or gzip/zstd compressed). */
async function isArchive(abs: string): Promise<boolean> {
  const fh = await open(abs, 'r');
  try {
    const b = Buffer.alloc(512);
    const { bytesRead } = await fh.read(b, 0, 512, 0);
    if (bytesRead >= 2 && b[0] === 0x1f && b[1] === 0x8b) return true;
    if (bytesRead >= 4 && b.readUInt32LE(0) === 0xfd2fb528) return true;
    return bytesRead >= 262 && b.subarray(257, 262).toString('latin1') === 'ustar';
  } finally {
    await fh.close();
  }
}

/** Moves an unpacked tree into the upper dir at dest, merging with directories already there. */
async function mergeInto(src: string, dst: string): Promise<void> {
  for (const n of await readdir(src)) {
    const s = join(src, n);
    const d = join(dst, n);
    const [ss, ds] = await Promise.all([lstat(s), lstat(d).catch(() => undefined)]);
    if (ss.isDirectory() && ds?.isDirectory()) await mergeInto(s, d);
    else {
      if (ds) await rm(d, { recursive: true, force: true });
      await rename(s, d);
    }
  }
}

async function unpackArchive(req: CopyRequest, f: Found, destDir: string): Promise<void> {
  const tmp = join(req.upper, `.hako-add-${process.pid}-${Date.now()}`);
  try {
    await unpackLayer(createReadStream(f.abs), tmp);
    if (req.owner) await chownTree(tmp, req.owner);
    await mergeInto(tmp, join(req.upper, destDir));
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

async function chownTree(dir: string, o: Owner): Promise<void> {
  for (const n of await readdir(dir)) {
    const p = join(dir, n);
    await lchown(p, o.uid, o.gid);
    if ((await lstat(p)).isDirectory()) await chownTree(p, o);
  }
}

/** Performs one COPY/ADD into req.upper. */
export async function copyInto(req: CopyRequest, sources: Source[]): Promise<void> {
  const multi = sources.length > 1;
  const dirDest = req.dest.endsWith('/') || req.dest.endsWith('/.') || req.dest === '.';
  if (multi && !dirDest) throw invalid(`When using ${req.kind.toUpperCase()} with more than one source file, the destination must be a directory and end with a /`);
  const dest = await resolveDest(req.image, cleanPath(req.dest));
  const existing = await req.image.resolve(dest);
  const destIsDir = dirDest || !!existing?.st.isDirectory();
  for (const s of sources) {
    if (s.found.st.isDirectory()) {
      await ensureDir(req, dest);
      await copyChildren(req, s, dest);
    } else if (req.kind === 'add' && s.found.st.isFile() && (await isArchive(s.found.abs))) {
      await ensureDir(req, dest);
      await unpackArchive(req, s.found, dest);
    } else {
      const target = destIsDir ? posix.join(dest, posix.basename(s.path)) : dest;
      await ensureDir(req, posix.dirname(target));
      await copyEntry(req, req.from, s.found, s.path, target);
    }
  }
}

async function copyChildren(req: CopyRequest, s: Source, dest: string): Promise<void> {
  for (const n of await req.from.readdir(s.found.path)) {
    const child = `${s.found.path === '/' ? '' : s.found.path}/${n}`;
    const cf = await req.from.resolve(child, false);
    if (cf) await copyEntry(req, req.from, cf, child, posix.join(dest, n));
  }
}

/** --chown user[:group] against the image's /etc/passwd and /etc/group. */
export async function resolveOwner(image: LayerView, spec: string): Promise<Owner> {
  const [user, group] = spec.split(':') as [string, string | undefined];
  const table = async (file: string) => ((await image.readFile(file))?.toString() ?? '').split('\n').map((l) => l.split(':'));
  let uid: number;
  let gid: number | undefined;
  if (/^\d+$/.test(user)) uid = Number(user);
  else {
    const row = (await table('/etc/passwd')).find((r) => r[0] === user);
    if (!row) throw invalid(`unable to convert uid/gid chown string to host mapping: can't find uid for user ${user}: no such user: ${user}`);
    uid = Number(row[2]);
    gid = Number(row[3]);
  }
  if (group !== undefined && group !== '') {
    if (/^\d+$/.test(group)) gid = Number(group);
    else {
      const row = (await table('/etc/group')).find((r) => r[0] === group);
      if (!row) throw invalid(`unable to convert uid/gid chown string to host mapping: can't find gid for group ${group}: no such group: ${group}`);
      gid = Number(row[2]);
    }
  }
  return { uid, gid: gid ?? uid };
}
