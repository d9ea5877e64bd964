import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { isDigest, sha256, type Digest } from '../core/digest.js';
import { EngineError, conflict, invalid, notFound } from '../core/errors.js';
import { isFullId, isHexPrefix, shortId } from '../core/ids.js';
import { MT, type ImageConfig } from '../core/oci.js';
import { canonicalString, familiarString, parseNormalizedNamed, parseReference, type Reference } from '../core/reference.js';
import type { Db } from '../platform/sqlite.js';
import { ContentStore } from '../image/content.js';
import { importConfig } from '../image/import.js';
import { loadArchive } from '../image/load.js';
import { ImageStore, type LayerRecord } from '../image/metadata.js';
import { saveArchive, type SaveItem } from '../image/save.js';
import { WriteSession } from '../image/session.js';
import { OverlaySnapshotter } from '../image/snapshots.js';
import { ImageRegistry, type AuthConfig, type PullRequest, type PushRequest, type RegistryHostsConfig, type RegistryImageService } from './images-registry.js';
import type { PushResult } from '../image/push.js';
import { historyView, inspectView, matchesLabels, matchesReference, parentOf, parseRefs, shortHex, summary, type ImageView } from './image-views.js';
import type { EventService, ImageListOptions, ImageResolver, ImageService, ImageUsers, ProgressFn } from './types.js';

export interface ImagesOptions {
  db: Db;
  /** The daemon's root; images live under <dataRoot>/image. */
  dataRoot: string;
  events: EventService;
  /** Containers using an image; set later with setUsers() when the container service exists. */
  users?: ImageUsers;
  /** insecure-registries, registry-mirrors and the certs dir for pull and push. */
  registry?: RegistryHostsConfig;
}

/**
 * The image service: docker's image API over the content store, the overlay
 * snapshots and the metadata in SQLite. Writes (load, import, tag, remove, prune)
 * run one at a time under a lock; reads do not wait.
 */
