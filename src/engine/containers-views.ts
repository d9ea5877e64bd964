/** Docker's JSON shapes for a container: ContainerJSON (inspect) and the list summary. */
import type { HostConfig } from '../core/docker.js';
import { ZERO_TIME, type ContainerRecord } from './containers-store.js';
import type { ContainerPaths } from './containers-host.js';
import { networksView } from './containers-networks.js';
import { requestedMounts } from './containers-volumes.js';

export function withHostConfigDefaults(hc: HostConfig): Record<string, unknown> {
  const d = hostConfigDefaults();
  const out: Record<string, unknown> = { ...d, ...hc };
  // The docker CLI sends these keys empty; dockerd fills its defaults in at create.
  for (const k of ['IpcMode', 'CgroupnsMode', 'NetworkMode', 'Runtime'] as const) if (!out[k]) out[k] = d[k];
  if (!out.ShmSize) out.ShmSize = d.ShmSize;
  if (!(out.LogConfig as { Type?: string } | null)?.Type) out.LogConfig = d.LogConfig;
  for (const k of ['MaskedPaths', 'ReadonlyPaths'] as const) if (out[k] === null) out[k] = d[k];
  return out;
}

function hostConfigDefaults(): Record<string, unknown> {
  return {
    // json-file: the driver /info names; clients (docker-py's run) read logs back only for json-file or journald.
    Binds: null, ContainerIDFile: '', LogConfig: { Type: 'json-file', Config: {} }, NetworkMode: 'default', PortBindings: null,
    RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, AutoRemove: false, VolumeDriver: '', VolumesFrom: null,
    ConsoleSize: [0, 0], CapAdd: null, CapDrop: null, CgroupnsMode: 'host', Dns: null, DnsOptions: null, DnsSearch: null,
    ExtraHosts: null, GroupAdd: null, IpcMode: 'private', Cgroup: '', Links: null, OomScoreAdj: 0, PidMode: '',
    Privileged: false, PublishAllPorts: false, ReadonlyRootfs: false, SecurityOpt: null, UTSMode: '', UsernsMode: '',
    ShmSize: 67108864, Runtime: 'runc', Isolation: '', CpuShares: 0, Memory: 0, NanoCpus: 0, CgroupParent: '',
    BlkioWeight: 0, BlkioWeightDevice: null, BlkioDeviceReadBps: null, BlkioDeviceWriteBps: null, BlkioDeviceReadIOps: null,
    BlkioDeviceWriteIOps: null, CpuPeriod: 0, CpuQuota: 0, CpuRealtimePeriod: 0, CpuRealtimeRuntime: 0, CpusetCpus: '', CpusetMems: '',
    Devices: null, DeviceCgroupRules: null, DeviceRequests: null, KernelMemory: 0, KernelMemoryTCP: 0, MemoryReservation: 0,
    MemorySwap: 0, MemorySwappiness: null, OomKillDisable: false, PidsLimit: null, Ulimits: null, CpuCount: 0, CpuPercent: 0,
    IOMaximumIOps: 0, IOMaximumBandwidth: 0, Mounts: undefined, Init: undefined,
    MaskedPaths: ['/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
      '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap'],
    ReadonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
  };
}

function mountsOf(c: ContainerRecord, dataRoot: string) {
  const out: Record<string, unknown>[] = [];
  for (const b of c.hostConfig.Binds ?? []) {
    const [src = '', dst = '', mode = ''] = b.split(':');
    const vol = !src.startsWith('/');
    out.push({ Type: vol ? 'volume' : 'bind', ...(vol ? { Name: src, Driver: 'local' } : {}), Source: vol ? `${dataRoot}/volumes/${src}/_data` : src,
      Destination: dst, Mode: mode, RW: !mode.split(',').includes('ro'), Propagation: vol ? '' : 'rprivate' });
  }
  const implicit = new Set(c.implicitMounts ?? []);
  for (const m of c.hostConfig.Mounts ?? []) {
    if (m.Type === 'volume') {
      // dockerd: Mode "z" for --mount, "" for an image VOLUME or -v /path.
      out.push({ Type: 'volume', Name: m.Source ?? '', Source: `${dataRoot}/volumes/${m.Source}/_data`, Destination: m.Target, Driver: 'local',
        Mode: implicit.has(m.Target) ? '' : 'z', RW: !m.ReadOnly, Propagation: '' });
      continue;
    }
    out.push({ Type: m.Type, Source: m.Source ?? '', Destination: m.Target, Mode: '', RW: !m.ReadOnly, Propagation: m.Type === 'bind' ? 'rprivate' : '' });
  }
  return out;
}

function networkSettings(c: ContainerRecord) {
  const nets = networksView(c) as Record<string, Record<string, unknown>>;
  // dockerd fills the top-level (legacy) fields from the default "bridge" network only.
  const primary = nets.bridge ?? {};
  return {
    Bridge: '', SandboxID: c.state.Running ? c.id : '', HairpinMode: false, LinkLocalIPv6Address: '', LinkLocalIPv6PrefixLen: 0,
    // A stopped container publishes nothing: dockerd shows {} (and ps no ports) once it ends.
    Ports: live(c) ? c.network.ports ?? {} : {}, SandboxKey: c.network.sandboxKey ?? '', SecondaryIPAddresses: null, SecondaryIPv6Addresses: null,
    EndpointID: primary.EndpointID ?? '', Gateway: primary.Gateway ?? '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0,
    IPAddress: primary.IPAddress ?? '', IPPrefixLen: primary.IPPrefixLen ?? 0, IPv6Gateway: '', MacAddress: primary.MacAddress ?? '',
    Networks: nets,
  };
}

