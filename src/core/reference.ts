import { invalid } from './errors.js';
import { isDigest } from './digest.js';

/**
 * An image reference as docker's distribution/reference normalises it:
 * "busybox" -> docker.io/library/busybox:latest, familiar form "busybox:latest".
 */
export interface Reference {
  /** Registry host, e.g. "docker.io" or "127.0.0.1:5000". */
  domain: string;
  /** Repository path inside the registry, e.g. "library/busybox". */
  path: string;
  tag?: string;
  digest?: string;
}

export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DOMAIN = 'index.docker.io';

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?$|^\[[0-9a-fA-F:.]+\](?::[0-9]+)?$/;

function splitDomain(name: string): [string, string] {
  const i = name.indexOf('/');
  if (i === -1) return [DEFAULT_DOMAIN, name];
  const first = name.slice(0, i);
  if (!first.includes('.') && !first.includes(':') && first !== 'localhost' && first.toLowerCase() === first) {
    return [DEFAULT_DOMAIN, name];
  }
  return [first, name.slice(i + 1)];
}

/** Parses and normalises a reference. Does not add a default tag. */
export function parseReference(s: string): Reference {
  if (!s || s.length > 255 + 128 + 80) throw invalid(`invalid reference format: "${s}"`);
  let rest = s;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isDigest(digest)) throw invalid(`invalid reference format: "${s}"`);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalid(`invalid reference format: "${s}"`);
  }
  let [domain, path] = splitDomain(rest);
  if (domain === LEGACY_DOMAIN) domain = DEFAULT_DOMAIN;
  if (!DOMAIN.test(domain)) throw invalid(`invalid reference format: "${s}"`);
  if (!path) throw invalid(`invalid reference format: "${s}"`);
  for (const c of path.split('/')) {
    if (!COMPONENT.test(c)) {
      if (/[A-Z]/.test(c)) throw invalid(`invalid reference format: repository name (${path}) must be lowercase`);
      throw invalid(`invalid reference format: "${s}"`);
    }
  }
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = `library/${path}`;
  return { domain, path, tag, digest };
}

/** Adds ":latest" when the reference has neither tag nor digest. */
export function withDefaultTag(r: Reference): Reference {
  return r.tag || r.digest ? r : { ...r, tag: 'latest' };
}

export function parseNormalizedNamed(s: string): Reference {
  return withDefaultTag(parseReference(s));
}

/** "docker.io/library/busybox" -> "busybox"; "docker.io/me/x" -> "me/x"; others unchanged. */
export function familiarName(r: Reference): string {
  if (r.domain === DEFAULT_DOMAIN) {
    return r.path.startsWith('library/') && r.path.split('/').length === 2 ? r.path.slice(8) : r.path;
  }
  return `${r.domain}/${r.path}`;
}

/** Full name without tag/digest: "docker.io/library/busybox". */
export function fullName(r: Reference): string {
  return `${r.domain}/${r.path}`;
}

/** Familiar string: "busybox:latest", "busybox@sha256:..", "127.0.0.1:5000/x:1". */
export function familiarString(r: Reference): string {
  let out = familiarName(r);
  if (r.tag) out += `:${r.tag}`;
  if (r.digest) out += `@${r.digest}`;
  return out;
}

/** Canonical string: "docker.io/library/busybox:latest". */
export function canonicalString(r: Reference): string {
  let out = fullName(r);
  if (r.tag) out += `:${r.tag}`;
  if (r.digest) out += `@${r.digest}`;
  return out;
}
