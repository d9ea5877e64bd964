/**
 * Pull: resolves a reference to a manifest on the registry (choosing the platform's
 * entry of a manifest list / OCI index), fetches and verifies the config, then
 * fetches the layers a few at a time. Each layer streams at once into the content
 * store (the compressed blob, verified against the descriptor's digest) and into
 * the overlay snapshotter (unpacked while it flows, its diff id checked against the
 * config's diff_ids). A committed blob is kept when the pull fails later, so a
 * retried pull unpacks it from disk instead of downloading it again.
 */
import { PassThrough } from 'node:stream';
import { chainIds, isDigest, sha256, type Digest } from '../core/digest.js';
import { invalid, notFound } from '../core/errors.js';
import { shortId } from '../core/ids.js';
import { MT, type Descriptor, type ImageConfig, type Index, type Manifest, type Platform } from '../core/oci.js';
import { familiarName, familiarString, fullName, type Reference } from '../core/reference.js';
import type { LayerRecord } from './metadata.js';
import { byteReporter } from './progress.js';
import type { RegistryClient } from './registry-client.js';
import { RegistryError } from './registry-http.js';
import type { LayerBlobStore } from './registry-store.js';
import type { WriteSession } from './session.js';
import type { ProgressFn } from './types.js';
import { unpackLayer } from './unpack.js';

export interface PullOptions {
  /** With a tag or a digest. */
  ref: Reference;
  /** "os/arch[/variant]"; default: this host's (linux/amd64 on x86-64). */
  platform?: string;
  progress: ProgressFn;
  blobs: LayerBlobStore;
  /** Layers fetched at the same time (default 3). */
  concurrency?: number;
}

export interface PulledImage {
  id: Digest;
  config: Buffer;
  cfg: ImageConfig;
  /** The digest the reference resolved to (the index's when there was one): the RepoDigest. */
  digest: Digest;
  layers: LayerRecord[];
  /** Blobs the image owns: config, manifests, compressed layers present in the store. */
  blobs: Digest[];
  /** True when some layer was fetched or unpacked (docker's "Downloaded newer image"). */
  downloaded: boolean;
}

