/**
 * Builds an OCI runtime config.json from a container's docker config, host config and
 * image config. Pure: every host fact it needs (passwd/group text, namespace paths)
 * comes in through SpecInput, so it is tested without root.
 * linux.seccomp comes from seccomp.ts (hako's default profile unless told otherwise).
 */
import type { ContainerConfig, HostConfig } from '../core/docker.js';
import type { ImageConfig } from '../core/oci.js';
import { invalid } from '../core/errors.js';
import type { OciIdMapping, OciNamespace, OciResources, OciRlimit, OciSpec } from './spec-types.js';
import { ALL_CAPS, DEFAULT_CAPS, DEFAULT_DEVICE_RULES, DEFAULT_NOFILE, DEFAULT_PATH, MASKED_PATHS, READONLY_PATHS } from './spec-defaults.js';
import { resolveUser } from './spec-user.js';
import { buildMounts } from './spec-mounts.js';
import { hostBoundingCaps } from './caps-host.js';
import { parseSecurityOpts, seccompFor, type DaemonSeccomp } from './seccomp.js';
import { usernsMounts } from './spec-userns.js';

export type NsType = OciNamespace['type'];
/** Per namespace: absent = a new one, 'host' = the host's, otherwise the path to join. */
export type NamespacePlan = Partial<Record<NsType, 'host' | string>>;

export interface SpecInput {
  id: string;
  config: ContainerConfig;
  hostConfig: HostConfig;
  image: ImageConfig;
  /** Merged rootfs path (the overlay mount point). */
  rootfs: string;
  containerDir: string;
  dataRoot: string;
  /** Daemon instance name: the parent of container cgroups. */
  instance: string;
  namespaces: NamespacePlan;
  /** Text of the rootfs's /etc/passwd and /etc/group ('' when absent). */
  passwd: string;
  group: string;
  /** The daemon's seccomp profile (`hakod --seccomp-profile`); default: hako's builtin one. */
  seccomp?: DaemonSeccomp;
  /** A new user namespace with these mappings (userns remap); absent = the host's. */
  userns?: { uids: OciIdMapping[]; gids: OciIdMapping[] };
}

const strs = (v: string[] | string | null | undefined): string[] | undefined =>
  v === undefined || v === null ? undefined : typeof v === 'string' ? [v] : v;

/** Path and Args as docker computes them: Entrypoint (container's else image's) + Cmd (container's, else image's unless Entrypoint was overridden). */
export function resolveCommand(c: ContainerConfig, img: ImageConfig): string[] {
  const ic = img.config ?? {};
  const ep = strs(c.Entrypoint);
  const entry = ep ?? strs(ic.Entrypoint) ?? [];
  const cmd = strs(c.Cmd) ?? (ep ? [] : strs(ic.Cmd) ?? []);
  const args = [...entry, ...cmd];
  if (args.length === 0) throw invalid('No command specified');
  return args;
}

/** Image env, then container env (same key replaces), PATH default, HOSTNAME, TERM for a tty. */
export function buildEnv(c: ContainerConfig, img: ImageConfig, hostname: string): string[] {
  const env = new Map<string, string>();
  const put = (kv: string) => { const i = kv.indexOf('='); env.set(i < 0 ? kv : kv.slice(0, i), kv); };
  put(`PATH=${DEFAULT_PATH}`);
  put(`HOSTNAME=${hostname}`);
  if (c.Tty) put('TERM=xterm');
  for (const kv of img.config?.Env ?? []) put(kv);
  for (const kv of c.Env ?? []) if (kv.includes('=')) put(kv);
  return [...env.values()];
}

const capName = (c: string) => { const u = c.toUpperCase(); return u.startsWith('CAP_') ? u : `CAP_${u}`; };

export function buildCaps(hc: HostConfig): string[] {
  if (hc.Privileged) return [...hostBoundingCaps()];
  const add = (hc.CapAdd ?? []).map(capName);
  const drop = (hc.CapDrop ?? []).map(capName);
  let caps = add.includes('CAP_ALL') ? [...hostBoundingCaps()] : [...DEFAULT_CAPS];
  if (drop.includes('CAP_ALL')) caps = [];
  for (const a of add) if (a !== 'CAP_ALL' && !caps.includes(a)) caps.push(a);
  for (const d of drop) if (d !== 'CAP_ALL' && !add.includes(d)) caps = caps.filter((x) => x !== d);
  for (const x of [...add, ...drop]) if (x !== 'CAP_ALL' && !ALL_CAPS.includes(x)) throw invalid(`invalid capability: ${x.slice(4)}`);
  return caps;
}

export function buildRlimits(hc: HostConfig): OciRlimit[] {
  const out = new Map<string, OciRlimit>();
  out.set('RLIMIT_NOFILE', { type: 'RLIMIT_NOFILE', ...DEFAULT_NOFILE });
  for (const u of hc.Ulimits ?? []) {
    const type = `RLIMIT_${u.Name.toUpperCase()}`;
    out.set(type, { type, soft: u.Soft, hard: u.Hard });
  }
  return [...out.values()];
}