export function inspectView(c: ContainerRecord, p: ContainerPaths, runtime: string, execIds: string[]): Record<string, unknown> {
  const dir = p.dir(c.id);
  return {
    Id: c.id, Created: c.created, Path: c.path, Args: c.args,
    State: { ...c.state, Health: undefined },
    Image: c.imageId, ResolvConfPath: `${dir}/resolv.conf`, HostnamePath: `${dir}/hostname`, HostsPath: `${dir}/hosts`,
    LogPath: p.logPath(c.id), Name: `/${c.name}`, RestartCount: c.restartCount, Driver: 'overlay2', Platform: 'linux',
    MountLabel: '', ProcessLabel: '', AppArmorProfile: '', ExecIDs: execIds.length ? execIds : null,
    // dockerd fills HostConfig.Runtime at the first start; a never-started container has none.
    HostConfig: withHostConfigDefaults({ ...c.hostConfig, Mounts: requestedMounts(c), Runtime: c.hostConfig.Runtime || (c.state.StartedAt === ZERO_TIME ? undefined : runtime) }),
    GraphDriver: { Name: 'overlay2', Data: { LowerDir: [...c.layerDirs].reverse().join(':'), UpperDir: `${dir}/upper`, WorkDir: `${dir}/work`, MergedDir: `${dir}/merged` } },
    Mounts: mountsOf(c, p.dataRoot), Config: configView(c), NetworkSettings: networkSettings(c),
  };
}

/** Config as dockerd shows it: no ExposedPorts key when there are none, Volumes null when empty. */
function configView(c: ContainerRecord): Record<string, unknown> {
  const { ExposedPorts, Volumes, ...rest } = c.config;
  const has = (o: object | null | undefined) => !!o && Object.keys(o).length > 0;
  return { ...rest, ...(has(ExposedPorts) ? { ExposedPorts } : {}), Volumes: has(Volumes) ? Volumes : null };
}

/** "Up 3 seconds", "Exited (0) 2 seconds ago", "Restarting (1) 1 second ago", "Created". */
export function statusText(c: ContainerRecord, now = Date.now()): string {
  const s = c.state;
  if (s.Status === 'created') return 'Created';
  if (s.Status === 'removing') return 'Removal In Progress';
  if (s.Status === 'dead') return 'Dead';
  if (s.Running) return `Up ${humanDuration(now - Date.parse(s.StartedAt))}${s.Paused ? ' (Paused)' : ''}`;
  if (s.Status === 'restarting' || s.Restarting) return `Restarting (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
  return `Exited (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
}

/** docker's units.HumanDuration: seconds and minutes truncated, hours rounded, longer spans by integer division. */
export function humanDuration(ms: number): string {
  const sec = Math.floor(ms / 1000);
  if (sec < 1) return 'Less than a second';
  if (sec === 1) return '1 second';
  if (sec < 60) return `${sec} seconds`;
  const min = Math.floor(sec / 60);
  if (min === 1) return 'About a minute';
  if (min < 60) return `${min} minutes`;
  const h = Math.floor(ms / 3_600_000 + 0.5);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.floor(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.floor(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24 / 30)} months`;
  return `${Math.floor(ms / 3_600_000 / 24 / 365)} years`;
}

export function summaryView(c: ContainerRecord, dataRoot: string): Record<string, unknown> {
  const cmd = [c.path, ...c.args].map((a) => (a.includes(' ') ? `"${a}"` : a)).join(' ');
  return {
    Id: c.id, Names: [`/${c.name}`], Image: c.config.Image ?? '', ImageID: c.imageId, Command: cmd,
    Created: Math.floor(Date.parse(c.created) / 1000), Ports: portsList(c), Labels: c.config.Labels ?? {},
    State: c.state.Status, Status: statusText(c), HostConfig: { NetworkMode: c.hostConfig.NetworkMode || 'default' },
    NetworkSettings: { Networks: networksView(c) }, Mounts: mountsOf(c, dataRoot),
  };
}

const live = (c: ContainerRecord) => c.state.Running || c.state.Paused;

function portsList(c: ContainerRecord) {
  const out: Record<string, unknown>[] = [];
  if (!live(c)) return out;
  for (const [k, binds] of Object.entries((c.network.ports ?? {}) as Record<string, { HostIp?: string; HostPort?: string }[] | null>)) {
    const [port, type = 'tcp'] = k.split('/');
    if (!binds) { out.push({ PrivatePort: Number(port), Type: type }); continue; }
    for (const b of binds) out.push({ IP: b.HostIp || '0.0.0.0', PrivatePort: Number(port), PublicPort: Number(b.HostPort), Type: type });
  }
  return out;
}