const LAYER_TYPES = new Set<string>([MT.dockerLayerGzip, MT.dockerLayer, MT.ociLayer, MT.ociLayerGzip, MT.ociLayerZstd,
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip']);

const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

/** Parses "linux/arm64/v8"; empty means this host. */
export function parsePlatform(s: string | undefined): Platform {
  if (!s) return { os: 'linux', architecture: ARCH[process.arch] ?? process.arch, ...(process.arch === 'arm64' ? { variant: 'v8' } : {}) };
  const [os, architecture, variant] = s.toLowerCase().split('/');
  if (!os || !architecture) throw invalid(`invalid platform "${s}": expected os/arch[/variant]`);
  return { os, architecture: architecture === 'x86_64' ? 'amd64' : architecture === 'aarch64' ? 'arm64' : architecture, ...(variant ? { variant } : {}) };
}

export const platformString = (p: Platform) => [p.os, p.architecture, p.variant].filter(Boolean).join('/');

/** The index entry for `want` (an unspecified variant matches any; arm64 "v8" matches none given). */
export function selectPlatform(idx: Index, want: Platform): Descriptor {
  const variantOk = (v?: string) => !want.variant || v === want.variant || (!v && want.architecture === 'arm64' && want.variant === 'v8');
  const found = idx.manifests.find((d) => d.platform && d.platform.os === want.os && d.platform.architecture === want.architecture
    && variantOk(d.platform.variant));
  if (!found) throw notFound(`no matching manifest for ${platformString(want)} in the manifest list entries`);
  return found;
}

function parseJson<T>(b: Buffer, what: string): T {
  try {
    return JSON.parse(b.toString()) as T;
  } catch (e) {
    throw invalid(`invalid ${what}: ${(e as Error).message}`);
  }
}

/** docker's wording for a reference the registry does not know. */
function notFoundError(e: unknown, ref: Reference): unknown {
  if (!(e instanceof RegistryError)) return e;
  if (e.has('MANIFEST_UNKNOWN') || (e.status === 404 && !e.has('NAME_UNKNOWN') && !e.errors.length)) {
    return notFound(`manifest for ${familiarString(ref)} not found: ${e.message}`, e);
  }
  if (e.has('NAME_UNKNOWN') || e.status === 401 || e.status === 403 || e.has('DENIED') || e.has('UNAUTHORIZED')) {
    return notFound(`pull access denied for ${familiarName(ref)}, repository does not exist or may require 'docker login': ${e.message}`, e);
  }
  return e;
}

/** Resolves the reference to one image manifest; the first digest is the RepoDigest. */
export async function resolveManifest(c: RegistryClient, ref: Reference, want: Platform, session: WriteSession): Promise<{ digest: Digest; manifest: Manifest; owned: Digest[] }> {
  let m;
  try {
    m = await c.manifest(ref.digest ?? ref.tag ?? 'latest');
  } catch (e) {
    throw notFoundError(e, ref);
  }
  const owned: Digest[] = [];
  const keep = async (body: Buffer, digest: Digest) => {
    await session.s.content.put(body, digest);
    session.track(digest);
    owned.push(digest);
  };
  await keep(m.body, m.digest);
  const top = m.digest;
  if (m.mediaType === MT.dockerManifestList || m.mediaType === MT.ociIndex) {
    const d = selectPlatform(parseJson<Index>(m.body, 'manifest list'), want);
    m = await c.manifest(d.digest);
    await keep(m.body, m.digest);
  }
  if (m.mediaType !== MT.dockerManifest && m.mediaType !== MT.ociManifest) {
    throw invalid(`unsupported manifest media type ${m.mediaType} for ${familiarString(ref)}`);
  }
  const manifest = parseJson<Manifest>(m.body, 'manifest');
  if (!manifest.config?.digest || !Array.isArray(manifest.layers)) throw invalid(`invalid manifest ${m.digest}: no config or layers`);
  return { digest: top, manifest, owned };
}

/** Runs tasks with at most `n` at a time; rejects with the first failure after all settled. */
async function limited<T>(n: number, tasks: (() => Promise<T>)[], onQueued: (i: number) => void): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  let first: { e: unknown } | undefined;
  tasks.forEach((_t, i) => { if (i >= n) onQueued(i); });
  const worker = async () => {
    while (next < tasks.length && !first) {
      const i = next++;
      try {
        out[i] = await tasks[i]!();
      } catch (e) {
        first ??= { e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, tasks.length) }, worker));
  if (first) throw first.e;
  return out;
}

interface LayerJob {
  desc: Descriptor;
  chainId: Digest;
  parent: Digest | null;
  diffId: Digest;
  id: string;
}

/** Streams one layer from the registry into the content store and the snapshotter at once. */
async function fetchLayer(c: RegistryClient, session: WriteSession, j: LayerJob, progress: ProgressFn): Promise<LayerRecord> {
  const { content, snapshots } = session.s;
  const res = await c.blob(j.desc.digest);
  const blobW = content.writer();
  const tarW = (await content.has(j.diffId)) ? undefined : content.writer();
  const report = byteReporter(progress, 'Downloading', j.id, j.desc.size);
  try {
    const r = await snapshots.create(j.chainId, async (dir) => {
      const pass = new PassThrough({ highWaterMark: 1 << 20 });
      let got = 0;
      const feed = (async () => {
        try {
          for await (const chunk of res as AsyncIterable<Buffer>) {
            got += chunk.length;
            if (got > j.desc.size) throw invalid(`blob ${j.desc.digest} is larger than the ${j.desc.size} bytes its descriptor says`);
            await blobW.write(chunk);
            report(got);
            if (!pass.write(chunk)) await new Promise((r) => { pass.once('drain', r); pass.once('close', r); });
            if (pass.destroyed) throw invalid(`layer ${j.desc.digest}: unpacking stopped`);
          }
          pass.end();
        } catch (e) {
          pass.destroy();
          throw e;
        }
      })();
      const unpack = unpackLayer(pass, dir, { tee: tarW });
      unpack.catch(() => res.destroy());
      const [f, u] = await Promise.allSettled([feed, unpack]);
      if (u.status === 'rejected') throw u.reason;
      if (f.status === 'rejected') throw f.reason;
      progress({ status: 'Verifying Checksum', id: j.id });
      if (got !== j.desc.size) throw invalid(`blob ${j.desc.digest}: got ${got} bytes, its descriptor says ${j.desc.size}`);
      await blobW.commit(j.desc.digest);
      if (u.value.diffId !== j.diffId) {
        throw invalid(`invalid layer ${j.desc.digest}: its diff id ${u.value.diffId} does not match ${j.diffId} in the image config`);
      }
      return u.value;
    });
    if (tarW) await tarW.commit(j.diffId);
    session.track(j.diffId);
    progress({ status: 'Download complete', id: j.id });
    progress({ status: 'Extracting', progressDetail: { current: j.desc.size, total: j.desc.size }, id: j.id });
    return { chainId: j.chainId, parent: j.parent, diffId: j.diffId, size: r.size, tarSize: r.tarSize };
  } catch (e) {
    res.destroy();
    await blobW.abort();
    await tarW?.abort();
    throw e;
  }
}

/** Makes sure one layer is present: known, from a blob already in the store, or fetched. */
async function ensureLayer(c: RegistryClient, session: WriteSession, j: LayerJob, progress: ProgressFn): Promise<{ rec: LayerRecord; fetched: boolean }> {
  const { content, snapshots, store } = session.s;
  const known = store.getLayer(j.chainId);
  if (known && known.diffId === j.diffId && (await snapshots.exists(j.chainId)) && (await content.has(j.diffId))) {
    progress({ status: 'Already exists', id: j.id });
    return { rec: known, fetched: false };
  }
  let rec: LayerRecord;
  if (await content.has(j.desc.digest)) {
    progress({ status: 'Download complete', id: j.id });
    const report = byteReporter(progress, 'Extracting', j.id, j.desc.size);
    rec = await session.ensureLayer(j.chainId, j.parent, j.diffId, j.desc.digest, report);
  } else {
    rec = await fetchLayer(c, session, j, progress);
  }
  progress({ status: 'Pull complete', id: j.id });
  return { rec, fetched: true };
}

/**
 * Pulls `o.ref` into the session's stores. Does not register the image: the
 * caller does (ImageStore.putImage with the returned layers and blobs), then tags.
 */
export async function pullImage(c: RegistryClient, session: WriteSession, o: PullOptions): Promise<PulledImage> {
  const want = parsePlatform(o.platform);
  const { digest, manifest, owned } = await resolveManifest(c, o.ref, want, session);
  o.progress({ status: `Pulling from ${o.ref.path}`, id: o.ref.digest ?? o.ref.tag ?? 'latest' });
  const { content } = session.s;
  const cfgDesc = manifest.config;
  if (!isDigest(cfgDesc.digest)) throw invalid(`invalid config digest ${cfgDesc.digest}`);
  let raw: Buffer;
  if (await content.has(cfgDesc.digest)) raw = await content.read(cfgDesc.digest);
  else {
    const res = await c.blob(cfgDesc.digest);
    const parts: Buffer[] = [];
    for await (const ch of res as AsyncIterable<Buffer>) parts.push(ch);
    raw = Buffer.concat(parts);
    if (sha256(raw) !== cfgDesc.digest) throw invalid(`config ${cfgDesc.digest} failed verification: its content has digest ${sha256(raw)}`);
  }
  await content.put(raw, cfgDesc.digest);
  session.track(cfgDesc.digest);
  const cfg = parseJson<ImageConfig>(raw, `image config ${cfgDesc.digest}`);
  const diffIds = cfg.rootfs?.diff_ids ?? [];
  if (diffIds.length !== manifest.layers.length || !diffIds.every(isDigest)) {
    throw invalid(`invalid image ${cfgDesc.digest}: ${manifest.layers.length} layers in the manifest but ${diffIds.length} diff ids in its config`);
  }
  for (const l of manifest.layers) {
    if (!LAYER_TYPES.has(l.mediaType)) throw invalid(`unsupported layer media type ${l.mediaType}`);
    if (!isDigest(l.digest)) throw invalid(`invalid layer digest ${l.digest}`);
  }
  const chains = chainIds(diffIds);
  const jobs: LayerJob[] = manifest.layers.map((desc, i) => ({
    desc, chainId: chains[i]!, parent: i ? chains[i - 1]! : null, diffId: diffIds[i]!, id: shortId(desc.digest),
  }));
  for (const j of jobs) o.progress({ status: 'Pulling fs layer', id: j.id });
  const done = await limited(o.concurrency ?? 3, jobs.map((j) => () => ensureLayer(c, session, j, o.progress)),
    (i) => o.progress({ status: 'Waiting', id: jobs[i]!.id }));
  const repo = fullName(o.ref);
  const blobs = [...owned, cfgDesc.digest];
  for (const j of jobs) {
    o.blobs.record({ diffId: j.diffId, digest: j.desc.digest, mediaType: j.desc.mediaType, size: j.desc.size }, repo);
    if (await content.has(j.desc.digest)) blobs.push(j.desc.digest);
  }
  return { id: cfgDesc.digest, config: raw, cfg, digest, layers: done.map((d) => d.rec), blobs, downloaded: done.some((d) => d.fetched) };
}
