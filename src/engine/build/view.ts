/**
 * A read-only merged view of a stack of layer directories (lowest first), as an
 * overlay mount would show it, without mounting: lookups go top-down, a char
 * device 0/0 hides what is below (whiteout), an opaque directory hides the
 * lower layers' entries under it. Symlinks resolve inside the view's root.
 * A build context directory is a view of one layer.
 */
import { type Stats } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { invalid } from '../../core/errors.js';
import { readXattrs } from '../../image/commit.js';

export interface Found {
  /** The path inside the view, symlinks in its parents resolved. */
  path: string;
  /** The real file in the topmost layer holding it. */
  abs: string;
  st: Stats;
}

const opaqueCache = new Map<string, Promise<Set<string>>>();

async function opaqueDirs(layer: string): Promise<Set<string>> {
  let p = opaqueCache.get(layer);
  if (!p) {
    p = readXattrs(layer).then((m) => new Set([...m].filter(([, x]) => x['trusted.overlay.opaque']?.toString() === 'y').map(([r]) => r)));
    opaqueCache.set(layer, p);
    if (opaqueCache.size > 256) opaqueCache.delete(opaqueCache.keys().next().value!);
  }
  return p;
}

const isWhiteout = (st: Stats) => st.isCharacterDevice() && st.rdev === 0;

/** Normalises a path in the view: absolute, no "..", no trailing slash ("/" for the root). */
export function cleanPath(p: string): string {
  return posix.normalize('/' + p).replace(/(.)\/+$/, '$1');
}

export class LayerView {
  constructor(readonly layers: string[], private readonly checkOpaque = true) {}

  /** The entry at `p` with no symlink in `p` (its parents already resolved). */
  private async lstatExact(p: string): Promise<{ abs: string; st: Stats } | undefined> {
    const rel = p.slice(1);
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const layer = this.layers[i]!;
      const abs = rel ? join(layer, rel) : layer;
      const st = await lstat(abs).catch(() => undefined);
      if (st) return isWhiteout(st) ? undefined : { abs, st };
      if (await this.hiddenBelow(layer, rel)) return undefined;
    }
    return undefined;
  }

  /** True when a parent of `rel` in `layer` hides the lower layers (whiteout, non-directory, opaque). */
  private async hiddenBelow(layer: string, rel: string): Promise<boolean> {
    const parts = rel.split('/');
    const opaque = this.checkOpaque ? await opaqueDirs(layer) : new Set<string>();
    for (let k = 1; k < parts.length; k++) {
      const prefix = parts.slice(0, k).join('/');
      const st = await lstat(join(layer, prefix)).catch(() => undefined);
      if (!st) return false;
      if (!st.isDirectory() || opaque.has(prefix)) return true;
    }
    return false;
  }

  /** Resolves symlinks in `p` inside the view (all components, or all but the last). */
  async resolve(p: string, followLast = true): Promise<Found | undefined> {
    let todo = cleanPath(p).split('/').filter(Boolean);
    let cur = '';
    for (let hops = 0; todo.length; ) {
      const comp = todo.shift()!;
      const next = `${cur}/${comp}`;
      const f = await this.lstatExact(next);
      if (!f) return undefined;
      if (f.st.isSymbolicLink() && (todo.length || followLast)) {
        if (++hops > 40) throw invalid(`too many levels of symbolic links: ${p}`);
        const target = await readlink(f.abs);
        const base = target.startsWith('/') ? '' : cur;
        todo = [...cleanPath(`${base}/${target}`).split('/').filter(Boolean), ...todo];
        cur = '';
        continue;
      }
      if (!todo.length) return { path: next, ...f };
      if (!f.st.isDirectory()) return undefined;
      cur = next;
    }
    const root = await lstat(this.layers[this.layers.length - 1] ?? '/nonexistent').catch(() => undefined);
    return root ? { path: '/', abs: this.layers[this.layers.length - 1]!, st: root } : undefined;
  }

  /** The names in a directory of the view (union of the layers, minus whiteouts). */
  async readdir(p: string): Promise<string[]> {
    const f = await this.resolve(p);
    if (!f || !f.st.isDirectory()) return [];
    const rel = f.path.slice(1);
    const seen = new Map<string, boolean>();
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const layer = this.layers[i]!;
      const dir = rel ? join(layer, rel) : layer;
      const st = await lstat(dir).catch(() => undefined);
      if (st && !st.isDirectory()) break;
      if (st) {
        for (const name of await readdir(dir)) {
          if (seen.has(name)) continue;
          const s = await lstat(join(dir, name));
          seen.set(name, !isWhiteout(s));
        }
        if (this.checkOpaque && (await opaqueDirs(layer)).has(rel)) break;
      } else if (await this.hiddenBelow(layer, rel + '/x')) break;
    }
    return [...seen].filter(([, v]) => v).map(([k]) => k).sort();
  }

  async readFile(p: string): Promise<Buffer | undefined> {
    const f = await this.resolve(p);
    if (!f || !f.st.isFile()) return undefined;
    return readFile(f.abs);
  }
}
