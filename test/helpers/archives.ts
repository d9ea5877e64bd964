// Hand-made tarballs for image tests: layer tars with any entry (including the
// malicious ones a real tool never writes), docker-archives around them, and a
// listing of a daemon's image directories to prove a failed load left nothing.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import * as tar from 'tar-stream';

export interface Entry {
  name: string;
  type?: tar.Header['type'];
  data?: Buffer | string;
  linkname?: string;
  mode?: number;
  devmajor?: number;
  devminor?: number;
}

/** A tar of `entries`, in order, exactly as given (no name cleaning). */
export async function tarOf(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => { for await (const c of pack) chunks.push(c as Buffer); })();
  for (const e of entries) {
    const data = e.data === undefined ? undefined : Buffer.from(e.data);
    const type = e.type ?? 'file';
    const h: Partial<tar.Header> & { name: string } = {
      name: e.name, type, mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644), mtime: new Date(0),
      size: type === 'file' ? data?.length ?? 0 : 0,
    };
    if (e.linkname !== undefined) h.linkname = e.linkname;
    if (e.devmajor !== undefined) h.devmajor = e.devmajor;
    if (e.devminor !== undefined) h.devminor = e.devminor;
    await new Promise<void>((res, rej) => {
      if (type === 'file') pack.entry(h, data ?? Buffer.alloc(0), (err) => (err ? rej(err) : res()));
      else (pack.entry(h, (err) => (err ? rej(err) : res())) as unknown as { end(): void }).end();
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** Rewrites the size field of the tar header at `offset` and fixes its checksum (a header that lies). */
export function patchSize(buf: Buffer, offset: number, size: number): Buffer {
  const out = Buffer.from(buf);
  out.write(size.toString(8).padStart(11, '0') + '\0', offset + 124, 12, 'latin1');
  out.fill(0x20, offset + 148, offset + 156);
  let sum = 0;
  for (let i = offset; i < offset + 512; i++) sum += out[i]!;
  out.write(sum.toString(8).padStart(6, '0') + '\0 ', offset + 148, 8, 'latin1');
  return out;
}

export const sha256hex = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

export interface ArchiveImage {
  /** Layer tars (plain or compressed; the diff id is the sha256 of `diffTars[i]` or of the layer itself). */
  layers: Buffer[];
  /** The uncompressed tars, when `layers` are compressed. */
  diffTars?: Buffer[];
  tags?: string[];
  /** Merged into the image config. */
  config?: Record<string, unknown>;
}

/** The config blob docker would write for these layers. */
export function imageConfig(img: ArchiveImage): Buffer {
  const diffIds = (img.diffTars ?? img.layers).map((l) => `sha256:${sha256hex(l)}`);
  return Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', created: '2024-01-02T03:04:05Z',
    config: { Cmd: ['sh'], Env: ['PATH=/bin'] },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: diffIds.map(() => ({ created: '2024-01-02T03:04:05Z', created_by: 'test' })),
    ...img.config,
  }));
}

/**
 * A docker-archive (manifest.json + <config>.json + <n>/layer.tar). `manifest`
 * replaces the generated manifest.json (to point it elsewhere); `extra` adds entries.
 */
export async function dockerArchive(images: ArchiveImage[], opts: { manifest?: unknown; extra?: Entry[] } = {}): Promise<Buffer> {
  const entries: Entry[] = [];
  const manifest: { Config: string; RepoTags: string[] | null; Layers: string[] }[] = [];
  const seen = new Set<string>();
  for (const img of images) {
    const cfg = imageConfig(img);
    const cfgName = `${sha256hex(cfg)}.json`;
    if (!seen.has(cfgName)) entries.push({ name: cfgName, data: cfg });
    seen.add(cfgName);
    const paths: string[] = [];
    for (const l of img.layers) {
      const p = `${sha256hex(l)}/layer.tar`;
      if (!seen.has(p)) entries.push({ name: p, data: l });
      seen.add(p);
      paths.push(p);
    }
    manifest.push({ Config: cfgName, RepoTags: img.tags?.length ? img.tags : null, Layers: paths });
  }
  entries.push(...(opts.extra ?? []));
  entries.push({ name: 'manifest.json', data: JSON.stringify(opts.manifest ?? manifest) });
  return tarOf(entries);
}

/** The image id (sha256 of the config) of an ArchiveImage. */
export const imageId = (img: ArchiveImage) => `sha256:${sha256hex(imageConfig(img))}`;

/**
 * Every path under <dataRoot>/image (blobs, layers, ingest, tmp-*), relative, sorted:
 * equal listings before and after a refused load prove it left nothing.
 */
export function imageTree(dataRoot: string, maxDepth = 3): string[] {
  const root = join(dataRoot, 'image');
  const out: string[] = [];
  const walk = (rel: string, depth: number) => {
    const abs = join(root, rel);
    if (!existsSync(abs)) return;
    for (const n of readdirSync(abs).sort()) {
      const r = rel ? `${rel}/${n}` : n;
      out.push(r);
      if (depth < maxDepth && lstatSync(join(root, r)).isDirectory()) walk(r, depth + 1);
    }
  };
  walk('', 0);
  return out;
}
