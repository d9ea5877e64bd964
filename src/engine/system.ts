/**
 * SystemService: /version, /info and /system/df, built from the other services and
 * the host's facts, in Docker's shapes (SystemVersion, SystemInfo, SystemDataUsage).
 */
import { statfsSync } from 'node:fs';
import { API_VERSION, MIN_API_VERSION } from '../core/docker.js';
import { run } from '../platform/exec.js';
import { openFdCount, readHostFacts, type HostFacts } from '../platform/hostinfo.js';
import type { ContainerService, ImageService, SystemService } from './types.js';

export interface SystemDeps {
  images?: ImageService;
  containers?: ContainerService;
  volumes?: { usage(): Promise<unknown[]> | unknown[] };
  /** Number of /events listeners right now. */
  eventListeners?: () => number;
  id: string;
  version: string;
  gitCommit: string;
  buildTime: string;
  dataRoot: string;
  execRoot: string;
  instance: string;
  defaultRuntime: string;
  /** name -> binary path, e.g. { crun: '/usr/bin/crun', runc: '/usr/sbin/runc' }. */
  runtimes: Record<string, string>;
  debug: boolean;
  loggingDriver?: string;
  labels?: string[];
  /** Start-up warnings to show in /info (e.g. a runtime fallback). */
  warnings?: string[];
  /** The daemon remaps every container into a user namespace (--userns-remap). */
  userns?: boolean;
  host?: () => HostFacts;
  /** dockerd's seccomp profile name for /info: builtin (default), unconfined or the profile's path. */
  seccompProfile?: string;
}

const goArch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' };

export class HostSystemService implements SystemService {
  private readonly runtimeInfo = new Map<string, { version: string; commit: string }>();
  private facts?: HostFacts;

  constructor(private readonly d: SystemDeps) {}

  /** Asks each runtime binary for its version once (for /version and /info). */
  async probe(): Promise<void> {
    await Promise.all(
      Object.entries(this.d.runtimes).map(async ([name, path]) => {
        const r = await run(path, ['--version'], { allowFailure: true, timeoutMs: 5000 }).catch(() => undefined);
        const out = r?.stdout ?? '';
        const version = /version\s+([^\s]+)/i.exec(out)?.[1] ?? '';
        const commit = /commit:\s*([^\s]+)/i.exec(out)?.[1] ?? '';
        this.runtimeInfo.set(name, { version, commit });
      }),
    );
  }

  private host(): HostFacts {
    this.facts ??= (this.d.host ?? readHostFacts)();
    return this.facts;
  }

  version(): Record<string, unknown> {
    const h = this.host();
    const arch = goArch[process.arch] ?? process.arch;
    const base = {
      Version: this.d.version, ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION, GitCommit: this.d.gitCommit,
      GoVersion: `node ${process.version}`, Os: 'linux', Arch: arch, KernelVersion: h.kernelVersion, BuildTime: this.d.buildTime,
    };
    const components: Record<string, unknown>[] = [{
      Name: 'Engine', Version: this.d.version,
      Details: { ApiVersion: API_VERSION, Arch: arch, BuildTime: this.d.buildTime, Experimental: 'false', GitCommit: this.d.gitCommit,
        GoVersion: base.GoVersion, KernelVersion: h.kernelVersion, MinAPIVersion: MIN_API_VERSION, Os: 'linux' },
    }];
    for (const [name, ri] of this.runtimeInfo) {
      if (ri.version) components.push({ Name: name, Version: ri.version, Details: { GitCommit: ri.commit } });
    }
    return { Platform: { Name: 'hako' }, Components: components, ...base };
  }

