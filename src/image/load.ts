import type { Readable } from 'node:stream';
import { posix } from 'node:path';
import * as tar from 'tar-stream';
import { chainIds, isDigest, sha256, type Digest } from '../core/digest.js';
import { invalid, isEngineError } from '../core/errors.js';
import { MT, type ImageConfig, type Index, type Manifest } from '../core/oci.js';
import { parseNormalizedNamed, parseReference, type Reference } from '../core/reference.js';
import { decompress } from './compress.js';
import type { BlobInfo } from './content.js';
import { byteReporter } from './progress.js';
import { layerProgressId, type LayerSink, type WriteSession } from './session.js';
import type { LayerRecord } from './metadata.js';
import type { ProgressFn } from './types.js';
import { cleanEntryName } from './unpack.js';

export interface LoadedImage {
  id: Digest;
  refs: Reference[];
}

interface Plan {
  config: Digest;
  layers: Digest[];
  /** The layers' paths in the archive, for error messages. */
  layerNames: string[];
  refs: Reference[];
  manifest?: Digest;
}

/**
 * Stores one archive entry as a blob. An entry that starts like a layer (tar, gzip,
 * zstd) is also unpacked as it streams by (WriteSession.speculate), so a layer is
 * received, hashed, kept and unpacked in one pass instead of stored and read again.
 */
async function ingestEntry(session: WriteSession, entry: AsyncIterable<Buffer>, maybeLayer: boolean): Promise<BlobInfo> {
  const w = session.s.content.writer();
  let sink: LayerSink | undefined;
  let head: Buffer[] | undefined = maybeLayer ? [] : undefined;
  let headLen = 0;
  try {
    for await (const chunk of entry) {
      await w.write(chunk);
      if (sink) {
        await sink.write(chunk);
      } else if (head) {
        head.push(chunk);
        headLen += chunk.length;
        if (headLen < 512) continue;
        const first = head;
        head = undefined;
        sink = await session.speculate(Buffer.concat(first));
        if (sink) for (const c of first) await sink.write(c);
      }
    }
    const info = await w.commit();
    const s = sink;
    sink = undefined;
    await s?.finish(info.digest);
    return info;
  } catch (e) {
    await w.abort();
    await sink?.abort();
    throw e;
  }
}

/** Streams every file of the archive into the content store; returns name -> blob. */
async function ingestArchive(input: Readable, session: WriteSession): Promise<Map<string, BlobInfo>> {
  const files = new Map<string, BlobInfo>();
  const links = new Map<string, string>();
  const { stream } = await decompress(input);
  const ex = tar.extract();
  stream.on('error', (e) => ex.destroy(e));
  stream.pipe(ex as unknown as NodeJS.WritableStream);
  try {
    for await (const entry of ex) {
      const h = entry.header;
      const name = cleanEntryName(h.name);
      if (h.type === 'file' || h.type === 'contiguous-file') {
        const info = await ingestEntry(session, entry as AsyncIterable<Buffer>, true);
        session.track(info.digest);
        files.set(name, info);
      } else {
        for await (const _ of entry as AsyncIterable<Buffer>) { /* skip */ }
        if (h.type === 'symlink' || h.type === 'link') {
          const target = h.type === 'symlink' ? posix.join(posix.dirname(name), h.linkname) : h.linkname;
          links.set(name, cleanEntryName(target));
        }
      }
    }
  } catch (e) {
    // Stop reading, but leave the input itself to its owner (an HTTP request body is
    // drained by the route, so the refusal can still be answered on its connection).
    stream.unpipe();
    if (stream !== input) {
      input.unpipe();
      stream.destroy();
    }
    if (e instanceof Error && !(e as NodeJS.ErrnoException).syscall && e.name !== 'EngineError') {
      throw invalid(`invalid archive: ${e.message}`, e);
    }
    throw e;
  }
  for (const [name, target] of links) {
    const info = files.get(target);
    if (info) files.set(name, info);
  }
  return files;
}

async function readJson<T>(session: WriteSession, files: Map<string, BlobInfo>, name: string): Promise<T> {
  const info = files.get(name);
  if (!info) throw invalid(`invalid archive: ${name} not found`);
  try {
    return JSON.parse((await session.s.content.read(info.digest)).toString()) as T;
  } catch (e) {
    throw invalid(`invalid archive: ${name}: ${(e as Error).message}`);
  }
}

async function dockerArchivePlans(session: WriteSession, files: Map<string, BlobInfo>): Promise<Plan[]> {
  const m = await readJson<{ Config: string; RepoTags?: string[] | null; Layers: string[] }[]>(session, files, 'manifest.json');
  if (!Array.isArray(m)) throw invalid('invalid archive: manifest.json is not a list');
  const blob = (field: string, p: unknown) => {
    if (typeof p !== 'string' || p === '') throw invalid(`invalid archive: manifest.json: ${field} ${JSON.stringify(p)} is not a path`);
    let name: string;
    try {
      name = cleanEntryName(p);
    } catch {
      throw invalid(`invalid archive: manifest.json: ${field} "${p}" points outside the archive`);
    }
    const info = files.get(name);
    if (!info) throw invalid(`invalid archive: manifest.json: ${field} "${p}" not found in the archive`);
    return info.digest;
  };
  return m.map((e) => ({
    config: blob('Config', e.Config),
    layers: (e.Layers ?? []).map((l) => blob('Layers', l)),
    layerNames: (e.Layers ?? []).map(String),
    refs: (e.RepoTags ?? []).map((t) => parseNormalizedNamed(t)),
  }));
}

