/**
 * docker cp of a stopped container reaches its volumes and binds too (dockerd mounts them
 * for the copy): a container path under one of their targets is resolved in that volume's
 * or bind's host directory instead of the container's own layer, which the mount hides.
 */
import { join, posix } from 'node:path';
import type { HostConfig } from '../core/docker.js';

const norm = (p: string) => posix.normalize(`/${p}`).replace(/(.)\/+$/, '$1');

/** [container path, host dir] of the binds and volumes in hc (anonymous ones are in Mounts), longest path first. */
export function mountTable(dataRoot: string, hc: Pick<HostConfig, 'Binds' | 'Mounts'>): [string, string][] {
  const vol = (name: string) => join(dataRoot, 'volumes', name, '_data');
  const out: [string, string][] = [];
  for (const b of hc.Binds ?? []) {
    const [src = '', dst = ''] = b.split(':');
    if (src && dst) out.push([norm(dst), src.startsWith('/') ? src : vol(src)]);
  }
  for (const m of hc.Mounts ?? []) {
    if (!m.Source || !m.Target) continue;
    if (m.Type === 'bind') out.push([norm(m.Target), m.Source]);
    else if (m.Type === 'volume') out.push([norm(m.Target), vol(m.Source)]);
  }
  return out.sort((a, b) => b[0].length - a[0].length);
}

/** The host dir and the path inside it holding container path `p`, or undefined when p is in the rootfs. */
export function mountedAt(dataRoot: string, hc: Pick<HostConfig, 'Binds' | 'Mounts'>, p: string): { root: string; path: string } | undefined {
  const clean = posix.normalize(`/${p}`);
  for (const [target, src] of mountTable(dataRoot, hc)) {
    if (target === '/') continue;
    if (clean === target || clean.startsWith(`${target}/`)) return { root: src, path: clean.slice(target.length) || '/' };
  }
  return undefined;
}
