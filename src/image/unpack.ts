import { createWriteStream } from 'node:fs';
import { chmod, lchown, link, lstat, lutimes, mkdir, rm, symlink, utimes } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { Digester, type Digest } from '../core/digest.js';
import { EngineError, invalid, unavailable } from '../core/errors.js';
import { run } from '../platform/exec.js';
import { decompress } from './compress.js';
import type { BlobWriter } from './content.js';

export interface UnpackOptions {
  /** Receives the uncompressed tar bytes (to keep the layer tar for save/push). */
  tee?: BlobWriter;
  /** Called with the number of (compressed) input bytes read so far. */
  onBytes?: (n: number) => void;
  /**
   * The caller owns `input` (an HTTP request body): on failure it is only unpiped,
   * not destroyed, so the caller can drain it and still answer on its connection.
   */
  keepInput?: boolean;
}

export interface UnpackResult {
  /** sha256 of the uncompressed tar stream. */
  diffId: Digest;
  /** Bytes of regular file content in the layer. */
  size: number;
  /** Bytes of the uncompressed tar stream. */
  tarSize: number;
}

const MAX_PATH = 4096;
const MAX_COMPONENT = 255;
const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';
const KEPT_XATTR = /^(security\.capability|user\..+)$/;

const escapeErr = (name: string, why: string) => invalid(`invalid tar entry "${name}": ${why}`);

/**
 * Cleans a tar entry name into a path relative to the layer root ("" for the root).
 * A leading "/" is stripped as docker does; ".." that climbs out is refused.
 */
export function cleanEntryName(name: string): string {
  if (name.includes('\0')) throw escapeErr(name, 'name contains a NUL byte');
  if (Buffer.byteLength(name) > MAX_PATH) throw escapeErr(name.slice(0, 64) + '...', 'name too long');
  const stripped = name.replace(/^\/+/, '');
  if (stripped === '') return '';
  const p = posix.normalize(stripped).replace(/\/+$/, '');
  if (p === '..' || p.startsWith('../')) throw escapeErr(name, 'path escapes the layer');
  if (p === '.' || p === '') return '';
  for (const c of p.split('/')) {
    if (Buffer.byteLength(c) > MAX_COMPONENT) throw escapeErr(name, 'path component too long');
  }
  return p;
}

interface State {
  dest: string;
  signal: AbortSignal;
  size: number;
  /** Relative dirs known to be real directories (not symlinks). */
  dirs: Set<string>;
  dirTimes: [string, Date][];
  whiteouts: string[];
  fifos: [string, tar.Header][];
  xattrs: [string, string, Buffer][];
}

/** Makes sure every parent of `rel` is a real directory inside the layer, creating missing ones. */
async function ensureParents(st: State, name: string, rel: string, create: boolean): Promise<void> {
  const parts = rel.split('/').slice(0, -1);
  let cur = '';
  for (const c of parts) {
    cur = cur ? `${cur}/${c}` : c;
    if (st.dirs.has(cur)) continue;
    const abs = join(st.dest, cur);
    const s = await lstat(abs).catch(() => null);
    if (!s) {
      if (!create) throw escapeErr(name, `parent "${cur}" does not exist`);
      await mkdir(abs, { mode: 0o755 });
    } else if (s.isSymbolicLink()) {
      throw escapeErr(name, `parent "${cur}" is a symlink`);
    } else if (!s.isDirectory()) {
      throw escapeErr(name, `parent "${cur}" is not a directory`);
    }
    st.dirs.add(cur);
  }
}

/** Removes whatever is at rel unless both it and the new entry are directories. */
async function clearPath(st: State, rel: string, isDir: boolean): Promise<void> {
  const abs = join(st.dest, rel);
  const s = await lstat(abs).catch(() => null);
  if (!s || (s.isDirectory() && isDir)) return;
  await rm(abs, { recursive: true, force: true });
  for (const d of st.dirs) if (d === rel || d.startsWith(rel + '/')) st.dirs.delete(d);
}

async function drain(entry: AsyncIterable<Buffer>): Promise<void> {
  for await (const _ of entry) { /* discard */ }
}

async function writeFile(abs: string, entry: AsyncIterable<Buffer>, mode: number, signal: AbortSignal): Promise<number> {
  let n = 0;
  const count = new Transform({ transform(c: Buffer, _e, cb) { n += c.length; cb(null, c); } });
  await pipeline(entry, count, createWriteStream(abs, { flags: 'wx', mode: mode & 0o777 }), { signal });
  return n;
}

