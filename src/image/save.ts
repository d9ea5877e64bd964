import { PassThrough, Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { digestHex, type Digest } from '../core/digest.js';
import { familiarString, type Reference } from '../core/reference.js';
import type { ContentStore } from './content.js';
import type { ImageStore } from './metadata.js';

export interface SaveItem {
  id: Digest;
  /** Tags to record in manifest.json RepoTags. */
  refs: Reference[];
}

const MTIME = new Date(0);

function addBuffer(pack: tar.Pack, name: string, data: Buffer | string): Promise<void> {
  return new Promise((res, rej) => {
    pack.entry({ name, mtime: MTIME, mode: 0o644 }, typeof data === 'string' ? Buffer.from(data) : data, (e) => (e ? rej(e) : res()));
  });
}

async function addBlob(pack: tar.Pack, content: ContentStore, name: string, digest: Digest): Promise<void> {
  const size = await content.size(digest);
  const src = await content.open(digest);
  await new Promise<void>((res, rej) => {
    const sink = pack.entry({ name, size, mtime: MTIME, mode: 0o644 }, (e?: Error | null) => (e ? rej(e) : res()));
    src.on('error', (e) => { sink.destroy(e); rej(e); });
    src.pipe(sink as unknown as NodeJS.WritableStream);
  });
}

function addDir(pack: tar.Pack, name: string): Promise<void> {
  return new Promise((res, rej) => (pack.entry({ name, type: 'directory', mode: 0o755, mtime: MTIME }, (e?: Error | null) => (e ? rej(e) : res())) as unknown as { end(): void }).end());
}

/**
 * Writes the images as a docker-archive in the legacy layout every `docker load`
 * (20 to 28) reads: <config-hex>.json, <layer>/layer.tar (the kept uncompressed
 * layer tar, byte-identical, so the diff ids hold), <layer>/VERSION and json,
 * manifest.json and repositories. Layers shared by several images are written once.
 */
async function writeArchive(pack: tar.Pack, content: ContentStore, store: ImageStore, items: SaveItem[]): Promise<void> {
  const manifest: { Config: string; RepoTags: string[] | null; Layers: string[] }[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  const written = new Set<string>();
  for (const item of items) {
    const img = store.get(item.id);
    if (!img) continue;
    const cfgName = `${digestHex(item.id)}.json`;
    if (!written.has(cfgName)) {
      await addBuffer(pack, cfgName, img.config);
      written.add(cfgName);
    }
    const layers = store.layersOf(item.id);
    const paths: string[] = [];
    for (const l of layers) {
      const dir = digestHex(l.chainId);
      paths.push(`${dir}/layer.tar`);
      if (written.has(dir)) continue;
      written.add(dir);
      await addDir(pack, `${dir}/`);
      await addBuffer(pack, `${dir}/VERSION`, '1.0');
      const v1: Record<string, unknown> = { id: dir, created: MTIME.toISOString(), container_config: { Cmd: null } };
      if (l.parent) v1.parent = digestHex(l.parent);
      await addBuffer(pack, `${dir}/json`, JSON.stringify(v1));
      await addBlob(pack, content, `${dir}/layer.tar`, l.diffId);
    }
    const tags = item.refs.map((r) => familiarString(r));
    manifest.push({ Config: cfgName, RepoTags: tags.length ? tags : null, Layers: paths });
    const top = layers.length ? digestHex(layers[layers.length - 1]!.chainId) : '';
    for (const r of item.refs) {
      const name = familiarString({ ...r, tag: undefined, digest: undefined });
      (repositories[name] ??= {})[r.tag ?? 'latest'] = top;
    }
  }
  await addBuffer(pack, 'manifest.json', JSON.stringify(manifest));
  if (Object.keys(repositories).length) await addBuffer(pack, 'repositories', JSON.stringify(repositories));
}

export function saveArchive(content: ContentStore, store: ImageStore, items: SaveItem[]): Readable {
  const pack = tar.pack();
  const out = new PassThrough();
  (async () => {
    for await (const c of pack) if (!out.write(c)) await new Promise((r) => out.once('drain', r));
    out.end();
  })().catch((e: Error) => out.destroy(e));
  writeArchive(pack, content, store, items).then(() => pack.finalize(), (e: Error) => {
    pack.destroy(e);
    out.destroy(e);
  });
  return out;
}
