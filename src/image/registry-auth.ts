/**
 * Registry credentials and the distribution auth handshake: docker's AuthConfig (as
 * carried base64url-encoded in X-Registry-Auth), WWW-Authenticate challenges, and
 * the Basic / Bearer-token schemes. No I/O here; registry-client.ts drives it.
 */
import { invalid } from '../core/errors.js';

/** docker's types/registry.AuthConfig (the fields hako reads). */
export interface AuthConfig {
  username?: string;
  password?: string;
  /** base64("user:pass"), as ~/.docker/config.json keeps it. */
  auth?: string;
  serveraddress?: string;
  /** An OAuth2 refresh token given back by a token server on login. */
  identitytoken?: string;
  /** A bearer token to send as is. */
  registrytoken?: string;
}

export interface Challenge {
  scheme: 'basic' | 'bearer';
  params: Record<string, string>;
}

/** Docker Hub's names: the index address clients send and the host that serves v2. */
export const HUB_INDEX = 'https://index.docker.io/v1/';
export const HUB_HOST = 'registry-1.docker.io';

/**
 * Decodes an X-Registry-Auth header: base64url (or standard base64) of a JSON
 * AuthConfig. An empty header, "{}" or "null" means anonymous.
 */
export function decodeAuthHeader(header: string | undefined): AuthConfig | undefined {
  if (!header || !header.trim()) return undefined;
  let json: string;
  try {
    json = Buffer.from(header.trim().replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
  } catch {
    throw invalid('invalid X-Registry-Auth header: not base64');
  }
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    throw invalid('invalid X-Registry-Auth header: not base64url-encoded JSON');
  }
  if (!v || typeof v !== 'object') return undefined;
  return normalizeAuth(v as AuthConfig);
}

/** Fills username/password from `auth` when only that is set; undefined when it holds nothing. */
export function normalizeAuth(a: AuthConfig): AuthConfig | undefined {
  const out: AuthConfig = { ...a };
  if (!out.username && out.auth) {
    const plain = Buffer.from(out.auth, 'base64').toString('utf8');
    const i = plain.indexOf(':');
    if (i > 0) {
      out.username = plain.slice(0, i);
      out.password = plain.slice(i + 1);
    }
  }
  return out.username || out.identitytoken || out.registrytoken ? out : undefined;
}

export function encodeAuthHeader(a: AuthConfig): string {
  return Buffer.from(JSON.stringify(a)).toString('base64url');
}

/**
 * The registry host of a login's server address, as docker normalises it:
 * "https://index.docker.io/v1/" and "docker.io" are Docker Hub; a scheme and a
 * path are dropped ("http://127.0.0.1:5000/v2/" -> "127.0.0.1:5000").
 */
export function registryHostOf(serverAddress: string | undefined): string {
  const s = (serverAddress ?? '').trim();
  if (!s) return 'docker.io';
  const host = s.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
  if (host === 'index.docker.io' || host === 'registry-1.docker.io' || host === 'docker.io' || host === 'registry.hub.docker.com') {
    return 'docker.io';
  }
  return host;
}

/** Parses WWW-Authenticate headers ('Bearer realm="..",service="..",scope=".."' or 'Basic realm=".."'). */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  const out: Challenge[] = [];
  for (const h of Array.isArray(header) ? header : header ? [header] : []) {
    const m = /^\s*(\w+)\s*(.*)$/s.exec(h);
    if (!m) continue;
    const scheme = m[1]!.toLowerCase();
    if (scheme !== 'basic' && scheme !== 'bearer') continue;
    const params: Record<string, string> = {};
    const re = /([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?/g;
    for (const p of m[2]!.matchAll(re)) params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3]!;
    out.push({ scheme, params });
  }
  return out;
}

export function basicHeader(a: AuthConfig): string | undefined {
  if (!a.username) return undefined;
  return 'Basic ' + Buffer.from(`${a.username}:${a.password ?? ''}`).toString('base64');
}

/** The query of a token request (distribution's token spec); several scopes repeat the key. */
export function tokenUrl(ch: Challenge, scopes: string[], a: AuthConfig | undefined): URL {
  const realm = ch.params.realm;
  if (!realm) throw invalid('invalid bearer challenge: no realm');
  const u = new URL(realm);
  if (ch.params.service) u.searchParams.set('service', ch.params.service);
  for (const s of scopes) u.searchParams.append('scope', s);
  if (a?.username) u.searchParams.set('account', a.username);
  return u;
}

/** "repository:library/busybox:pull,push" */
export const repoScope = (path: string, actions: string[]) => `repository:${path}:${actions.join(',')}`;