async function applyMeta(abs: string, h: tar.Header, st: State): Promise<void> {
  await lchown(abs, h.uid ?? 0, h.gid ?? 0);
  const mtime = h.mtime ?? new Date(0);
  if (h.type === 'symlink') {
    await lutimes(abs, mtime, mtime);
    return;
  }
  await chmod(abs, (h.mode ?? 0o644) & 0o7777);
  if (h.type === 'directory') st.dirTimes.push([abs, mtime]);
  else await utimes(abs, mtime, mtime);
}

function collectXattrs(st: State, rel: string, h: tar.Header): void {
  const pax = (h as { pax?: Record<string, string> }).pax;
  if (!pax) return;
  for (const [k, v] of Object.entries(pax)) {
    if (!k.startsWith('SCHILY.xattr.')) continue;
    const name = k.slice('SCHILY.xattr.'.length);
    if (KEPT_XATTR.test(name)) st.xattrs.push([rel, name, Buffer.from(v, 'latin1')]);
  }
}

/** Handles `.wh.*` entries; returns true when the entry was a whiteout. */
async function whiteout(st: State, name: string, rel: string, entry: AsyncIterable<Buffer>): Promise<boolean> {
  const base = posix.basename(rel);
  if (!base.startsWith(WHITEOUT)) return false;
  await drain(entry);
  const dir = posix.dirname(rel) === '.' ? '' : posix.dirname(rel);
  await ensureParents(st, name, rel, true);
  if (base === OPAQUE) {
    st.xattrs.push([dir || '.', 'trusted.overlay.opaque', Buffer.from('y')]);
  } else if (!base.startsWith(WHITEOUT + WHITEOUT)) {
    const target = base.slice(WHITEOUT.length);
    if (!target || target === '.' || target === '..') throw escapeErr(name, 'invalid whiteout');
    st.whiteouts.push(dir ? `${dir}/${target}` : target);
  }
  return true;
}

async function applyEntry(st: State, h: tar.Header, entry: AsyncIterable<Buffer>): Promise<void> {
  const rel = cleanEntryName(h.name);
  if (rel === '') {
    await drain(entry);
    if (h.type === 'directory') await applyMeta(st.dest, h, st);
    return;
  }
  if (await whiteout(st, h.name, rel, entry)) return;
  await ensureParents(st, h.name, rel, true);
  const abs = join(st.dest, rel);
  await clearPath(st, rel, h.type === 'directory');
  switch (h.type) {
    case 'file':
    case 'contiguous-file':
      st.size += await writeFile(abs, entry, h.mode ?? 0o644, st.signal);
      break;
    case 'directory':
      await drain(entry);
      await mkdir(abs, { mode: 0o755 }).catch((e: NodeJS.ErrnoException) => { if (e.code !== 'EEXIST') throw e; });
      st.dirs.add(rel);
      break;
    case 'symlink':
      await drain(entry);
      await symlink(h.linkname ?? '', abs);
      break;
    case 'link':
      await drain(entry);
      await hardlink(st, h, rel, abs);
      return;
    case 'fifo':
      await drain(entry);
      st.fifos.push([rel, h]);
      return;
    case 'character-device':
    case 'block-device':
      throw escapeErr(h.name, 'device nodes are not allowed in a layer');
    default:
      throw escapeErr(h.name, `unsupported entry type ${h.type}`);
  }
  collectXattrs(st, rel, h);
  await applyMeta(abs, h, st);
}

async function hardlink(st: State, h: tar.Header, rel: string, abs: string): Promise<void> {
  let target: string;
  try {
    target = cleanEntryName(h.linkname ?? '');
  } catch {
    throw escapeErr(h.name, `hardlink target "${h.linkname}" escapes the layer`);
  }
  if (target === '') throw escapeErr(h.name, 'hardlink to the layer root');
  const missing = () => escapeErr(h.name, `hardlink target "${h.linkname}" does not exist in the layer`);
  await ensureParents(st, h.name, target, false).catch((e: Error) => {
    throw /does not exist/.test(e.message) ? missing() : escapeErr(h.name, `hardlink target "${h.linkname}": ${e.message.replace(/^invalid tar entry "[^"]*": /, '')}`);
  });
  const s = await lstat(join(st.dest, target)).catch(() => null);
  if (!s) throw missing();
  if (s.isDirectory()) throw escapeErr(h.name, 'hardlink to a directory');
  if (target === rel) return;
  // link(2) does not follow a symlink target on Linux, so a link to a symlink stays a symlink.
  await link(join(st.dest, target), abs);
}

