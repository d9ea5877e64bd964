/**
 * The registry half of the image service: pull (POST /images/create?fromImage=),
 * push (POST /images/{name}/push) and login (POST /auth). It works through the
 * image service's stores, write lock and events (the RegistryHost it is given),
 * without importing engine/images.ts.
 */
import { isDigest, type Digest } from '../core/digest.js';
import { invalid, isEngineError, notFound } from '../core/errors.js';
import { canonicalString, familiarString, fullName, parseNormalizedNamed, parseReference, type Reference } from '../core/reference.js';
import { pullImage } from '../image/pull.js';
import { preparePush, pushImage, type PushResult } from '../image/push.js';
import { normalizeAuth, registryHostOf, type AuthConfig } from '../image/registry-auth.js';
import { RegistryClient } from '../image/registry-client.js';
import { RegistryHosts, type RegistryHostsConfig } from '../image/registry-hosts.js';
import { LayerBlobStore } from '../image/registry-store.js';
import type { ImageStores, WriteSession } from '../image/session.js';
import type { Db } from '../platform/sqlite.js';
import type { ImageService, ProgressFn } from './types.js';

export type { AuthConfig } from '../image/registry-auth.js';
export { decodeAuthHeader } from '../image/registry-auth.js';
export { RegistryError } from '../image/registry-http.js';
export type { RegistryHostsConfig } from '../image/registry-hosts.js';

export interface PullRequest {
  fromImage: string;
  /** A tag or a digest ("sha256:..."); default "latest". */
  tag?: string;
  platform?: string;
  auth?: AuthConfig;
}

export interface PushRequest {
  tag?: string;
  auth?: AuthConfig;
}

/** The registry operations the API calls (Images implements them). */
export interface RegistryImageService {
  /** Pulls and tags; resolves with the familiar reference pulled. Errors before any progress are NotFound/Unavailable with docker's wording. */
  pull(req: PullRequest, progress: ProgressFn): Promise<string>;
  push(name: string, req: PushRequest, progress: ProgressFn): Promise<PushResult[]>;
  /** Checks credentials against the registry; PermissionDenied (RegistryError status 401) when refused. */
  login(auth: AuthConfig): Promise<{ Status: string; IdentityToken: string }>;
}

/** What the registry operations need from the image service. */
export interface RegistryHost {
  readonly stores: ImageStores;
  /** Runs fn under the image write lock with a session closed afterwards. */
  writeOp<T>(fn: (s: WriteSession) => Promise<T>): Promise<T>;
  resolveId(name: string): Digest;
  emit(action: string, id: string, name: string): void;
}

export function registryOf(images: ImageService): RegistryImageService | undefined {
  const r = images as Partial<RegistryImageService>;
  return typeof r.pull === 'function' && typeof r.push === 'function' && typeof r.login === 'function' ? r as RegistryImageService : undefined;
}

/** docker's reading of fromImage + tag: the tag parameter may hold a tag or a digest. */
export function pullReference(fromImage: string, tag?: string): Reference {
  let ref = parseReference(fromImage);
  if (tag) {
    if (isDigest(tag)) ref = { ...ref, tag: undefined, digest: tag };
    else if (/^sha256:/.test(tag)) throw invalid(`invalid reference format: "${fromImage}@${tag}"`);
    else ref = parseReference(`${familiarString({ ...ref, tag: undefined, digest: undefined })}:${tag}`);
  }
  return ref.tag || ref.digest ? ref : { ...ref, tag: 'latest' };
}

export class ImageRegistry implements RegistryImageService {
  readonly hosts: RegistryHosts;
  readonly blobs: LayerBlobStore;

  constructor(private readonly host: RegistryHost, db: Db, cfg: RegistryHostsConfig = {}) {
    this.hosts = new RegistryHosts(cfg);
    this.blobs = new LayerBlobStore(db);
  }

  async pull(req: PullRequest, progress: ProgressFn): Promise<string> {
    const ref = pullReference(req.fromImage, req.tag);
    const auth = req.auth && normalizeAuth(req.auth);
    const clients = await RegistryClient.openAll(this.hosts, ref.domain, ref.path, auth, ['pull']);
    try {
      for (let i = 0; ; i++) {
        try {
          return await this.pullFrom(clients[i]!, ref, req.platform, progress);
        } catch (e) {
          // A mirror that fails hands over to the next endpoint (Docker Hub last).
          if (i === clients.length - 1 || !clients[i]!.endpoint.mirror) throw e;
        }
      }
    } finally {
      for (const c of clients) c.close();
    }
  }

