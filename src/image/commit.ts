/**
 * A layer from a directory in overlayfs "upper" form (a container's upper dir, or
 * a directory the builder filled): walked in name order into a layer tar (char
 * device 0/0 -> `.wh.NAME`, a dir with trusted.overlay.opaque=y -> `DIR/.wh..wh..opq`,
 * hard links kept), then stored like any layer: the tar as blob <diffId>, the
 * unpacked snapshot under the chain id on top of `parent`.
 */
import { createReadStream, type Stats } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import * as tar from 'tar-stream';

type HeaderArg = Partial<tar.Header> & { name: string };
import { sha256, type Digest } from '../core/digest.js';
import { run } from '../platform/exec.js';
import type { LayerRecord } from './metadata.js';
import type { ImageStores } from './session.js';
import { unpackLayer } from './unpack.js';
import { toContainerId, type IdShift } from './snapshots-idmap.js';

const KEPT_XATTR = '^(trusted\\.overlay\\.opaque|security\\.capability|user\\..+)$';

function unescapeOctal(s: string): string {
  return Buffer.from(s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8))), 'latin1').toString();
}

/** The kept xattrs of everything under `dir` (one getfattr), by path relative to dir. */
export async function readXattrs(dir: string): Promise<Map<string, Record<string, Buffer>>> {
  const out = new Map<string, Record<string, Buffer>>();
  const r = await run('getfattr', ['-R', '-h', '-d', '-e', 'hex', '-m', KEPT_XATTR, '--absolute-names', dir], { allowFailure: true })
    .catch(() => ({ stdout: '' }));
  let cur: Record<string, Buffer> | undefined;
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith('# file: ')) {
      const abs = unescapeOctal(line.slice(8));
      const rel = abs === dir ? '' : abs.slice(dir.length + 1);
      cur = {};
      out.set(rel, cur);
    } else if (cur && line.includes('=')) {
      const i = line.indexOf('=');
      const v = line.slice(i + 1);
      cur[line.slice(0, i)] = v.startsWith('0x') ? Buffer.from(v.slice(2), 'hex') : Buffer.from(v.replace(/^"|"$/g, ''));
    }
  }
  return out;
}

interface Walk {
  dir: string;
  pack: tar.Pack;
  xattrs: Map<string, Record<string, Buffer>>;
  inodes: Map<string, string>;
  /** The dir belongs to a container in a user namespace: owners go back to its ids. */
  unshift?: IdShift;
}

function entry(p: tar.Pack, h: HeaderArg, body?: Readable): Promise<void> {
  return new Promise((res, rej) => {
    const s = p.entry(h, (e) => (e ? rej(e) : res()));
    if (body) {
      body.on('error', (e) => s.destroy(e));
      body.pipe(s);
    } else (s as unknown as { end(): void }).end();
  });
}

function headerOf(name: string, st: Stats, x?: Record<string, Buffer>, u?: IdShift): HeaderArg {
  const [uid, gid] = u ? [toContainerId(st.uid, u.uids), toContainerId(st.gid, u.gids)] : [st.uid, st.gid];
  const h: HeaderArg = { name, mode: st.mode & 0o7777, uid, gid, mtime: st.mtime, size: 0 };
  const caps = x?.['security.capability'];
  const pax: Record<string, string> = {};
  for (const [k, v] of Object.entries(x ?? {})) {
    if (k !== 'trusted.overlay.opaque') pax[`SCHILY.xattr.${k}`] = v.toString('latin1');
  }
  if (caps || Object.keys(pax).length) h.pax = pax;
  return h;
}

async function walk(w: Walk, rel: string): Promise<void> {
  const names = (await readdir(join(w.dir, rel))).sort();
  for (const name of names) {
    const r = rel ? `${rel}/${name}` : name;
    const abs = join(w.dir, r);
    const st = await lstat(abs);
    const x = w.xattrs.get(r);
    const header = (n: string, s: Stats, xa?: Record<string, Buffer>) => headerOf(n, s, xa, w.unshift);
    if (st.isCharacterDevice() && st.rdev === 0) {
      await entry(w.pack, { name: `${rel ? rel + '/' : ''}.wh.${name}`, mode: 0, size: 0, mtime: st.mtime, type: 'file' });
    } else if (st.isDirectory()) {
      await entry(w.pack, { ...header(r + '/', st, x), type: 'directory' });
      if (x?.['trusted.overlay.opaque']?.toString() === 'y') {
        await entry(w.pack, { name: `${r}/.wh..wh..opq`, mode: 0, size: 0, mtime: st.mtime, type: 'file' });
      }
      await walk(w, r);
    } else if (st.isSymbolicLink()) {
      await entry(w.pack, { ...header(r, st, x), type: 'symlink', linkname: await readlink(abs) });
    } else if (st.isFile()) {
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? w.inodes.get(key) : undefined;
      if (first) await entry(w.pack, { ...header(r, st, x), type: 'link', linkname: first });
      else {
        if (st.nlink > 1) w.inodes.set(key, r);
        await entry(w.pack, { ...header(r, st, x), type: 'file', size: st.size }, createReadStream(abs));
      }
    } else if (st.isFIFO()) {
      await entry(w.pack, { ...header(r, st, x), type: 'fifo' });
    }
    // sockets and other device nodes are not carried into a layer (unpack refuses devices)
  }
}

/** Streams the layer tar of an upper-form directory. */
export function tarUpperDir(dir: string, unshift?: IdShift): Readable {
  const pack = tar.pack();
  const out = new PassThrough();
  pack.pipe(out);
  (async () => {
    const w: Walk = { dir, pack, xattrs: await readXattrs(dir), inodes: new Map(), unshift };
    await walk(w, '');
    pack.finalize();
  })().catch((e: Error) => {
    pack.destroy(e);
    out.destroy(e);
  });
  return out;
}

/**
 * Stores the layer of an upper-form directory on top of the layer `parent`
 * (chain id, or null for a first layer): blob <diffId> and the snapshot. The
 * caller registers an image using it (until then the snapshot and blob are
 * unreferenced and removed by the next clean-up; see dropUnused()).
 */
export async function commitLayer(s: ImageStores, upperDir: string, parent: Digest | null, unshift?: IdShift): Promise<LayerRecord> {
  const tee = s.content.writer();
  const chain = (d: Digest) => (parent ? sha256(`${parent} ${d}`) : d);
  try {
    const r = await s.snapshots.create((x: { diffId: Digest }) => chain(x.diffId), (dir) => unpackLayer(tarUpperDir(upperDir, unshift), dir, { tee }));
    await tee.commit(r.diffId);
    return { chainId: chain(r.diffId), parent, diffId: r.diffId, size: r.size, tarSize: r.tarSize };
  } catch (e) {
    await tee.abort();
    throw e;
  }
}

/** Removes the snapshots and blobs of layers that no registered image uses. */
export async function dropUnused(s: ImageStores, layers: LayerRecord[]): Promise<void> {
  for (const l of layers) {
    if (s.store.layerExists(l.chainId)) continue;
    await s.snapshots.remove(l.chainId);
    if (!s.store.blobUsed(l.diffId)) await s.content.delete(l.diffId);
  }
}