/** Creates whiteouts (char 0/0), fifos and xattrs, batched into few processes. */
async function finish(st: State): Promise<void> {
  const paths = st.whiteouts.map((p) => join(st.dest, p));
  for (let i = 0; i < paths.length; i += 500) {
    await run('sh', ['-c', 'for p; do rm -rf -- "$p" && mknod -- "$p" c 0 0 || exit 1; done', 'sh', ...paths.slice(i, i + 500)]);
  }
  for (const [rel, h] of st.fifos) {
    const abs = join(st.dest, rel);
    await run('mknod', ['--', abs, 'p']);
    await applyMeta(abs, { ...h, type: 'file' }, st);
  }
  if (st.xattrs.length) await setXattrs(st.dest, st.xattrs);
  for (const [abs, t] of st.dirTimes.reverse()) await utimes(abs, t, t);
}

function quotePath(p: string): string {
  let out = '';
  for (const b of Buffer.from(p)) {
    out += b > 0x20 && b < 0x7f && b !== 0x5c && b !== 0x3d ? String.fromCharCode(b) : '\\' + b.toString(8).padStart(3, '0');
  }
  return out;
}

/** Sets extended attributes with one `setfattr --restore` (paths relative to dest, never followed). */
export async function setXattrs(dest: string, attrs: [string, string, Buffer][]): Promise<void> {
  let dump = '';
  for (const [rel, name, value] of attrs) {
    dump += `# file: ${quotePath(rel)}\n${name}=0x${value.toString('hex')}\n\n`;
  }
  try {
    await run('setfattr', ['-h', '--restore=-'], { input: dump, cwd: dest });
  } catch (e) {
    if (e instanceof EngineError && /ENOENT/.test(e.message)) {
      throw unavailable('setfattr not found: install the "attr" package to unpack layers with opaque directories or xattrs');
    }
    throw e;
  }
}

function mapStreamError(e: unknown): EngineError {
  if (e instanceof EngineError) return e;
  const err = e as NodeJS.ErrnoException;
  if (err && err.syscall) return new EngineError('Internal', `unpack: ${err.message}`, { cause: e });
  return invalid(`invalid tar stream: ${err?.message ?? String(e)}`, e);
}

/**
 * Unpacks one layer tar (plain, gzip or zstd) into `dest`, an empty directory,
 * never following a symlink, and computes its diff id. On failure `dest` is removed.
 */
export async function unpackLayer(input: Readable, dest: string, opts: UnpackOptions = {}): Promise<UnpackResult> {
  const abort = new AbortController();
  const st: State = { dest, signal: abort.signal, size: 0, dirs: new Set(), dirTimes: [], whiteouts: [], fifos: [], xattrs: [] };
  const d = new Digester();
  let counted = 0;
  const countIn = new Transform({ transform(c: Buffer, _e, cb) { counted += c.length; opts.onBytes?.(counted); cb(null, c); } });
  input.on('error', (e) => countIn.destroy(e));
  input.pipe(countIn);
  const hashing = new Transform({
    transform(c: Buffer, _e, cb) {
      d.update(c);
      if (opts.tee) opts.tee.write(c).then(() => cb(null, c), cb);
      else cb(null, c);
    },
  });
  const ex = tar.extract();
  try {
    await mkdir(dest, { recursive: true });
    const { stream } = await decompress(countIn);
    let current: { destroy(e?: Error): void } | undefined;
    let inflight: Promise<void> | undefined;
    const piping = pipeline(stream, hashing, ex);
    const failed = new Promise<never>((_res, rej) => piping.catch((e: Error) => { abort.abort(e); current?.destroy(e); rej(e); }));
    failed.catch(() => {});
    try {
      for await (const entry of ex) {
        current = entry;
        inflight = applyEntry(st, entry.header, entry as AsyncIterable<Buffer>);
        await Promise.race([inflight, failed]);
        current = undefined;
      }
      await piping;
    } catch (e) {
      abort.abort(e);
      stream.destroy();
      ex.destroy();
      // let the entry being written fail before the directory is removed
      await Promise.race([inflight?.catch(() => {}), new Promise((r) => setTimeout(r, 2000).unref())]);
      throw e;
    }
    await finish(st);
    return { diffId: d.digest(), size: st.size, tarSize: d.size };
  } catch (e) {
    if (opts.keepInput) input.unpipe(countIn);
    else input.destroy();
    await rm(dest, { recursive: true, force: true, maxRetries: 3 });
    throw mapStreamError(e);
  }
}

/** Computes the diff id of a (possibly compressed) layer tar without unpacking it. */
export async function layerDiffId(input: Readable, tee?: BlobWriter): Promise<{ diffId: Digest; tarSize: number }> {
  const d = new Digester();
  try {
    const { stream } = await decompress(input);
    for await (const c of stream as AsyncIterable<Buffer>) {
      d.update(c);
      if (tee) await tee.write(c);
    }
  } catch (e) {
    throw mapStreamError(e);
  }
  return { diffId: d.digest(), tarSize: d.size };
}