export function buildNamespaces(plan: NamespacePlan, hc: HostConfig, userns = false): OciNamespace[] {
  const types: NsType[] = [...(userns ? ['user' as const] : []), 'mount', 'network', 'uts', 'ipc', 'pid'];
  if (hc.CgroupnsMode !== 'host') types.push('cgroup');
  const out: OciNamespace[] = [];
  for (const type of types) {
    const p = plan[type];
    if (p === 'host') continue;
    out.push(p ? { type, path: p } : { type });
  }
  return out;
}

/** linux.resources from HostConfig (also used for live `update`). */
export function buildResources(hc: HostConfig, devices = true): OciResources {
  const r: OciResources = {};
  if (devices) r.devices = hc.Privileged ? [{ allow: true, access: 'rwm' }] : [...DEFAULT_DEVICE_RULES];
  const cpu: NonNullable<OciResources['cpu']> = {};
  if (hc.CpuShares) cpu.shares = hc.CpuShares;
  if (hc.NanoCpus) { cpu.period = 100000; cpu.quota = Math.round((hc.NanoCpus / 1e9) * 100000); }
  if (hc.CpuPeriod) cpu.period = hc.CpuPeriod;
  if (hc.CpuQuota) cpu.quota = hc.CpuQuota;
  if (hc.CpusetCpus) cpu.cpus = hc.CpusetCpus;
  if (hc.CpusetMems) cpu.mems = hc.CpusetMems;
  if (Object.keys(cpu).length) r.cpu = cpu;
  const mem: NonNullable<OciResources['memory']> = {};
  if (hc.Memory) mem.limit = hc.Memory;
  if (hc.MemoryReservation) mem.reservation = hc.MemoryReservation;
  if (hc.MemorySwap) mem.swap = hc.MemorySwap;
  else if (hc.Memory) mem.swap = hc.Memory * 2; // docker: swap defaults to twice the memory
  if (hc.MemorySwappiness !== undefined && hc.MemorySwappiness !== null && hc.MemorySwappiness >= 0) mem.swappiness = hc.MemorySwappiness;
  if (hc.OomKillDisable) mem.disableOOMKiller = true;
  if (Object.keys(mem).length) r.memory = mem;
  if (hc.PidsLimit && hc.PidsLimit > 0) r.pids = { limit: hc.PidsLimit };
  if (hc.BlkioWeight) r.blockIO = { weight: hc.BlkioWeight };
  return r;
}

export function cgroupsPath(instance: string, id: string, parent?: string): string {
  const p = (parent || instance).replace(/^\/+|\/+$/g, '');
  return `/${p}/${id}`;
}

export function hostnameOf(c: ContainerConfig, id: string): string {
  return c.Hostname || id.slice(0, 12);
}

export function buildSpec(inp: SpecInput): OciSpec {
  const { config: c, hostConfig: hc, image: img } = inp;
  const hostname = hostnameOf(c, inp.id);
  const user = resolveUser(c.User || img.config?.User, inp.passwd, inp.group, hc.GroupAdd ?? []);
  const caps = buildCaps(hc);
  const seccomp = seccompFor(hc, caps, inp.seccomp);
  const [h, w] = hc.ConsoleSize ?? [0, 0];
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: !!c.Tty,
      ...(c.Tty && h && w ? { consoleSize: { height: h, width: w } } : {}),
      user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
      args: resolveCommand(c, img),
      env: buildEnv(c, img, hostname),
      cwd: c.WorkingDir || img.config?.WorkingDir || '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits: buildRlimits(hc),
      noNewPrivileges: parseSecurityOpts(hc.SecurityOpt).noNewPrivileges,
      ...(hc.OomScoreAdj ? { oomScoreAdj: hc.OomScoreAdj } : {}),
    },
    root: { path: inp.rootfs, readonly: !!hc.ReadonlyRootfs },
    ...(inp.namespaces.uts === undefined ? { hostname } : {}),
    mounts: ((ms) => (inp.userns ? usernsMounts(ms, { netnsJoined: !!inp.namespaces.network && !inp.namespaces.user, hostIpc: inp.namespaces.ipc === 'host' }) : ms))(buildMounts({ hostConfig: hc, containerDir: inp.containerDir, dataRoot: inp.dataRoot, privileged: !!hc.Privileged })),
    linux: {
      namespaces: buildNamespaces(inp.namespaces, hc, !!inp.userns),
      ...(inp.userns ? { uidMappings: inp.userns.uids, gidMappings: inp.userns.gids } : {}),
      resources: buildResources(hc),
      cgroupsPath: cgroupsPath(inp.instance, inp.id, hc.CgroupParent),
      sysctl: { ...(hc.Sysctls ?? {}) },
      maskedPaths: hc.Privileged ? [] : hc.MaskedPaths ?? MASKED_PATHS,
      readonlyPaths: hc.Privileged ? [] : hc.ReadonlyPaths ?? READONLY_PATHS,
      rootfsPropagation: 'rprivate',
      ...(seccomp ? { seccomp } : {}),
    },
  };
}
