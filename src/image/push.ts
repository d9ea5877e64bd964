/**
 * Push: sends an image's layers as gzip blobs, its config exactly as stored (so its
 * ID is the same when pulled back) and a docker schema2 manifest. Each layer's gzip
 * blob is made once and remembered (LayerBlobStore), so pushing again sends the same
 * digests; blobs the repository has are skipped (HEAD), blobs known in another
 * repository of the same registry are mounted, the rest uploaded.
 */
import { Readable, Transform } from 'node:stream';
import { createGzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import type { Digest } from '../core/digest.js';
import { precondition } from '../core/errors.js';
import { shortId } from '../core/ids.js';
import { MT } from '../core/oci.js';
import { fullName, type Reference } from '../core/reference.js';
import type { ImageStores } from './session.js';
import { progressBar } from './progress.js';
import type { RegistryClient } from './registry-client.js';
import type { LayerBlobStore } from './registry-store.js';
import type { ProgressFn } from './types.js';

const GZIP_TYPES = new Set<string>([MT.dockerLayerGzip, MT.ociLayerGzip]);

export interface PushLayer {
  diffId: Digest;
  /** The gzip blob to send. */
  digest: Digest;
  size: number;
  /** Repositories (full names) the blob is known to exist in. */
  sources: string[];
}

export interface PushPlan {
  id: Digest;
  config: Buffer;
  layers: PushLayer[];
}

export interface PushResult {
  tag: string;
  digest: Digest;
  size: number;
}

/**
 * Finds or makes the gzip blob of every layer of image `id` and attaches new ones to
 * the image (so they are deleted with it). Run under the image service's write lock.
 */
export async function preparePush(s: ImageStores, blobs: LayerBlobStore, id: Digest): Promise<PushPlan> {
  const img = s.store.get(id);
  if (!img) throw precondition(`image ${id} disappeared`);
  const layers: PushLayer[] = [];
  const made: Digest[] = [];
  for (const l of s.store.layersOf(id)) {
    let found: PushLayer | undefined;
    for (const b of blobs.forDiffId(l.diffId)) {
      if (GZIP_TYPES.has(b.mediaType) && (await s.content.has(b.digest))) {
        found = { diffId: l.diffId, digest: b.digest, size: b.size, sources: blobs.sources(b.digest) };
        break;
      }
    }
    if (!found) {
      const w = s.content.writer();
      try {
        await pipeline(await s.content.open(l.diffId), createGzip({ level: 6 }), async (src: AsyncIterable<Buffer>) => {
          for await (const c of src) await w.write(c);
        });
        const info = await w.commit();
        blobs.record({ diffId: l.diffId, digest: info.digest, mediaType: MT.dockerLayerGzip, size: info.size });
        found = { diffId: l.diffId, digest: info.digest, size: info.size, sources: [] };
        made.push(info.digest);
      } catch (e) {
        await w.abort();
        throw e;
      }
    }
    layers.push(found);
  }
  if (made.length) s.store.putImage(img, [], made);
  return { id, config: img.config, layers };
}

/** docker's schema2 manifest, indented as docker's MarshalIndent("", "   ") writes it. */
export function schema2Manifest(plan: PushPlan): Buffer {
  return Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: MT.dockerManifest,
    config: { mediaType: MT.dockerConfig, size: plan.config.length, digest: plan.id },
    layers: plan.layers.map((l) => ({ mediaType: MT.dockerLayerGzip, size: l.size, digest: l.digest })),
  }, null, 3));
}

async function pushLayer(c: RegistryClient, s: ImageStores, blobs: LayerBlobStore, ref: Reference, l: PushLayer,
  progress: ProgressFn): Promise<void> {
  const id = shortId(l.diffId);
  const repo = fullName(ref);
  if ((await c.hasBlob(l.digest)) !== undefined) {
    progress({ status: 'Layer already exists', id });
    blobs.record({ diffId: l.diffId, digest: l.digest, mediaType: MT.dockerLayerGzip, size: l.size }, repo);
    return;
  }
  const from = l.sources.find((r) => r !== repo && r.startsWith(`${ref.domain}/`));
  if (from && (await c.mountBlob(l.digest, from.slice(ref.domain.length + 1)))) {
    progress({ status: `Mounted from ${from.slice(ref.domain.length + 1)}`, id });
    blobs.record({ diffId: l.diffId, digest: l.digest, mediaType: MT.dockerLayerGzip, size: l.size }, repo);
    return;
  }
  let sent = 0;
  let last = 0;
  const count = new Transform({
    transform(chunk: Buffer, _e, cb) {
      sent += chunk.length;
      const now = Date.now();
      if (now - last > 100 || sent === l.size) {
        last = now;
        progress({ status: 'Pushing', progressDetail: { current: sent, total: l.size }, progress: progressBar(sent, l.size), id });
      }
      cb(null, chunk);
    },
  });
  const src = await s.content.open(l.digest);
  src.on('error', (e) => count.destroy(e));
  await c.uploadBlob(l.digest, l.size, src.pipe(count));
  progress({ status: 'Pushed', id });
  blobs.record({ diffId: l.diffId, digest: l.digest, mediaType: MT.dockerLayerGzip, size: l.size }, repo);
}

/** Pushes a prepared image under `ref` (with a tag). The caller pins the plan's blobs. */
export async function pushImage(c: RegistryClient, s: ImageStores, blobs: LayerBlobStore, ref: Reference, plan: PushPlan,
  progress: ProgressFn, concurrency = 3): Promise<PushResult> {
  const ids = plan.layers.map((l) => shortId(l.diffId));
  for (const id of ids) progress({ status: 'Preparing', id });
  let next = 0;
  let failed: { e: unknown } | undefined;
  plan.layers.forEach((_l, i) => { if (i >= concurrency) progress({ status: 'Waiting', id: ids[i] }); });
  const worker = async () => {
    while (next < plan.layers.length && !failed) {
      const l = plan.layers[next++]!;
      try {
        await pushLayer(c, s, blobs, ref, l, progress);
      } catch (e) {
        failed ??= { e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, plan.layers.length) }, worker));
  if (failed) throw failed.e;
  if ((await c.hasBlob(plan.id)) === undefined) {
    await c.uploadBlob(plan.id, plan.config.length, Readable.from([plan.config]));
  }
  const manifest = schema2Manifest(plan);
  const tag = ref.tag ?? 'latest';
  const digest = await c.putManifest(tag, manifest, MT.dockerManifest);
  progress({ status: `${tag}: digest: ${digest} size: ${manifest.length}` });
  const aux = { progressDetail: {}, aux: { Tag: tag, Digest: digest, Size: manifest.length } };
  progress(aux);
  return { tag, digest, size: manifest.length };
}