  private async pullFrom(c: RegistryClient, ref: Reference, platform: string | undefined, progress: ProgressFn): Promise<string> {
    const { store } = this.host.stores;
    return this.host.writeOp(async (session) => {
      const p = await pullImage(c, session, { ref, platform, progress, blobs: this.blobs });
      store.putImage({
        id: p.id, config: p.config, created: p.cfg.created ?? new Date(0).toISOString(),
        size: p.layers.reduce((a, l) => a + l.size, 0), manifestDigest: p.digest, loadedAt: Date.now(),
      }, p.layers, p.blobs);
      const digestRef: Reference = { domain: ref.domain, path: ref.path, digest: p.digest };
      const prev = ref.tag ? store.getRef(canonicalString(ref)) : store.getRef(canonicalString(digestRef));
      if (ref.tag) store.setRef(canonicalString(ref), p.id);
      store.setRef(canonicalString(digestRef), p.id);
      progress({ status: `Digest: ${p.digest}` });
      const upToDate = !p.downloaded && prev === p.id;
      progress({ status: `Status: ${upToDate ? 'Image is up to date' : 'Downloaded newer image'} for ${familiarString(ref)}` });
      this.host.emit('pull', p.id, familiarString(ref));
      return familiarString(ref);
    });
  }

  async push(name: string, req: PushRequest, progress: ProgressFn): Promise<PushResult[]> {
    let ref = parseNormalizedNamed(name);
    if (req.tag) ref = parseNormalizedNamed(`${familiarString({ ...ref, tag: undefined, digest: undefined })}:${req.tag}`);
    else if (!/:[^/]+$/.test(name.replace(/@.*$/, ''))) ref = { ...ref, tag: undefined };
    if (ref.digest) throw invalid('cannot push a digest reference');
    const repo = fullName(ref);
    progress({ status: `The push refers to repository [${repo}]` });
    const tags = ref.tag ? [ref] : this.localTags(repo);
    if (!tags.length) throw notFound(`An image does not exist locally with the tag: ${familiarString(ref)}`);
    const ids = tags.map((t) => {
      try {
        return this.host.resolveId(familiarString(t));
      } catch (e) {
        if (isEngineError(e, 'NotFound')) throw notFound(`An image does not exist locally with the tag: ${familiarString(t)}`);
        throw e;
      }
    });
    const auth = req.auth && normalizeAuth(req.auth);
    const c = await RegistryClient.open(this.hosts, ref.domain, ref.path, auth, ['pull', 'push']);
    const out: PushResult[] = [];
    try {
      for (let i = 0; i < tags.length; i++) out.push(await this.pushOne(c, tags[i]!, ids[i]!, progress));
    } finally {
      c.close();
    }
    return out;
  }

  private localTags(repo: string): Reference[] {
    return this.host.stores.store.allRefs().map((r) => parseReference(r.name)).filter((r) => r.tag && fullName(r) === repo);
  }

  private async pushOne(c: RegistryClient, ref: Reference, id: Digest, progress: ProgressFn): Promise<PushResult> {
    const { content, store } = this.host.stores;
    const plan = await this.host.writeOp(async () => preparePush(this.host.stores, this.blobs, id));
    const pinned = [id, ...plan.layers.map((l) => l.digest)];
    for (const d of pinned) content.pin(d);
    try {
      const r = await pushImage(c, this.host.stores, this.blobs, ref, plan, progress);
      await this.host.writeOp(async () => {
        if (store.get(id)) store.setRef(canonicalString({ domain: ref.domain, path: ref.path, digest: r.digest }), id);
      });
      this.host.emit('push', id, familiarString(ref));
      return r;
    } finally {
      for (const d of pinned) content.unpin(d);
    }
  }

  async login(auth: AuthConfig): Promise<{ Status: string; IdentityToken: string }> {
    const a = normalizeAuth(auth);
    const registry = registryHostOf(auth.serveraddress);
    const c = await RegistryClient.open(this.hosts, registry, '', a, []);
    try {
      await c.login();
    } finally {
      c.close();
    }
    return { Status: 'Login Succeeded', IdentityToken: '' };
  }
}
