import type { Readable } from 'node:stream';
import { shortId } from '../core/ids.js';
import { invalid } from '../core/errors.js';
import type { Digest } from '../core/digest.js';
import type { ContentStore } from './content.js';
import type { ImageStore, LayerRecord } from './metadata.js';
import type { OverlaySnapshotter } from './snapshots.js';
import { layerDiffId, unpackLayer } from './unpack.js';

export interface ImageStores {
  content: ContentStore;
  snapshots: OverlaySnapshotter;
  store: ImageStore;
}

/**
 * One write operation (load, import, pull): remembers the blobs and snapshots it
 * brought in, pins them until the images are registered, and on close() removes
 * whatever no registered image uses, so a failed operation leaves nothing behind.
 */
export class WriteSession {
  private readonly blobs: Digest[] = [];
  private readonly layers: Digest[] = [];
  constructor(readonly s: ImageStores) {}

  track(d: Digest): void {
    this.s.content.pin(d);
    this.blobs.push(d);
  }

  async close(): Promise<void> {
    for (const d of this.blobs) this.s.content.unpin(d);
    await this.s.content.gc(this.blobs, (d) => this.s.store.blobUsed(d));
    for (const c of this.layers) {
      if (!this.s.store.layerExists(c)) await this.s.snapshots.remove(c);
    }
  }

  /**
   * Makes sure the snapshot of `chainId` exists, unpacking the layer blob when
   * needed, and that the layer's uncompressed tar is kept as blob <diffId>.
   * InvalidArgument when the layer's diff id is not `diffId`.
   */
  async ensureLayer(chainId: Digest, parent: Digest | null, diffId: Digest, blob: Digest,
    onBytes?: (n: number) => void): Promise<LayerRecord> {
    const { content, snapshots, store } = this.s;
    const mismatch = (got: Digest) => invalid(`invalid layer ${blob}: its diff id ${got} does not match ${diffId} in the image config`);
    const known = store.getLayer(chainId);
    if (known && await snapshots.exists(chainId) && await content.has(diffId)) {
      if (blob !== diffId) {
        const r = await layerDiffId(await content.open(blob));
        if (r.diffId !== diffId) throw mismatch(r.diffId);
      }
      onBytes?.(await content.size(blob));
      return known;
    }
    const keepTar = blob !== diffId && !(await content.has(diffId));
    const tee = keepTar ? content.writer() : undefined;
    this.layers.push(chainId);
    try {
      const r = await snapshots.create(chainId, async (dir) => {
        const res = await unpackLayer(await content.open(blob), dir, { tee, onBytes });
        if (res.diffId !== diffId) throw mismatch(res.diffId);
        return res;
      });
      if (tee) await tee.commit(diffId);
      this.track(diffId);
      return { chainId, parent, diffId, size: r.size, tarSize: r.tarSize };
    } catch (e) {
      await tee?.abort();
      throw e;
    }
  }

  /** Unpacks a layer straight from a stream (import); its chain id is its diff id. */
  async layerFromStream(input: Readable): Promise<LayerRecord> {
    const { content, snapshots } = this.s;
    const tee = content.writer();
    try {
      const r = await snapshots.create((x: { diffId: Digest }) => x.diffId, (dir) => unpackLayer(input, dir, { tee, keepInput: true }));
      this.layers.push(r.diffId);
      await tee.commit(r.diffId);
      this.track(r.diffId);
      return { chainId: r.diffId, parent: null, diffId: r.diffId, size: r.size, tarSize: r.tarSize };
    } catch (e) {
      await tee.abort();
      throw e;
    }
  }
}

export const layerProgressId = (chainId: Digest) => shortId(chainId);
