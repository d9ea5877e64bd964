/**
 * A client of one repository on a distribution (OCI / registry v2) registry.
 * open() picks the first endpoint that answers GET /v2/ (https, then http for
 * insecure registries; mirrors first for Docker Hub pulls) and learns its auth
 * challenge; every request then carries Basic credentials or a bearer token for
 * the repository scope, fetched from the challenge's realm (with the user's
 * credentials, or an identity token as an OAuth2 refresh token) and cached.
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { sha256, type Digest } from '../core/digest.js';
import { invalid } from '../core/errors.js';
import { basicHeader, parseChallenges, repoScope, tokenUrl, type AuthConfig, type Challenge } from './registry-auth.js';
import type { RegistryEndpoint, RegistryHosts } from './registry-hosts.js';
import { isTransportError, readBody, RegistryError, RegistryTransport, responseError, type HttpOptions } from './registry-http.js';

export const MANIFEST_ACCEPT = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
];

export interface FetchedManifest {
  body: Buffer;
  mediaType: string;
  digest: Digest;
}

export class RegistryClient {
  private challenge?: Challenge;
  private readonly tokens = new Map<string, string>();

  private constructor(readonly t: RegistryTransport, readonly repo: string, private readonly auth: AuthConfig | undefined,
    private readonly actions: string[]) {}

  get endpoint(): RegistryEndpoint {
    return this.t.ep;
  }

  /**
   * Connects to the first endpoint of `registry` that answers, for repository `repo`
   * with `actions` (["pull"] or ["pull","push"]). `registry` "docker.io" means Docker Hub.
   */
  static async open(hosts: RegistryHosts, registry: string, repo: string, auth: AuthConfig | undefined,
    actions: string[]): Promise<RegistryClient> {
    const all = await RegistryClient.openAll(hosts, registry, repo, auth, actions);
    return all[0]!;
  }

  /** Every endpoint that answers, in order (for mirror fallback); throws the first failure when none does. */
  static async openAll(hosts: RegistryHosts, registry: string, repo: string, auth: AuthConfig | undefined,
    actions: string[]): Promise<RegistryClient[]> {
    const eps = await hosts.endpoints(registry, actions.includes('push') ? 'push' : 'pull');
    const out: RegistryClient[] = [];
    let first: unknown;
    for (const ep of eps) {
      const c = new RegistryClient(new RegistryTransport(ep), repo, auth, actions);
      try {
        await c.ping();
        out.push(c);
        if (!ep.mirror) break;
      } catch (e) {
        c.close();
        first ??= e;
        if (!isTransportError(e) && !ep.mirror) throw e;
      }
    }
    if (!out.length) throw first;
    return out;
  }

  close(): void {
    this.t.close();
  }

  /** GET /v2/: learns the auth challenge. Also checks the credentials (login). */
  async ping(): Promise<void> {
    const res = await this.t.send(this.t.url('/v2/'), { method: 'GET' });
    res.resume();
    if (res.statusCode === 401) {
      const ch = parseChallenges(res.headers['www-authenticate']);
      this.challenge = ch.find((c) => c.scheme === 'bearer') ?? ch.find((c) => c.scheme === 'basic');
      if (!this.challenge) throw new RegistryError('PermissionDenied', 'unauthorized: no supported auth challenge', 401);
      return;
    }
    if ((res.statusCode ?? 0) >= 300) throw await responseError(res, `Get "${this.t.url('/v2/').href}"`);
  }

  /** Verifies the credentials against the registry (POST /auth): 401 RegistryError when they are refused. */
  async login(): Promise<void> {
    if (!this.challenge) return;
    const res = await this.request('/v2/', { method: 'GET' }, []);
    res.resume();
    if (res.statusCode === 401) {
      throw new RegistryError('PermissionDenied', `login attempt to ${this.t.url('/v2/').href} failed with status: 401 Unauthorized`, 401);
    }
  }

  private async authorization(scopes: string[]): Promise<string | undefined> {
    const ch = this.challenge;
    if (!ch) return undefined;
    if (this.auth?.registrytoken) return `Bearer ${this.auth.registrytoken}`;
    if (ch.scheme === 'basic') return this.auth ? basicHeader(this.auth) : undefined;
    const key = scopes.join(' ');
    let tok = this.tokens.get(key);
    if (!tok) {
      tok = await this.fetchToken(ch, scopes);
      this.tokens.set(key, tok);
    }
    return `Bearer ${tok}`;
  }

  private async fetchToken(ch: Challenge, scopes: string[]): Promise<string> {
    const u = tokenUrl(ch, scopes, this.auth);
    let res: IncomingMessage;
    if (this.auth?.identitytoken) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: this.auth.identitytoken,
        service: ch.params.service ?? '', client_id: 'hako', scope: scopes.join(' ') });
      res = await this.t.send(new URL(u.origin + u.pathname), { method: 'POST', body: Buffer.from(form.toString()),
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    } else {
      const basic = this.auth ? basicHeader(this.auth) : undefined;
      res = await this.t.send(u, { method: 'GET', headers: basic ? { Authorization: basic } : {}, follow: true });
    }
    if (res.statusCode !== 200) {
      const e = await responseError(res, `Get "${u.origin}${u.pathname}"`);
      if (res.statusCode === 401) throw new RegistryError('PermissionDenied', `Get "${u.href}": ${e.message}`, 401, e.errors);
      throw e;
    }
    const j = JSON.parse((await readBody(res)).toString()) as { token?: string; access_token?: string };
    const tok = j.token ?? j.access_token;
    if (!tok) throw new RegistryError('PermissionDenied', `token server ${u.origin} answered without a token`, 401);
    return tok;
  }

  /** A request with authorization for this repository (plus `extraScopes`); any status. */
  async request(path: string, o: HttpOptions, extraScopes: string[] = []): Promise<IncomingMessage> {
    const scopes = this.repo ? [repoScope(this.repo, this.actions), ...extraScopes] : extraScopes;
    const authz = await this.authorization(scopes);
    const headers = { ...(o.headers ?? {}), ...(authz ? { Authorization: authz } : {}) };
    return this.t.send(path.startsWith('http') ? new URL(path) : this.t.url(path), { ...o, headers });
  }

  private repoPath(rest: string): string {
    return `/v2/${this.repo}/${rest}`;
  }

  /** GET a manifest by tag or digest; verified against the digest when asked by digest. */
  async manifest(ref: string, accept = MANIFEST_ACCEPT): Promise<FetchedManifest> {
    const res = await this.request(this.repoPath(`manifests/${ref}`), { method: 'GET', headers: { Accept: accept.join(', ') }, follow: true });
    if (res.statusCode !== 200) throw await responseError(res, `manifest ${ref}`);
    const body = await readBody(res, 4 << 20);
    const digest = sha256(body);
    if (ref.startsWith('sha256:') && digest !== ref) throw invalid(`manifest verification failed for digest ${ref}`);
    const header = res.headers['docker-content-digest'];
    if (!ref.startsWith('sha256:') && typeof header === 'string' && header.startsWith('sha256:') && header !== digest) {
      throw invalid(`manifest verification failed for tag ${ref}: registry says ${header}, content is ${digest}`);
    }
    let mediaType = String(res.headers['content-type'] ?? '').split(';')[0]!.trim();
    try {
      const j = JSON.parse(body.toString()) as { mediaType?: string; manifests?: unknown; config?: unknown };
      if (j.mediaType) mediaType = j.mediaType;
      else if (!MANIFEST_ACCEPT.includes(mediaType)) mediaType = j.manifests ? MANIFEST_ACCEPT[3]! : MANIFEST_ACCEPT[2]!;
    } catch {
      throw invalid(`invalid manifest ${ref}: not JSON`);
    }
    return { body, mediaType, digest };
  }

  /** GET a blob (following the registry's redirect to its storage). */
  async blob(digest: Digest): Promise<IncomingMessage> {
    const res = await this.request(this.repoPath(`blobs/${digest}`), { method: 'GET', follow: true });
    if (res.statusCode !== 200) throw await responseError(res, `blob ${digest}`);
    return res;
  }

  /** The blob's size when the repository has it, else undefined. */
  async hasBlob(digest: Digest): Promise<number | undefined> {
    const res = await this.request(this.repoPath(`blobs/${digest}`), { method: 'HEAD', follow: true });
    res.resume();
    if (res.statusCode === 200) return Number(res.headers['content-length'] ?? 0);
    if (res.statusCode === 404) return undefined;
    throw await responseError(res, `blob ${digest}`);
  }

  /** Cross-repository mount; true when the registry mounted it (201). */
  async mountBlob(digest: Digest, from: string): Promise<boolean> {
    const q = new URLSearchParams({ mount: digest, from });
    const res = await this.request(this.repoPath(`blobs/uploads/?${q}`), { method: 'POST', body: Buffer.alloc(0) },
      [repoScope(from, ['pull'])]).catch((e) => (e instanceof RegistryError && e.status === 401 ? undefined : Promise.reject(e)));
    if (!res) return false;
    res.resume();
    if (res.statusCode === 201) return true;
    // 202: the registry started an ordinary upload instead; cancel it.
    const loc = res.headers.location;
    if (res.statusCode === 202 && loc) {
      await this.request(new URL(loc, this.t.url('/')).href, { method: 'DELETE' }).then((r) => r.resume(), () => {});
    }
    return false;
  }

  /** Uploads a blob: POST to open an upload, then one PUT ?digest= with the whole body. */
  async uploadBlob(digest: Digest, size: number, body: Readable): Promise<void> {
    const start = await this.request(this.repoPath('blobs/uploads/'), { method: 'POST', body: Buffer.alloc(0) });
    if (start.statusCode !== 202) throw await responseError(start, `upload of ${digest}`);
    start.resume();
    const loc = start.headers.location;
    if (!loc) throw new RegistryError('Internal', 'registry opened an upload without a Location', 202);
    const u = new URL(loc, this.t.url('/'));
    u.searchParams.set('digest', digest);
    const res = await this.request(u.href, { method: 'PUT', body,
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) } });
    if (res.statusCode !== 201) throw await responseError(res, `upload of ${digest}`);
    res.resume();
  }

  /** PUT a manifest under a tag or digest; returns the digest the registry stored. */
  async putManifest(ref: string, body: Buffer, mediaType: string): Promise<Digest> {
    const res = await this.request(this.repoPath(`manifests/${ref}`), { method: 'PUT', body, headers: { 'Content-Type': mediaType } });
    if (res.statusCode !== 201 && res.statusCode !== 200) throw await responseError(res, `manifest ${ref}`);
    res.resume();
    const d = res.headers['docker-content-digest'];
    return typeof d === 'string' && d.startsWith('sha256:') ? d : sha256(body);
  }
}
