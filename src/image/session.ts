import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { shortId } from '../core/ids.js';
import { EngineError, invalid, isEngineError } from '../core/errors.js';
import type { Digest } from '../core/digest.js';
import { detect } from './compress.js';
import type { BlobWriter, ContentStore } from './content.js';
import type { ImageStore, LayerRecord } from './metadata.js';
import type { OverlaySnapshotter } from './snapshots.js';
import { layerDiffId, unpackLayer, type UnpackResult } from './unpack.js';

/** A blob unpacked while it streamed in (load), waiting to be claimed as a layer. */
interface Unpacked {
  /** The reserved snapshot dir (its diff dir is <tmp>/diff); '' after a refusal. */
  tmp: string;
  result?: UnpackResult;
  /** Why the blob cannot be a layer: the same refusal unpacking it later would give. */
  error?: EngineError;
  /** The uncompressed tar of a compressed blob, not yet committed. */
  tee?: BlobWriter;
}

/** Receives the bytes of one archive entry that may be a layer (see WriteSession.speculate). */
export interface LayerSink {
  write(chunk: Buffer): Promise<void>;
  /** The entry is complete and stored as `blob`: waits for the unpack to end. */
  finish(blob: Digest): Promise<void>;
  /** The entry was not completed: drops what was unpacked. */
  abort(): Promise<void>;
}

/** Whether `head` (at least 512 bytes when the entry is that long) starts a tar, gzip or zstd stream. */
export function looksLikeLayer(head: Buffer): boolean {
  if (detect(head) !== 'none') return true;
  return head.length >= 263 && head.toString('latin1', 257, 262) === 'ustar';
}

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
  private readonly unpacked = new Map<Digest, Unpacked>();
  constructor(readonly s: ImageStores) {}

  /**
   * Starts unpacking an archive entry that looks like a layer while it is being
   * stored (load): the archive is read once, and its layers are usually unpacked by
   * the time the manifest (often the last entry) says which blobs are layers.
   * ensureLayer() then claims the result instead of reading the blob again; what no
   * image claims is removed by close(). The unpack runs with every check of
   * unpackLayer; a refusal is kept and reported only if the blob is used as a layer.
   */
  async speculate(head: Buffer): Promise<LayerSink | undefined> {
    if (!looksLikeLayer(head)) return undefined;
    const { content, snapshots } = this.s;
    const tmp = await snapshots.reserve();
    const tee = detect(head) === 'none' ? undefined : content.writer();
    const pass = new PassThrough({ highWaterMark: 1 << 20 });
    const unpack = unpackLayer(pass, join(tmp, 'diff'), { tee, keepInput: true });
    let settled = false;
    const done = unpack.then(() => { settled = true; }, () => { settled = true; });
    const drop = async () => {
      await tee?.abort();
      await snapshots.discard(tmp);
    };
    return {
      write: async (chunk) => {
        if (settled) return;
        if (!pass.write(chunk)) await Promise.race([new Promise((r) => pass.once('drain', r)), done]);
      },
      finish: async (blob) => {
        pass.end();
        try {
          const result = await unpack;
          if (this.unpacked.has(blob)) await drop();
          else this.unpacked.set(blob, { tmp, result, tee });
        } catch (e) {
          await drop();
          if (isEngineError(e, 'InvalidArgument') && !this.unpacked.has(blob)) this.unpacked.set(blob, { tmp: '', error: e as EngineError });
        }
      },
      abort: async () => {
        pass.destroy(new Error('archive entry incomplete'));
        await done;
        await drop();
      },
    };
  }

  track(d: Digest): void {
    this.s.content.pin(d);
    this.blobs.push(d);
  }

  async close(): Promise<void> {
    for (const u of this.unpacked.values()) {
      await u.tee?.abort();
      if (u.tmp) await this.s.snapshots.discard(u.tmp);
    }
    this.unpacked.clear();
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
    const pre = this.unpacked.get(blob);
    if (pre) {
      this.unpacked.delete(blob);
      if (pre.error) {
        throw pre.error;
      }
      const r = pre.result!;
      try {
        if (r.diffId !== diffId) throw mismatch(r.diffId);
        this.layers.push(chainId);
        await snapshots.adopt(chainId, pre.tmp);
      } catch (e) {
        await pre.tee?.abort();
        await snapshots.discard(pre.tmp);
        throw e;
      }
      if (pre.tee && blob !== diffId && !(await content.has(diffId))) await pre.tee.commit(diffId);
      else await pre.tee?.abort();
      this.track(diffId);
      onBytes?.(await content.size(blob));
      return { chainId, parent, diffId, size: r.size, tarSize: r.tarSize };
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
