/**
 * Which daemon to talk to: the -H/--host flag, then HAKO_HOST, then DOCKER_HOST,
 * then the embedded default unix:///run/hako/hako.sock.
 */
import { invalid } from '../core/errors.js';

export const DEFAULT_HOST = 'unix:///run/hako/hako.sock';

export type Endpoint =
  | { kind: 'unix'; path: string; url: string }
  | { kind: 'tcp'; host: string; port: number; url: string };

export function resolveHost(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag || env.HAKO_HOST || env.DOCKER_HOST || DEFAULT_HOST;
}

export function parseHost(url: string): Endpoint {
  if (url.startsWith('unix://')) {
    const path = url.slice('unix://'.length);
    if (!path) throw invalid(`invalid host "${url}": empty socket path`);
    return { kind: 'unix', path, url };
  }
  if (url.startsWith('/')) return { kind: 'unix', path: url, url: `unix://${url}` };
  const m = /^(?:tcp|http):\/\/(\[[^\]]+\]|[^:/]*)(?::(\d+))?\/?$/.exec(url);
  if (m) {
    const host = (m[1] || '127.0.0.1').replace(/^\[|\]$/g, '');
    return { kind: 'tcp', host, port: m[2] ? Number(m[2]) : 2375, url };
  }
  throw invalid(`invalid host "${url}": use unix:///path or tcp://host:port`);
}

export function isDefaultHost(url: string): boolean {
  return url === DEFAULT_HOST;
}