export class Images implements ImageService, ImageResolver, RegistryImageService {
  readonly content: ContentStore;
  readonly registry: ImageRegistry;
  readonly snapshots: OverlaySnapshotter;
  readonly store: ImageStore;
  private users: ImageUsers;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: ImagesOptions) {
    const root = join(opts.dataRoot, 'image');
    this.content = new ContentStore(root);
    this.snapshots = new OverlaySnapshotter(join(root, 'layers'));
    this.store = new ImageStore(opts.db);
    this.users = opts.users ?? (() => []);
    this.registry = new ImageRegistry({
      stores: { content: this.content, snapshots: this.snapshots, store: this.store },
      writeOp: (fn) => this.lock(async () => {
        const s = this.session();
        try {
          return await fn(s);
        } finally {
          await s.close();
        }
      }),
      resolveId: (name) => this.resolve(name).id,
      emit: (action, id, name) => this.event(action, id, name),
    }, opts.db, opts.registry);
  }

  pull(req: PullRequest, progress: ProgressFn): Promise<string> {
    return this.registry.pull(req, progress);
  }

  push(name: string, req: PushRequest, progress: ProgressFn): Promise<PushResult[]> {
    return this.registry.push(name, req, progress);
  }

  login(auth: AuthConfig): Promise<{ Status: string; IdentityToken: string }> {
    return this.registry.login(auth);
  }

  setUsers(users: ImageUsers): void {
    this.users = users;
  }

  /**
   * Removes crash leftovers: half-ingested blobs, half-unpacked layers, unreferenced
   * layers, and whole blobs a write operation brought in but never registered (an
   * archive's files stored before the daemon died unpacking it). Every blob worth
   * keeping is owned by an image or is a layer's tar (ImageStore.blobUsed).
   */
  async init(): Promise<void> {
    await this.content.init();
    await this.snapshots.init();
    const dropped = this.store.deleteUnusedLayerRows();
    for (const c of await this.snapshots.list()) {
      if (!this.store.layerExists(c)) await this.snapshots.remove(c);
    }
    for (const c of dropped) await this.snapshots.remove(c);
    await this.content.gc(await this.content.list(), (d) => this.store.blobUsed(d));
  }

  private lock<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => {});
    return run;
  }

  private session(): WriteSession {
    return new WriteSession({ content: this.content, snapshots: this.snapshots, store: this.store });
  }

  private event(action: string, id: string, name?: string): void {
    this.opts.events.emit({ Type: 'image', Action: action, Actor: { ID: id, Attributes: { name: name ?? id } } });
  }

  /** Docker's lookup: full id, then reference (":latest" default), then unique short id. */
  resolve(name: string): { id: Digest; ref?: Reference } {
    const full = isFullId(name) ? `sha256:${name}` : name;
    if (isDigest(full) && this.store.get(full)) return { id: full };
    let ref: Reference | undefined;
    try { ref = parseNormalizedNamed(name); } catch { /* maybe an id prefix */ }
    if (ref) {
      const id = this.store.getRef(canonicalString(ref));
      if (id) return { id, ref };
    }
    const hex = name.startsWith('sha256:') ? name.slice(7) : name;
    if (isHexPrefix(hex)) {
      const ids = this.store.byPrefix(hex);
      if (ids.length === 1) return { id: ids[0]! };
    }
    // dockerd names the reference with its default tag: "No such image: nosuch:latest".
    throw notFound(`No such image: ${ref ? familiarString(ref) : name}`);
  }

  private view(id: Digest): ImageView {
    const rec = this.store.get(id);
    if (!rec) throw notFound(`No such image: ${id}`);
    return { rec, cfg: JSON.parse(rec.config.toString()) as ImageConfig, refs: parseRefs(this.store.refsOf(id)) };
  }

  async resolveForContainer(name: string): Promise<{ id: string; config: ImageConfig; layerDirs: string[] }> {
    const { id } = this.resolve(name);
    const v = this.view(id);
    return { id, config: v.cfg, layerDirs: this.store.layersOf(id).map((l) => this.snapshots.diffDir(l.chainId)) };
  }

  /**
   * docker's image list: untagged images that are the parent of another image
   * (intermediate build images) only with `all`; `dangling=true` lists untagged
   * images without children; before/since compare the images' created times.
   */
  async list(opts: ImageListOptions): Promise<Record<string, unknown>[]> {
    const f = opts.filters ?? {};
    const created = (v: ImageView) => Date.parse(v.cfg.created ?? '') || 0;
    const time = (k: string) => f[k]?.length ? created(this.view(this.resolve(f[k]![0]!).id)) : undefined;
    const before = time('before');
    const since = time('since');
    const danglingOnly = f.dangling?.length ? f.dangling[0] === 'true' || f.dangling[0] === '1' : undefined;
    const views = this.store.all().map((rec) => this.view(rec.id));
    const parents = new Set(views.map((v) => parentOf(v.cfg)).filter(Boolean));
    const out: Record<string, unknown>[] = [];
    for (const v of views) {
      const untagged = v.refs.length === 0;
      if (untagged && parents.has(v.rec.id) && (!opts.all || danglingOnly)) continue;
      if (danglingOnly !== undefined && danglingOnly !== untagged) continue;
      if (f.label?.length && !matchesLabels(v.cfg, f.label)) continue;
      if (f.reference?.length && !matchesReference(v.refs, f.reference)) continue;
      if (before !== undefined && created(v) >= before) continue;
      if (since !== undefined && created(v) <= since) continue;
      const s = summary(v);
      s.Containers = this.users(v.rec.id).length;
      out.push(s);
    }
    return out.sort((a, b) => (b.Created as number) - (a.Created as number));
  }

  async inspect(name: string): Promise<Record<string, unknown>> {
    const { id } = notFoundAs(() => this.resolve(name), (m) => `no such image: ${name}: ${m}`);
    return inspectView(this.view(id), this.store.layersOf(id), (c) => this.snapshots.diffDir(c));
  }

  async history(name: string): Promise<Record<string, unknown>[]> {
    const { id } = this.resolve(name);
    return historyView(this.view(id), this.store.layersOf(id));
  }

  async tag(source: string, repo: string, tag?: string): Promise<void> {
    await this.lock(async () => {
      const { id } = this.resolve(source);
      let ref = parseReference(tag ? `${repo}:${tag}` : repo);
      if (ref.digest) throw invalid('refusing to create a tag with a digest reference');
      ref = parseNormalizedNamed(familiarString(ref));
      this.store.setRef(canonicalString(ref), id);
      this.event('tag', id, familiarString(ref));
    });
  }

  async remove(name: string, opts: { force?: boolean; noprune?: boolean }): Promise<Record<string, string>[]> {
    return this.lock(() => this.removeLocked(name, !!opts.force, !!opts.noprune));
  }

  private async removeLocked(name: string, force: boolean, noprune = false): Promise<Record<string, string>[]> {
    const { id, ref } = this.resolve(name);
    const out: Record<string, string>[] = [];
    const refs = this.store.refsOf(id);
    const using = this.users(id);
    if (ref) {
      if (!force && refs.length === 1 && using.length) {
        throw conflict(`conflict: unable to remove repository reference "${name}" (must force) - container ${shortId(using[0]!)} is using its referenced image ${shortHex(id)}`);
      }
      this.store.deleteRef(canonicalString(ref));
      out.push({ Untagged: familiarString(ref) });
      this.event('untag', id, familiarString(ref));
      out.push(...this.dropDigestRefs(id, ref));
      if (this.store.refsOf(id).length) return out;
    } else if (refs.length > 1 && !force) {
      throw conflict(`conflict: unable to delete ${shortHex(id)} (must be forced) - image is referenced in multiple repositories`);
    }
    if (using.length && !force) {
      throw conflict(`conflict: unable to delete ${shortHex(id)} (must be forced) - image is being used by stopped container ${shortId(using[0]!)}`);
    }
    for (const r of this.store.refsOf(id)) {
      this.store.deleteRef(r);
      const fam = familiarString(parseReference(r));
      out.push({ Untagged: fam });
      this.event('untag', id, fam);
    }
    // A container still uses it: keep the image (now dangling) so its rootfs stays whole.
    if (using.length) return out;
    const parent = parentOf(this.view(id).cfg);
    out.push(...(await this.deleteImage(id)).records);
    if (!noprune) out.push(...(await this.pruneParents(parent)));
    return out;
  }

  /**
   * dockerd's rmi without --no-prune: the untagged parents a classic build left behind
   * (its intermediate images) go with their last child, up to the first parent that is
   * tagged, used by a container or the parent of another image.
   */
  private async pruneParents(parent: string): Promise<Record<string, string>[]> {
    const out: Record<string, string>[] = [];
    for (let p = parent; p && this.store.get(p as Digest);) {
      const id = p as Digest;
      const children = this.store.all().filter((r) => parentOf(JSON.parse(r.config.toString()) as ImageConfig) === id);
      if (this.store.refsOf(id).length || this.users(id).length || children.length) break;
      p = parentOf(this.view(id).cfg);
      out.push(...(await this.deleteImage(id)).records);
    }
    return out;
  }

  /** docker: once the last tag of a repository is gone, its digest references (RepoDigests) go too. */
  private dropDigestRefs(id: Digest, removed: Reference): Record<string, string>[] {
    if (!removed.tag) return [];
    const same = parseRefs(this.store.refsOf(id)).filter((r) => r.domain === removed.domain && r.path === removed.path);
    if (same.some((r) => r.tag)) return [];
    return same.map((r) => {
      this.store.deleteRef(canonicalString(r));
      this.event('untag', id, familiarString(r));
      return { Untagged: familiarString(r) };
    });
  }

  private async deleteImage(id: Digest): Promise<{ records: Record<string, string>[]; freed: number }> {
    const { layers, blobs } = this.store.deleteImage(id);
    const records: Record<string, string>[] = [{ Deleted: id }];
    let freed = await this.content.gc(blobs, (d) => this.store.blobUsed(d));
    for (const l of layers.reverse()) {
      await this.snapshots.remove(l.chainId);
      records.push({ Deleted: l.chainId });
      freed += l.size;
    }
    this.event('delete', id);
    return { records, freed };
  }

  async prune(filters: Record<string, string[]>): Promise<{ ImagesDeleted: Record<string, string>[] | null; SpaceReclaimed: number }> {
    return this.lock(async () => {
      const danglingOnly = !(filters.dangling?.[0] === 'false' || filters.dangling?.[0] === '0');
      const until = filters.until?.[0] ? Date.parse(filters.until[0]) || Number(filters.until[0]) * 1000 : undefined;
      const deleted: Record<string, string>[] = [];
      let space = 0;
      for (const rec of this.store.all()) {
        const v = this.view(rec.id);
        if (this.users(rec.id).length) continue;
        if (danglingOnly && v.refs.length) continue;
        if (filters.label?.length && !matchesLabels(v.cfg, filters.label)) continue;
        if (until !== undefined && Date.parse(v.cfg.created ?? '') >= until) continue;
        for (const r of this.store.refsOf(rec.id)) {
          this.store.deleteRef(r);
          deleted.push({ Untagged: familiarString(parseReference(r)) });
        }
        const d = await this.deleteImage(rec.id);
        deleted.push(...d.records);
        space += d.freed;
      }
      return { ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: space };
    });
  }

  async load(input: Readable, progress: ProgressFn, opts: { quiet?: boolean }): Promise<string[]> {
    return this.lock(async () => {
      const session = this.session();
      try {
        const loaded = await loadArchive(session, input, progress, !!opts.quiet);
        const out: string[] = [];
        for (const img of loaded) {
          for (const r of img.refs) {
            const prev = this.store.setRef(canonicalString(r), img.id);
            if (prev) progress({ stream: `The image ${familiarString(r)} already exists, renaming the old one with ID ${prev} to empty string\n` });
            progress({ stream: `Loaded image: ${familiarString(r)}\n` });
            out.push(familiarString(r));
          }
          if (!img.refs.length) {
            progress({ stream: `Loaded image ID: ${img.id}\n` });
            out.push(img.id);
          }
          this.event('load', img.id, img.refs.length ? familiarString(img.refs[0]!) : img.id);
        }
        return out;
      } finally {
        await session.close();
      }
    });
  }

  async save(names: string[]): Promise<Readable> {
    const items = new Map<Digest, SaveItem>();
    for (const name of names) {
      const { id, ref } = notFoundAs(() => this.resolve(name), () => `No such image: ${name}`);
      const item = items.get(id) ?? { id, refs: [] };
      items.set(id, item);
      if (ref && !ref.digest) item.refs.push(ref);
    }
    return saveArchive(this.content, this.store, [...items.values()]);
  }

  async importRootfs(input: Readable, opts: { repo?: string; tag?: string; changes?: string[]; message?: string; platform?: string },
    progress: ProgressFn): Promise<string> {
    const ref = opts.repo ? parseNormalizedNamed(opts.tag ? `${opts.repo}:${opts.tag}` : opts.repo) : undefined;
    return this.lock(async () => {
      const session = this.session();
      try {
        const layer = await session.layerFromStream(input);
        const raw = Buffer.from(JSON.stringify(importConfig(layer.diffId, opts)));
        const cfg = await this.content.put(raw);
        session.track(cfg.digest);
        const manifest = await this.content.put(JSON.stringify({
          schemaVersion: 2, mediaType: MT.dockerManifest,
          config: { mediaType: MT.dockerConfig, size: raw.length, digest: cfg.digest },
          layers: [{ mediaType: MT.dockerLayer, size: layer.tarSize, digest: layer.diffId }],
        }));
        session.track(manifest.digest);
        const id = sha256(raw);
        this.store.putImage({ id, config: raw, created: new Date().toISOString(), size: layer.size,
          manifestDigest: manifest.digest, loadedAt: Date.now() }, [layer], [id, manifest.digest]);
        if (ref) this.store.setRef(canonicalString(ref), id);
        this.event('import', id, ref ? familiarString(ref) : id);
        progress({ status: id });
        return id;
      } finally {
        await session.close();
      }
    });
  }

  /**
   * Registers a locally made image (build, commit) whose layers are already stored
   * (image/commit.ts commitLayer): its config blob, a manifest over the layer tars
   * and the image row. Returns the image id (sha256 of the config). Idempotent.
   */
  async registerImage(config: ImageConfig, layers: LayerRecord[]): Promise<Digest> {
    return this.lock(async () => {
      const raw = Buffer.from(JSON.stringify(config));
      const id = sha256(raw);
      if (this.store.get(id)) return id;
      await this.content.put(raw);
      const manifest = await this.content.put(JSON.stringify({
        schemaVersion: 2, mediaType: MT.dockerManifest,
        config: { mediaType: MT.dockerConfig, size: raw.length, digest: id },
        layers: layers.map((l) => ({ mediaType: MT.dockerLayer, size: l.tarSize, digest: l.diffId })),
      }));
      this.store.putImage({ id, config: raw, created: config.created ?? new Date().toISOString(),
        size: layers.reduce((a, l) => a + l.size, 0), manifestDigest: manifest.digest, loadedAt: Date.now() }, layers, [id, manifest.digest]);
      return id;
    });
  }
  async usage(): Promise<{ images: Record<string, unknown>[]; layersSize: number }> {
    const images = await this.list({});
    const all = this.store.allLayers();
    // dockerd's df: SharedSize = the image's layers that other images use too
    const shared = new Set(all.filter((l) => l.users > 1).map((l) => l.chainId));
    for (const i of images) i.SharedSize = this.store.layersOf(i.Id as Digest).filter((l) => shared.has(l.chainId)).reduce((a, l) => a + l.size, 0);
    return { images, layersSize: all.reduce((a, l) => a + l.size, 0) };
  }
}

/** dockerd words some lookups differently: the same NotFound with another message. */
function notFoundAs<T>(fn: () => T, message: (m: string) => string): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof EngineError && e.code === 'NotFound') throw notFound(message(e.message));
    throw e;
  }
}