  async info(): Promise<Record<string, unknown>> {
    const h = this.host();
    const counts = await this.containerCounts();
    const images = this.d.images ? (await this.d.images.list({ all: true })).length : 0;
    const commit = (n: string) => ({ ID: this.runtimeInfo.get(n)?.commit ?? '', Expected: this.runtimeInfo.get(n)?.commit ?? '' });
    return {
      ID: this.d.id, ...counts, Images: images,
      Driver: 'overlay2', DriverStatus: this.driverStatus(),
      Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'null'], Authorization: null, Log: [this.d.loggingDriver ?? 'json-file'] },
      MemoryLimit: h.limits.memory, SwapLimit: h.limits.swap, KernelMemoryTCP: false,
      CpuCfsPeriod: h.limits.cpuCfsPeriod, CpuCfsQuota: h.limits.cpuCfsQuota, CPUShares: h.limits.cpuShares,
      CPUSet: h.limits.cpuSet, PidsLimit: h.limits.pids, OomKillDisable: h.cgroupVersion === '1',
      IPv4Forwarding: h.ipv4Forwarding, BridgeNfIptables: false, BridgeNfIp6tables: false,
      Debug: this.d.debug, NFd: openFdCount(), NGoroutines: process.getActiveResourcesInfo().length,
      SystemTime: new Date().toISOString(), LoggingDriver: this.d.loggingDriver ?? 'json-file',
      CgroupDriver: 'cgroupfs', CgroupVersion: h.cgroupVersion, NEventsListener: this.d.eventListeners?.() ?? 0,
      KernelVersion: h.kernelVersion, OperatingSystem: h.operatingSystem, OSVersion: h.osVersion, OSType: 'linux',
      Architecture: h.architecture, IndexServerAddress: 'https://index.docker.io/v1/', RegistryConfig: registryConfig(),
      NCPU: h.ncpu, MemTotal: h.memTotal, GenericResources: null, DockerRootDir: this.d.dataRoot,
      HttpProxy: process.env.HTTP_PROXY ?? process.env.http_proxy ?? '', HttpsProxy: process.env.HTTPS_PROXY ?? process.env.https_proxy ?? '',
      NoProxy: process.env.NO_PROXY ?? process.env.no_proxy ?? '', Name: h.hostname, Labels: this.d.labels ?? [],
      ExperimentalBuild: false, ServerVersion: this.d.version,
      Runtimes: Object.fromEntries(Object.entries(this.d.runtimes).map(([n, p]) => [n, { path: p }])),
      DefaultRuntime: this.d.defaultRuntime,
      Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
      LiveRestoreEnabled: true, Isolation: '', InitBinary: '',
      ContainerdCommit: { ID: '', Expected: '' }, RuncCommit: commit(this.d.defaultRuntime), InitCommit: { ID: '', Expected: '' },
      SecurityOptions: [`name=seccomp,profile=${this.d.seccompProfile ?? 'builtin'}`, this.d.userns ? 'name=userns' : '', h.cgroupVersion === '2' ? 'name=cgroupns' : ''].filter(Boolean),
      DefaultAddressPools: [], CDISpecDirs: [], Warnings: orNull(this.warnings(h)),
    };
  }

  async df(): Promise<Record<string, unknown>> {
    const usage = this.d.images ? await this.d.images.usage() : { images: [], layersSize: 0 };
    const containers = this.d.containers ? await this.d.containers.list({ all: true, size: true }) : [];
    return { LayersSize: usage.layersSize, Images: usage.images, Containers: containers, Volumes: this.d.volumes ? await this.d.volumes.usage() : [], BuildCache: null };
  }

  private async containerCounts() {
    const list = this.d.containers ? await this.d.containers.list({ all: true }) : [];
    const by = (s: string) => list.filter((c) => c.State === s).length;
    const running = by('running') + by('restarting');
    const paused = by('paused');
    return { Containers: list.length, ContainersRunning: running, ContainersPaused: paused, ContainersStopped: list.length - running - paused };
  }

  private driverStatus(): [string, string][] {
    return [['Backing Filesystem', backingFs(this.d.dataRoot)], ['Supports d_type', 'true'], ['Using metacopy', 'false'],
      ['Native Overlay Diff', 'true'], ['userxattr', 'false']];
  }

  private warnings(h: HostFacts): string[] {
    const w = [...(this.d.warnings ?? [])];
    if ((this.d.seccompProfile ?? 'builtin') !== 'builtin') w.push('WARNING: daemon is not using the default seccomp profile');
    if (!h.limits.swap) w.push('WARNING: No swap limit support');
    if (!h.ipv4Forwarding) w.push('WARNING: IPv4 forwarding is disabled');
    return w;
  }
}

function registryConfig(): Record<string, unknown> {
  return {
    AllowNondistributableArtifactsCIDRs: [], AllowNondistributableArtifactsHostnames: [],
    InsecureRegistryCIDRs: ['127.0.0.0/8', '::1/128'],
    IndexConfigs: { 'docker.io': { Name: 'docker.io', Mirrors: [], Secure: true, Official: true } },
    Mirrors: [],
  };
}

/** dockerd sends null, not [], when there is no warning. */
function orNull(w: string[]): string[] | null {
  return w.length ? w : null;
}

const fsNames: Record<number, string> = { 0xef53: 'extfs', 0x58465342: 'xfs', 0x01021994: 'tmpfs', 0x9123683e: 'btrfs', 0x794c7630: 'overlayfs', 0x2fc12fc1: 'zfs' };
function backingFs(path: string): string {
  try {
    const t = statfsSync(path).type;
    return fsNames[t] ?? `0x${t.toString(16)}`;
  } catch {
    return '<unknown>';
  }
}