function ociRef(ann: Record<string, string> | undefined): Reference[] {
  const name = ann?.['io.containerd.image.name'] ?? ann?.['org.opencontainers.image.ref.name'];
  if (!name || !/[:/]/.test(name)) return [];
  try {
    const r = parseReference(name);
    return r.tag ? [r] : [];
  } catch {
    return [];
  }
}

async function ociPlans(session: WriteSession, files: Map<string, BlobInfo>): Promise<Plan[]> {
  const byDigest = (d: string) => {
    if (!isDigest(d)) throw invalid(`invalid archive: bad digest "${d}"`);
    const info = files.get(`blobs/sha256/${d.slice(7)}`);
    if (!info) throw invalid(`invalid archive: blob ${d} not found`);
    if (info.digest !== d) throw invalid(`invalid archive: blob ${d} has digest ${info.digest}`);
    return d;
  };
  const readBlob = async <T>(d: string) => JSON.parse((await session.s.content.read(byDigest(d))).toString()) as T;
  const plans: Plan[] = [];
  const walk = async (idx: Index, refs: Reference[], depth: number): Promise<void> => {
    if (depth > 4) throw invalid('invalid archive: index nesting too deep');
    for (const desc of idx.manifests ?? []) {
      const r = ociRef(desc.annotations).concat(refs);
      if (desc.mediaType === MT.ociIndex || desc.mediaType === MT.dockerManifestList) {
        const child = await readBlob<Index>(desc.digest);
        const amd = child.manifests.filter((x) => !x.platform || (x.platform.os === 'linux' && x.platform.architecture === 'amd64'));
        await walk({ ...child, manifests: amd.length ? amd.slice(0, 1) : child.manifests.slice(0, 1) }, r, depth + 1);
        continue;
      }
      const man = await readBlob<Manifest>(desc.digest);
      const layers = man.layers.map((l) => byDigest(l.digest));
      plans.push({ config: byDigest(man.config.digest), layers, layerNames: layers.map((l) => `blobs/sha256/${l.slice(7)}`), refs: r, manifest: desc.digest });
    }
  };
  await walk(await readJson<Index>(session, files, 'index.json'), [], 0);
  return plans;
}

/** A docker schema2 manifest for an image loaded without one, over its uncompressed layer tars. */
function makeManifest(configDigest: Digest, configSize: number, layers: { diffId: Digest; tarSize: number }[]): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: MT.dockerManifest,
    config: { mediaType: MT.dockerConfig, size: configSize, digest: configDigest },
    layers: layers.map((l) => ({ mediaType: MT.dockerLayer, size: l.tarSize, digest: l.diffId })),
  });
}

async function preparePlan(session: WriteSession, p: Plan, progress: ProgressFn, quiet: boolean): Promise<() => LoadedImage> {
  const { content, store } = session.s;
  const raw = await content.read(p.config);
  let cfg: ImageConfig;
  try {
    cfg = JSON.parse(raw.toString()) as ImageConfig;
  } catch (e) {
    throw invalid(`invalid image config ${p.config}: ${(e as Error).message}`);
  }
  const diffIds = cfg.rootfs?.diff_ids ?? [];
  if (diffIds.length !== p.layers.length || !diffIds.every(isDigest)) {
    throw invalid(`invalid image ${p.config}: ${p.layers.length} layers but ${diffIds.length} diff ids in its config`);
  }
  const chains = chainIds(diffIds);
  const layers: LayerRecord[] = [];
  for (let i = 0; i < diffIds.length; i++) {
    const total = await content.size(p.layers[i]!);
    const report = quiet ? undefined : byteReporter(progress, 'Loading layer', layerProgressId(chains[i]!), total);
    try {
      layers.push(await session.ensureLayer(chains[i]!, i ? chains[i - 1]! : null, diffIds[i]!, p.layers[i]!, report));
    } catch (e) {
      if (!isEngineError(e, 'InvalidArgument')) throw e;
      throw invalid(`invalid layer "${p.layerNames[i] ?? p.layers[i]}": ${e.message}`, e);
    }
  }
  let manifest = p.manifest;
  if (!manifest) {
    const m = await content.put(makeManifest(p.config, raw.length, layers));
    session.track(m.digest);
    manifest = m.digest;
  }
  return () => {
    store.putImage({
      id: p.config, config: raw, created: cfg.created ?? new Date(0).toISOString(),
      size: layers.reduce((a, l) => a + l.size, 0), manifestDigest: manifest, loadedAt: Date.now(),
    }, layers, [p.config, manifest, ...p.layers]);
    return { id: p.config, refs: p.refs };
  };
}

/**
 * Loads a docker-archive (manifest.json) or OCI image layout (index.json) tarball,
 * plain or compressed. Every entry is stored as a blob while the stream flows;
 * then the images are interpreted, their layers unpacked and verified against the
 * config's diff ids, and the images registered (untagged: the caller tags them).
 * The caller closes the session, which removes whatever was not registered.
 */
export async function loadArchive(session: WriteSession, input: Readable, progress: ProgressFn, quiet = false): Promise<LoadedImage[]> {
  const files = await ingestArchive(input, session);
  let plans: Plan[];
  if (files.has('manifest.json')) plans = await dockerArchivePlans(session, files);
  else if (files.has('index.json')) plans = await ociPlans(session, files);
  else throw invalid('invalid archive: neither manifest.json nor index.json found (not a docker-archive or OCI layout)');
  if (plans.length === 0) throw invalid('invalid archive: no images found');
  const commits: (() => LoadedImage)[] = [];
  for (const p of plans) {
    if (sha256(await session.s.content.read(p.config)) !== p.config) throw invalid(`invalid archive: config ${p.config} corrupt`);
    commits.push(await preparePlan(session, p, progress, quiet));
  }
  return commits.map((c) => c());
}
