/**
 * The two steps of a start that hand over to the runtime: the OCI bundle (config.json from
 * the record, the rootfs and the namespace plan) and conmon, which runs `<runtime> create`.
 */
import { existsSync, rmSync } from 'node:fs';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { conmonCreate, startError } from '../runtime/conmon.js';
import type { OciRuntime } from '../runtime/oci.js';
import { buildSpec, type NamespacePlan } from '../runtime/spec.js';
import type { OciSpec } from '../runtime/spec-types.js';
import { EngineError } from '../core/errors.js';
import type { DaemonSeccomp } from '../runtime/seccomp.js';
import type { SeccompBpfCache } from '../runtime/seccomp-cache.js';
import { readRootfsFile, type ContainerPaths } from './containers-host.js';
import type { ContainerRecord } from './containers-store.js';
import { ownForContainer, type IdMapping } from './userns.js';
import { hostDevices } from './containers-devices.js';

export interface BundleHost {
  paths: ContainerPaths;
  o: { dataRoot: string; instance: string; seccomp?: DaemonSeccomp };
  seccompBpf: SeccompBpfCache;
  runtimeFor(c: ContainerRecord): OciRuntime;
}

/**
 * Writes <bundle>/config.json (and creates the named volumes' dirs the spec binds, owned by
 * the mapped root under a user namespace). Returns the seccomp cache key to learn after
 * create when crun compiles the filter this time.
 */
export async function writeBundle(svc: BundleHost, c: ContainerRecord, rootfs: string, ns: NamespacePlan, idmap?: IdMapping): Promise<string | undefined> {
  const spec = buildSpec({
    id: c.id, config: c.config, hostConfig: c.hostConfig, image: { architecture: '', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config: {} },
    rootfs, containerDir: svc.paths.dir(c.id), dataRoot: svc.o.dataRoot, instance: svc.o.instance, namespaces: ns,
    passwd: readRootfsFile(rootfs, 'etc/passwd'), group: readRootfsFile(rootfs, 'etc/group'), seccomp: svc.o.seccomp,
    userns: idmap && { uids: idmap.uids, gids: idmap.gids },
  });
  spec.process.args = [c.path, ...c.args];
  if (c.hostConfig.Init) withInit(spec);
  if (c.hostConfig.Privileged && !idmap) spec.linux.devices = [...hostDevices(), ...(spec.linux.devices ?? [])];
  if (c.hostConfig.Devices?.length) await addDevices(spec, c.hostConfig.Devices);
  const vols = spec.mounts.filter((m) => m.type === 'bind' && m.source?.startsWith(join(svc.o.dataRoot, 'volumes'))).map((m) => m.source!);
  await Promise.all(vols.map((v) => mkdir(v, { recursive: true })));
  if (idmap) ownForContainer(svc.paths.dir(c.id), vols, idmap);
  const bpfKey = svc.seccompBpf.prepare(spec, svc.runtimeFor(c).name);
  await mkdir(svc.paths.bundle(c.id), { recursive: true });
  await writeFile(join(svc.paths.bundle(c.id), 'config.json'), JSON.stringify(spec));
  return bpfKey;
}

/** The static tini docker's --init runs as PID 1: Debian's docker-init (tini package) or tini-static. */
const INIT_CANDIDATES = ['/usr/bin/docker-init', '/usr/libexec/docker/docker-init', '/usr/bin/tini-static'];
let initBinary: string | undefined;

/** --init, as dockerd: the init bind-mounted read-only at /sbin/docker-init, the command after `--`. */
function withInit(spec: OciSpec): void {
  initBinary ??= INIT_CANDIDATES.find((p) => existsSync(p));
  if (!initBinary) throw new EngineError('FailedPrecondition', 'exec: "docker-init": executable file not found in $PATH (install the tini package)');
  spec.process.args = ['/sbin/docker-init', '--', ...spec.process.args];
  spec.mounts.push({ destination: '/sbin/docker-init', type: 'bind', source: initBinary, options: ['bind', 'ro'] });
}

/**
 * --device HOST[:CONTAINER[:PERMS]], as dockerd: the host node's type and numbers made in
 * the container's /dev (linux.devices) and allowed in its device cgroup.
 */
async function addDevices(spec: OciSpec, devices: { PathOnHost?: string; PathInContainer?: string; CgroupPermissions?: string }[]): Promise<void> {
  for (const d of devices) {
    const host = d.PathOnHost ?? '';
    const st = await stat(host).catch((e: NodeJS.ErrnoException) => {
      throw new EngineError('InvalidArgument', `error gathering device information while adding custom device "${host}": ${e.code === 'ENOENT' ? 'no such file or directory' : e.message}`);
    });
    if (!st.isCharacterDevice() && !st.isBlockDevice()) throw new EngineError('InvalidArgument', `error gathering device information while adding custom device "${host}": not a device node`);
    const type: 'c' | 'b' = st.isCharacterDevice() ? 'c' : 'b';
    const major = Number((BigInt(st.rdev) >> 8n) & 0xfffn | ((BigInt(st.rdev) >> 32n) & ~0xfffn));
    const minor = Number((BigInt(st.rdev) & 0xffn) | ((BigInt(st.rdev) >> 12n) & ~0xffn));
    spec.linux.devices = [...(spec.linux.devices ?? []), { path: d.PathInContainer || host, type, major, minor, fileMode: st.mode & 0o7777, uid: 0, gid: 0 }];
    const res = (spec.linux.resources ??= {});
    res.devices = [...(res.devices ?? []), { allow: true, type, major, minor, access: d.CgroupPermissions || 'rwm' }];
  }
}

/** conmon + `<runtime> create`: resolves with the container's pid, its init waiting to be started. */
export function launch(svc: BundleHost, c: ContainerRecord): Promise<{ pid: number }> {
  rmSync(join(svc.paths.exitDir, c.id), { force: true });
  rmSync(svc.paths.persist(c.id), { recursive: true, force: true });
  return conmonCreate(svc.runtimeFor(c), {
    id: c.id, name: c.name, bundle: svc.paths.bundle(c.id), logPath: svc.paths.logPath(c.id), exitDir: svc.paths.exitDir,
    persistDir: svc.paths.persist(c.id), tty: !!c.config.Tty, openStdin: !!c.config.OpenStdin, stdinOnce: !!c.config.StdinOnce,
    logSizeMax: logSizeMax(c.hostConfig.LogConfig?.Config ?? {}),
  }).catch((e) => { throw startError(e, c.path); });
}

/**
 * json-file's max-size and max-file as one bound for conmon's log: max-size × max-file
 * bytes on disk, as dockerd keeps. conmon starts the file afresh when it is reached (dockerd
 * keeps the older max-file - 1 files readable), so less history survives a rotation.
 */
export function logSizeMax(opts: Record<string, string>): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)b?$/i.exec((opts['max-size'] ?? '').trim());
  if (!m) return undefined;
  const size = Number(m[1]) * 1024 ** ' kmg'.indexOf((m[2] || ' ').toLowerCase());
  const files = Math.max(1, Number(opts['max-file'] ?? 1) || 1);
  return Math.floor(size * files);
}
