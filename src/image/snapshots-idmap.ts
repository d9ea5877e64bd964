/**
 * Id-shifted copies of layer snapshots for containers in a user namespace (dockerd
 * keeps a whole graph per mapping under <root>/<uid>.<gid>; hako keeps one copy per
 * layer and mapping). The copy of <snapshots>/<chain>/diff for mapping K lives beside
 * it at <snapshots>/<chain>/remap-K, so it shares the snapshot's lifetime: removing the
 * layer (its reference count is the image metadata's) removes every copy with it.
 *
 * A copy is made once (`cp -a`, then every inode's owner moved by the mapping, set-id
 * bits restored after chown cleared them), under a tmp name renamed into place, and
 * reused by every later container of that mapping.
 */
import { lstat, lchown, chmod, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { run } from '../platform/exec.js';

/** One line of a uid_map/gid_map: ids [container, container+size) are host ids [host, host+size). */
export interface IdRange {
  containerID: number;
  hostID: number;
  size: number;
}

export interface IdShift {
  /** Directory-name key of the mapping, e.g. "100000.100000" (host uid.gid of container root). */
  key: string;
  uids: IdRange[];
  gids: IdRange[];
}

/** Host nobody: owner on disk of ids no range maps (dockerd refuses such a layer; a real host user must not own it). */
export const UNMAPPED_HOST_ID = 65534;

/** The host id of container id `id`; UNMAPPED_HOST_ID when no range holds it (it shows as the overflow id inside). */
export function toHostId(id: number, ranges: IdRange[]): number {
  for (const r of ranges) if (id >= r.containerID && id < r.containerID + r.size) return r.hostID + (id - r.containerID);
  return UNMAPPED_HOST_ID;
}

/** The container id of host id `id` (the inverse of toHostId); unmapped ids are the kernel's overflow id 65534, as the container saw them. */
export function toContainerId(id: number, ranges: IdRange[]): number {
  for (const r of ranges) if (id >= r.hostID && id < r.hostID + r.size) return r.containerID + (id - r.hostID);
  return 65534;
}

const inflight = new Map<string, Promise<string>>();

/** The lower dir to give overlayfs for `diffDir` under `shift`: made on first use, then reused. */
export function remappedDiffDir(diffDir: string, shift: IdShift): Promise<string> {
  const dest = join(dirname(diffDir), `remap-${shift.key}`);
  let p = inflight.get(dest);
  if (!p) {
    p = makeCopy(diffDir, dest, shift).finally(() => inflight.delete(dest));
    inflight.set(dest, p);
  }
  return p;
}

async function makeCopy(diffDir: string, dest: string, shift: IdShift): Promise<string> {
  if (await stat(dest).then(() => true, () => false)) return dest;
  const parent = dirname(dest);
  // A crash's half-made copy of this mapping (one copy per dest runs at a time: `inflight`).
  const prefix = `tmp-remap-${shift.key}-`;
  for (const n of await readdir(parent)) if (n.startsWith(prefix)) await rm(join(parent, n), { recursive: true, force: true });
  const tmp = join(parent, `${prefix}${randomBytes(6).toString('hex')}`);
  try {
    await run('cp', ['-a', diffDir, tmp]);
    await shiftTree(tmp, shift);
    await rename(tmp, dest).catch(async (e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST') throw e;
      await rm(tmp, { recursive: true, force: true });
    });
    return dest;
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Moves the owner of every inode under `root` (itself included) by the mapping; hard links are moved once. */
export async function shiftTree(root: string, shift: IdShift): Promise<void> {
  const seen = new Set<string>();
  const visit = async (path: string): Promise<void> => {
    const st = await lstat(path);
    const inode = `${st.dev}:${st.ino}`;
    if (st.nlink > 1 && !st.isDirectory()) {
      if (seen.has(inode)) return;
      seen.add(inode);
    }
    const uid = toHostId(st.uid, shift.uids);
    const gid = toHostId(st.gid, shift.gids);
    if (uid !== st.uid || gid !== st.gid) {
      await lchown(path, uid, gid);
      // chown clears set-user-id and set-group-id: put the mode back.
      if (!st.isSymbolicLink() && (st.mode & 0o6000)) await chmod(path, st.mode & 0o7777);
    }
    if (st.isDirectory()) {
      const names = await readdir(path);
      for (let i = 0; i < names.length; i += 32) await Promise.all(names.slice(i, i + 32).map((n) => visit(join(path, n))));
    }
  };
  if (shift.uids.length && shift.gids.length) await visit(root);
}
