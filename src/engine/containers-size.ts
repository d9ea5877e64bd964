/**
 * SizeRw and SizeRootFs of `GET /containers/json?size=1` (docker ps -s, system df), as
 * dockerd computes them: the bytes of the files in the container's writable layer, and
 * those plus the image's layers. Layer dirs are immutable, so their sizes are cached.
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

const layerSizes = new Map<string, Promise<number>>();

/** Bytes of the regular files and symlinks under dir (hard links counted once), 0 when absent. */
export async function dirSize(dir: string, seen = new Set<string>()): Promise<number> {
  let entries;
  try { entries = await readdir(dir, { withFileTypes: true }); } catch { return 0; }
  const sizes = await Promise.all(entries.map(async (e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return dirSize(p, seen);
    const st = await lstat(p).catch(() => undefined);
    if (!st) return 0;
    if (st.nlink > 1) {
      const key = `${st.dev}:${st.ino}`;
      if (seen.has(key)) return 0;
      seen.add(key);
    }
    return st.size;
  }));
  return sizes.reduce((a, b) => a + b, 0);
}

function layerSize(dir: string): Promise<number> {
  let p = layerSizes.get(dir);
  if (!p) layerSizes.set(dir, (p = dirSize(dir)));
  return p;
}

/** Adds SizeRw and SizeRootFs to container summaries; upperOf/layersOf give a container's dirs. */
export async function withSizes(rows: Record<string, unknown>[], upperOf: (id: string) => string, layersOf: (id: string) => string[]): Promise<Record<string, unknown>[]> {
  return Promise.all(rows.map(async (r) => {
    const id = r.Id as string;
    const [rw, ...layers] = await Promise.all([dirSize(upperOf(id)), ...layersOf(id).map(layerSize)]);
    return { ...r, SizeRw: rw, SizeRootFs: rw! + layers.reduce((a, b) => a + b, 0) };
  }));
}
