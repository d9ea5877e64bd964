/**
 * Credentials of `hako login`, kept like docker's ~/.docker/config.json: an `auths`
 * map from registry to base64("user:password"), in $HAKO_CONFIG/config.json
 * (default ~/.hako/config.json, mode 0600). pull and push send them as X-Registry-Auth.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export const HUB_INDEX = 'https://index.docker.io/v1/';

interface ConfigFile {
  auths?: Record<string, { auth?: string; identitytoken?: string }>;
  [k: string]: unknown;
}

export function configPath(): string {
  return join(process.env.HAKO_CONFIG || join(homedir(), '.hako'), 'config.json');
}

function read(): ConfigFile {
  try {
    return JSON.parse(readFileSync(configPath(), 'utf8')) as ConfigFile;
  } catch {
    return {};
  }
}

function write(cfg: ConfigFile): void {
  const p = configPath();
  mkdirSync(dirname(p), { recursive: true, mode: 0o700 });
  writeFileSync(`${p}.tmp`, JSON.stringify(cfg, null, '\t') + '\n', { mode: 0o600 });
  renameSync(`${p}.tmp`, p);
}

/** The key a registry is stored under: Docker Hub's index URL, else "host[:port]". */
export function serverKey(server: string | undefined): string {
  const host = (server ?? '').trim().replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
  if (!host || ['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com'].includes(host)) return HUB_INDEX;
  return host;
}

/** The registry part of an image name ("docker.io" when it has none). */
export function registryOf(image: string): string {
  const i = image.indexOf('/');
  const first = i === -1 ? '' : image.slice(0, i);
  return first && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : 'docker.io';
}

export function saveAuth(server: string, username: string, password: string): void {
  const cfg = read();
  (cfg.auths ??= {})[serverKey(server)] = { auth: Buffer.from(`${username}:${password}`).toString('base64') };
  write(cfg);
}

/** Removes the stored credentials; false when there were none. */
export function removeAuth(server: string): boolean {
  const cfg = read();
  const key = serverKey(server);
  if (!cfg.auths?.[key]) return false;
  delete cfg.auths[key];
  write(cfg);
  return true;
}

/** X-Registry-Auth headers for `image`'s registry, from the stored credentials (none when absent). */
export function authHeaders(image: string): Record<string, string> {
  const key = serverKey(registryOf(image));
  const entry = read().auths?.[key];
  if (!entry?.auth && !entry?.identitytoken) return {};
  const plain = entry.auth ? Buffer.from(entry.auth, 'base64').toString('utf8') : '';
  const i = plain.indexOf(':');
  const body = entry.identitytoken
    ? { identitytoken: entry.identitytoken, serveraddress: key }
    : { username: plain.slice(0, i), password: plain.slice(i + 1), serveraddress: key };
  return { 'X-Registry-Auth': Buffer.from(JSON.stringify(body)).toString('base64url') };
}
