/**
 * Volumes a container gets without naming them, as dockerd gives them: an anonymous volume
 * (64-hex name, label com.docker.volume.anonymous) for each path of Config.Volumes (the
 * image's VOLUME and `-v /path`) and for `--mount type=volume` without a source; the binds
 * and volumes of `--volumes-from X[:ro|:rw]`; the image's content at the path copied into
 * an empty volume when it is mounted (`nocopy` opts out); and, on `rm -v` or `--rm`, the
 * removal of the anonymous ones no other container uses.
 *
 * The implicit mounts are appended to HostConfig.Mounts (so the spec, the volume users and
 * the reference counts see them) and their targets listed in `implicitMounts`, which the
 * inspect view hides from HostConfig.Mounts as dockerd shows none there.
 */
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { HostConfig, Mount } from '../core/docker.js';
import { invalid } from '../core/errors.js';
import { run } from '../platform/exec.js';
import type { ContainerRecord, ContainerStore } from './containers-store.js';
import type { VolumeMounter } from './types.js';
import { volumeNamesOf } from './volumes.js';

const clean = (p: string) => p.replace(/\/+$/, '') || '/';

/** Binds and bind/volume Mounts of a HostConfig as Mount objects (what --volumes-from copies). */
function sharedMounts(hc: HostConfig): Mount[] {
  const out: Mount[] = [];
  for (const b of hc.Binds ?? []) {
    const [src = '', dst = '', mode = ''] = b.split(':');
    out.push({ Type: src.startsWith('/') ? 'bind' : 'volume', Source: src, Target: clean(dst), ReadOnly: mode.split(',').includes('ro') });
  }
  for (const m of hc.Mounts ?? []) if (m.Type === 'bind' || m.Type === 'volume') out.push({ ...m, Target: clean(m.Target) });
  return out;
}

/** Targets already mounted by the request itself. */
function requestedTargets(hc: HostConfig): Set<string> {
  return new Set([
    ...(hc.Binds ?? []).map((b) => clean(b.split(':')[1] ?? '')),
    ...(hc.Mounts ?? []).map((m) => clean(m.Target)),
    ...Object.keys(hc.Tmpfs ?? {}).map(clean),
  ]);
}

/** At create: resolves --volumes-from, then makes the anonymous volumes (nothing is made when a check fails). */
export function prepareVolumes(store: ContainerStore, volumes: VolumeMounter | undefined, c: ContainerRecord): void {
  const hc = c.hostConfig;
  for (const m of hc.Mounts ?? []) {
    if (m.Type === 'bind' && m.Source && !existsSync(m.Source)) throw invalid(`invalid mount config for type "bind": bind source path does not exist: ${m.Source}`);
  }
  const taken = requestedTargets(hc);
  const added: Mount[] = [];
  for (const ref of hc.VolumesFrom ?? []) {
    const [name = '', mode = ''] = ref.split(':');
    if (!['', 'ro', 'rw'].includes(mode)) throw invalid(`invalid mode for volumes-from: ${mode}`);
    const other = store.resolve(name);
    for (const m of sharedMounts(other.hostConfig)) {
      if (taken.has(m.Target)) continue;
      taken.add(m.Target);
      added.push(mode ? { ...m, ReadOnly: mode === 'ro' } : m);
    }
  }
  if (!volumes) return;
  const mounts = (hc.Mounts ?? []).map((m) => (m.Type === 'volume' && !m.Source ? { ...m, Source: volumes.anonymous().Name } : m));
  for (const dst of Object.keys(c.config.Volumes ?? {})) {
    const target = clean(dst);
    if (taken.has(target)) continue;
    taken.add(target);
    added.push({ Type: 'volume', Source: volumes.anonymous().Name, Target: target });
  }
  if (mounts.length || added.length) hc.Mounts = [...mounts, ...added];
  c.implicitMounts = added.map((m) => m.Target);
}

/** HostConfig.Mounts as the client sent it (without the implicit ones). */
export function requestedMounts(c: ContainerRecord): Mount[] | undefined {
  const hidden = new Set(c.implicitMounts ?? []);
  const left = (c.hostConfig.Mounts ?? []).filter((m) => !hidden.has(m.Target));
  return left.length ? left : undefined;
}

/** `rootfs`/`target` when no component below rootfs is a symlink (an image cannot point the copy at the host). */
function insideRootfs(rootfs: string, target: string): string | undefined {
  let p = rootfs;
  for (const part of target.split('/').filter(Boolean)) {
    p = join(p, part);
    try {
      const st = lstatSync(p);
      if (st.isSymbolicLink()) return undefined;
    } catch { return undefined; }
  }
  return p;
}

/** The named volumes with their targets that want the image's content (no `nocopy`). */
function copyTargets(hc: HostConfig): { name: string; target: string }[] {
  const out: { name: string; target: string }[] = [];
  for (const b of hc.Binds ?? []) {
    const [src = '', dst = '', mode = ''] = b.split(':');
    if (src && !src.startsWith('/') && !mode.split(',').includes('nocopy')) out.push({ name: src, target: dst });
  }
  for (const m of hc.Mounts ?? []) {
    if (m.Type === 'volume' && m.Source && !m.VolumeOptions?.NoCopy) out.push({ name: m.Source, target: m.Target });
  }
  return out;
}

/** At start: a missing host directory of a `-v /src:/dst` bind is created, as dockerd does (`--mount` refuses it at create). */
export function createBindSources(hc: HostConfig): void {
  for (const b of hc.Binds ?? []) {
    const src = b.split(':')[0] ?? '';
    if (!src.startsWith('/')) continue;
    try { mkdirSync(resolve(src), { recursive: true, mode: 0o755 }); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; }
  }
}

/**
 * Before the container starts, with its rootfs and volumes mounted: an empty volume gets a
 * copy of what the image holds at its target (files, owners, modes; the directory's own
 * owner and mode too), as dockerd does on a volume's first use.
 */
export async function copyUpVolumes(rootfs: string, c: ContainerRecord, mountpoint: (name: string) => string): Promise<void> {
  for (const { name, target } of copyTargets(c.hostConfig)) {
    const src = insideRootfs(rootfs, target);
    if (!src) continue;
    const st = lstatSync(src);
    if (!st.isDirectory()) continue;
    const dir = mountpoint(name);
    mkdirSync(dir, { recursive: true });
    if (readdirSync(dir).length) continue;
    if (readdirSync(src).length) await run('cp', ['-a', '--', `${src}/.`, dir]);
    chownSync(dir, st.uid, st.gid);
    chmodSync(dir, st.mode & 0o7777);
  }
}

/** `rm -v` and `--rm`: the container's anonymous volumes that no other container uses (others are kept). */
export async function removeAnonymousVolumes(volumes: VolumeMounter | undefined, hc: HostConfig, containerId?: string): Promise<void> {
  for (const v of volumeNamesOf(hc)) await volumes?.removeAnonymous(v, containerId);
}
