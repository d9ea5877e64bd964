/** The mount list of a container's config.json: docker's defaults, etc files, binds, volumes, tmpfs. */
import { join, resolve } from 'node:path';
import type { HostConfig, Mount } from '../core/docker.js';
import { invalid } from '../core/errors.js';
import type { OciMount } from './spec-types.js';
import { DEFAULT_SHM_SIZE } from './spec-defaults.js';
import { parseSecurityOpts } from './seccomp.js';

export interface MountInput {
  hostConfig: HostConfig;
  /** Dir holding the container's hosts, hostname and resolv.conf files. */
  containerDir: string;
  /** Daemon root: named volumes live at <dataRoot>/volumes/<name>/_data. */
  dataRoot: string;
  /** The cgroup namespace is the host's: mount cgroupfs read-only all the same. */
  privileged: boolean;
}

export function volumePath(dataRoot: string, name: string): string {
  return join(dataRoot, 'volumes', name, '_data');
}

export function defaultMounts(hc: HostConfig): OciMount[] {
  const shm = hc.ShmSize && hc.ShmSize > 0 ? hc.ShmSize : DEFAULT_SHM_SIZE;
  const ro = hc.Privileged ? 'rw' : 'ro';
  // --security-opt writable-cgroups=true: dockerd clears the read-only flag of the cgroup mount only
  const cgroupRo = hc.Privileged || parseSecurityOpts(hc.SecurityOpt).writableCgroups ? 'rw' : 'ro';
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', ro] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', cgroupRo] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${shm}`] },
  ];
}

function etcMounts(containerDir: string): OciMount[] {
  return ['resolv.conf', 'hostname', 'hosts'].map((f) => ({
    destination: `/etc/${f}`, type: 'bind', source: join(containerDir, f), options: ['rbind', 'rprivate'],
  }));
}

const PROPAGATION = new Set(['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave']);

/** "-v src:dst[:opts]": src absolute = bind, otherwise a named volume. */
export function parseBind(spec: string, dataRoot: string): OciMount {
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3 || !parts[0] || !parts[1]) throw invalid(`invalid volume specification: '${spec}'`);
  const [src, dst, opts = ''] = parts as [string, string, string?];
  if (!dst.startsWith('/')) throw invalid(`invalid volume specification: '${spec}': invalid mount config for type "bind": invalid mount path: '${dst}' mount path must be absolute`);
  const source = src.startsWith('/') ? resolve(src) : volumePath(dataRoot, src);
  const options = ['rbind'];
  let prop = 'rprivate';
  for (const o of opts.split(',').filter(Boolean)) {
    if (o === 'ro' || o === 'rw') options.push(o);
    else if (PROPAGATION.has(o)) prop = o;
    else if (o === 'z' || o === 'Z' || o === 'nocopy') continue;
    else throw invalid(`invalid mode: ${o}`);
  }
  options.push(prop);
  return { destination: dst, type: 'bind', source, options };
}

export function parseTmpfs(dst: string, opts: string): OciMount {
  const options = ['nosuid', 'nodev', 'noexec', ...opts.split(',').filter(Boolean)];
  return { destination: dst, type: 'tmpfs', source: 'tmpfs', options };
}

/** A --mount entry. */
export function fromMount(m: Mount, dataRoot: string): OciMount {
  if (m.Type === 'bind' || m.Type === 'volume') {
    if (!m.Source && m.Type === 'bind') throw invalid('invalid mount config for type "bind": field Source must not be empty');
    const source = m.Type === 'bind' ? m.Source! : volumePath(dataRoot, m.Source!);
    const prop = m.BindOptions?.Propagation || 'rprivate';
    const rec = m.BindOptions?.NonRecursive ? 'bind' : 'rbind';
    return { destination: m.Target, type: 'bind', source, options: [rec, m.ReadOnly ? 'ro' : 'rw', prop] };
  }
  if (m.Type === 'tmpfs') {
    const o: string[] = [];
    if (m.TmpfsOptions?.SizeBytes) o.push(`size=${m.TmpfsOptions.SizeBytes}`);
    if (m.TmpfsOptions?.Mode) o.push(`mode=${m.TmpfsOptions.Mode.toString(8)}`);
    if (m.ReadOnly) o.push('ro');
    return { destination: m.Target, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', ...o] };
  }
  throw invalid(`mount type "${m.Type}" is not supported`);
}

/** All mounts: defaults, then etc files, then user mounts; a user mount replaces a default at the same path. */
export function buildMounts(inp: MountInput): OciMount[] {
  const hc = inp.hostConfig;
  const user: OciMount[] = [
    ...(hc.Binds ?? []).map((b) => parseBind(b, inp.dataRoot)),
    ...Object.entries(hc.Tmpfs ?? {}).map(([d, o]) => parseTmpfs(d, o)),
    ...(hc.Mounts ?? []).map((m) => fromMount(m, inp.dataRoot)),
  ];
  const taken = new Set(user.map((m) => m.destination.replace(/\/+$/, '') || '/'));
  const seen = new Set<string>();
  for (const m of user) {
    if (seen.has(m.destination)) throw invalid(`Duplicate mount point: ${m.destination}`);
    seen.add(m.destination);
  }
  const base = [...defaultMounts(hc), ...etcMounts(inp.containerDir)].filter((m) => !taken.has(m.destination));
  return [...base, ...user];
}
