import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { digestHex, type Digest } from '../core/digest.js';

const TMP = 'tmp-';

/**
 * Read-only layer snapshots for overlayfs: one directory per layer chain id,
 * <root>/<chainid-hex>/diff, unpacked once and shared by every image holding that
 * chain. A snapshot appears atomically (unpacked under tmp-*, then renamed) and
 * disappears atomically (renamed to tmp-*, then removed); init() clears tmp-* left
 * by a crash. Reference counting is the caller's (the image metadata) business.
 */
export class OverlaySnapshotter {
  constructor(readonly root: string) {}

  async init(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    for (const name of await readdir(this.root)) {
      if (name.startsWith(TMP)) await rm(join(this.root, name), { recursive: true, force: true });
    }
  }

  /** The directory to use as an overlay lowerdir. */
  diffDir(chainId: Digest): string {
    return join(this.root, digestHex(chainId), 'diff');
  }

  async exists(chainId: Digest): Promise<boolean> {
    return stat(this.diffDir(chainId)).then(() => true, () => false);
  }

  /**
   * Creates the snapshot of `chainId` by letting `fill` populate a temp diff dir.
   * When `fill` throws, nothing remains. Returns fill's result. `chainId` may be computed from that result (import).
   */
  async create<T>(chainId: Digest | ((r: T) => Digest), fill: (diffDir: string) => Promise<T>): Promise<T> {
    const tmp = join(this.root, `${TMP}${randomBytes(8).toString('hex')}`);
    try {
      await mkdir(tmp, { recursive: true });
      const result = await fill(join(tmp, 'diff'));
      const final = join(this.root, digestHex(typeof chainId === 'function' ? chainId(result) : chainId));
      if (await stat(final).then(() => true, () => false)) await rm(tmp, { recursive: true, force: true });
      else await rename(tmp, final);
      return result;
    } catch (e) {
      await rm(tmp, { recursive: true, force: true });
      throw e;
    }
  }

  async remove(chainId: Digest): Promise<void> {
    const dir = join(this.root, digestHex(chainId));
    const tmp = join(this.root, `${TMP}rm-${randomBytes(8).toString('hex')}`);
    try {
      await rename(dir, tmp);
    } catch {
      return;
    }
    await rm(tmp, { recursive: true, force: true });
  }

  async list(): Promise<Digest[]> {
    const names = await readdir(this.root).catch(() => [] as string[]);
    return names.filter((n) => /^[0-9a-f]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }
}
