/**
 * docker's `run`/`create` option list as its --help shows it (type names, wording, defaults),
 * applied over hako's flag specs; and the container options docker has beyond the shared
 * list in flags.ts, with what each sets in the create body. The daemon decides what it honours.
 */
import { readFileSync } from 'node:fs';
import type { ContainerCreateBody } from '../../core/docker.js';
import type { FlagSpec, FlagValues } from '../flags.js';
import { ramInBytes } from '../render/units.js';
import { parseGoDuration } from '../render/time.js';

/** name -> [type shown, description, default shown]. */
const HELP: Record<string, [string, string, string?]> = {
  'add-host': ["list", "Add a custom host-to-IP mapping (host:ip)"],
  'annotation': ["map", "Add an annotation to the container (passed through to the OCI runtime)", "map[]"],
  'attach': ["list", "Attach to STDIN, STDOUT or STDERR"],
  'blkio-weight': ["uint16", "Block IO (relative weight), between 10 and 1000, or 0 to disable", "0"],
  'blkio-weight-device': ["list", "Block IO weight (relative device weight)", "[]"],
  'cap-add': ["list", "Add Linux capabilities"],
  'cap-drop': ["list", "Drop Linux capabilities"],
  'cgroup-parent': ["string", "Optional parent cgroup for the container"],
  'cgroupns': ["string", "Cgroup namespace to use (host|private)\n'host':    Run the container in the hako host's cgroup namespace\n'private': Run the container in its own private cgroup namespace\n'':        Use the cgroup namespace as configured by the\n           default-cgroupns-mode option on the daemon (default)"],
  'cidfile': ["string", "Write the container ID to the file"],
  'cpu-count': ["int", "CPU count (Windows only)"],
  'cpu-percent': ["int", "CPU percent (Windows only)"],
  'cpu-period': ["int", "Limit CPU CFS (Completely Fair Scheduler) period"],
  'cpu-quota': ["int", "Limit CPU CFS (Completely Fair Scheduler) quota"],
  'cpu-rt-period': ["int", "Limit CPU real-time period in microseconds"],
  'cpu-rt-runtime': ["int", "Limit CPU real-time runtime in microseconds"],
  'cpu-shares': ["int", "CPU shares (relative weight)"],
  'cpus': ["decimal", "Number of CPUs"],
  'cpuset-cpus': ["string", "CPUs in which to allow execution (0-3, 0,1)"],
  'cpuset-mems': ["string", "MEMs in which to allow execution (0-3, 0,1)"],
  'detach': ["", "Run container in background and print container ID"],
  'detach-keys': ["string", "Override the key sequence for detaching a container"],
  'device': ["list", "Add a host device to the container"],
  'device-cgroup-rule': ["list", "Add a rule to the cgroup allowed devices list"],
  'device-read-bps': ["list", "Limit read rate (bytes per second) from a device", "[]"],
  'device-read-iops': ["list", "Limit read rate (IO per second) from a device", "[]"],
  'device-write-bps': ["list", "Limit write rate (bytes per second) to a device", "[]"],
  'device-write-iops': ["list", "Limit write rate (IO per second) to a device", "[]"],
  'disable-content-trust': ["", "Skip image verification", "true"],
  'dns': ["list", "Set custom DNS servers"],
  'dns-option': ["list", "Set DNS options"],
  'dns-search': ["list", "Set custom DNS search domains"],
  'domainname': ["string", "Container NIS domain name"],
  'entrypoint': ["string", "Overwrite the default ENTRYPOINT of the image"],
  'env': ["list", "Set environment variables"],
  'env-file': ["list", "Read in a file of environment variables"],
  'expose': ["list", "Expose a port or a range of ports"],
  'gpus': ["gpu-request", "GPU devices to add to the container ('all' to pass all GPUs)"],
  'group-add': ["list", "Add additional groups to join"],
  'health-cmd': ["string", "Command to run to check health"],
  'health-interval': ["duration", "Time between running the check (ms|s|m|h)", "0s"],
  'health-retries': ["int", "Consecutive failures needed to report unhealthy"],
  'health-start-interval': ["duration", "Time between running the check during the start period (ms|s|m|h)", "0s"],
  'health-start-period': ["duration", "Start period for the container to initialize before starting health-retries countdown (ms|s|m|h)", "0s"],
  'health-timeout': ["duration", "Maximum time to allow one check to run (ms|s|m|h)", "0s"],
  'help': ["", "Print usage"],
  'hostname': ["string", "Container host name"],
  'init': ["", "Run an init inside the container that forwards signals and reaps processes"],
  'interactive': ["", "Keep STDIN open even if not attached"],
  'io-maxbandwidth': ["bytes", "Maximum IO bandwidth limit for the system drive (Windows only)"],
  'io-maxiops': ["uint", "Maximum IOps limit for the system drive (Windows only)"],
  'ip': ["string", "IPv4 address (e.g., 172.30.100.104)"],
  'ip6': ["string", "IPv6 address (e.g., 2001:db8::33)"],
  'ipc': ["string", "IPC mode to use"],
  'isolation': ["string", "Container isolation technology"],
  'kernel-memory': ["bytes", "Kernel memory limit"],
  'label': ["list", "Set meta data on a container"],
  'label-file': ["list", "Read in a line delimited file of labels"],
  'link': ["list", "Add link to another container"],
  'link-local-ip': ["list", "Container IPv4/IPv6 link-local addresses"],
  'log-driver': ["string", "Logging driver for the container"],
  'log-opt': ["list", "Log driver options"],
  'mac-address': ["string", "Container MAC address (e.g., 92:d0:c6:0a:29:33)"],
  'memory': ["bytes", "Memory limit"],
  'memory-reservation': ["bytes", "Memory soft limit"],
  'memory-swap': ["bytes", "Swap limit equal to memory plus swap: '-1' to enable unlimited swap"],
  'memory-swappiness': ["int", "Tune container memory swappiness (0 to 100)", "-1"],
  'mount': ["mount", "Attach a filesystem mount to the container"],
  'name': ["string", "Assign a name to the container"],
  'network': ["network", "Connect a container to a network"],
  'network-alias': ["list", "Add network-scoped alias for the container"],
  'no-healthcheck': ["", "Disable any container-specified HEALTHCHECK"],
  'oom-kill-disable': ["", "Disable OOM Killer"],
  'oom-score-adj': ["int", "Tune host's OOM preferences (-1000 to 1000)"],
  'pid': ["string", "PID namespace to use"],
  'pids-limit': ["int", "Tune container pids limit (set -1 for unlimited)"],
  'platform': ["string", "Set platform if server is multi-platform capable"],
  'privileged': ["", "Give extended privileges to this container"],
  'publish': ["list", "Publish a container's port(s) to the host"],
  'publish-all': ["", "Publish all exposed ports to random ports"],
  'pull': ["string", "Pull image before running (\"always\", \"missing\", \"never\")", "\"missing\""],
  'quiet': ["", "Suppress the pull output"],
  'read-only': ["", "Mount the container's root filesystem as read only"],
  'restart': ["string", "Restart policy to apply when a container exits", "\"no\""],
  'rm': ["", "Automatically remove the container and its associated anonymous volumes when it exits"],
  'runtime': ["string", "Runtime to use for this container"],
  'security-opt': ["list", "Security Options"],
  'shm-size': ["bytes", "Size of /dev/shm"],
  'sig-proxy': ["", "Proxy received signals to the process", "true"],
  'stop-signal': ["string", "Signal to stop the container"],
  'stop-timeout': ["int", "Timeout (in seconds) to stop a container"],
  'storage-opt': ["list", "Storage driver options for the container"],
  'sysctl': ["map", "Sysctl options", "map[]"],
  'tmpfs': ["list", "Mount a tmpfs directory"],
  'tty': ["", "Allocate a pseudo-TTY"],
  'ulimit': ["ulimit", "Ulimit options", "[]"],
  'use-api-socket': ["", "Bind mount hako API socket and required auth"],
  'user': ["string", "Username or UID (format: <name|uid>[:<group|gid>])"],
  'userns': ["string", "User namespace to use"],
  'uts': ["string", "UTS namespace to use"],
  'volume': ["list", "Bind mount a volume"],
  'volume-driver': ["string", "Optional volume driver for the container"],
  'volumes-from': ["list", "Mount volumes from the specified container(s)"],
  'workdir': ["string", "Working directory inside the container"],
};

/** hako's specs with docker's help wording; unknown names keep their own. */
export function dockerHelp(specs: FlagSpec[]): FlagSpec[] {
  return specs.map((s) => {
    const h = HELP[s.name];
    if (!h || s.hidden) return s;
    return { ...s, meta: h[0] || undefined, desc: h[1], helpDefault: h[2] ?? '' };
  });
}

const s = (name: string): FlagSpec => ({ name, type: 'string', desc: '' });
const l = (name: string): FlagSpec => ({ name, type: 'list', desc: '' });
const i = (name: string): FlagSpec => ({ name, type: 'int', desc: '' });

/** Options docker's run and create take beyond CONTAINER_FLAGS. */
export const EXTRA_CONTAINER_FLAGS: FlagSpec[] = [
  l('annotation'), i('blkio-weight'), l('blkio-weight-device'), s('cgroup-parent'), i('cpu-count'), i('cpu-percent'),
  i('cpu-rt-period'), i('cpu-rt-runtime'), l('device-cgroup-rule'), l('device-read-bps'), l('device-read-iops'),
  l('device-write-bps'), l('device-write-iops'), { name: 'disable-content-trust', type: 'bool', desc: '', default: true },
  s('gpus'), s('health-start-interval'), s('io-maxbandwidth'), i('io-maxiops'), s('ip6'), s('isolation'), s('kernel-memory'),
  l('label-file'), l('link'), l('link-local-ip'), { ...i('memory-swappiness'), default: -1 }, i('oom-score-adj'),
  l('storage-opt'), { name: 'use-api-socket', type: 'bool', desc: '' }, s('volume-driver'),
];

const strs = (f: FlagValues, k: string): string[] => (f[k] as string[] | undefined) ?? [];
const num = (f: FlagValues, k: string): number | undefined => (f[k] === undefined ? undefined : Number(f[k]));
const str = (f: FlagValues, k: string): string | undefined => (f[k] === undefined ? undefined : String(f[k]));

function keyValues(list: string[]): Record<string, string> | undefined {
  if (!list.length) return undefined;
  return Object.fromEntries(list.map((kv) => (kv.includes('=') ? [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] : [kv, ''])));
}

function bytes(v: string, flag: string): number {
  try {
    return ramInBytes(v);
  } catch (e) {
    throw new Error(`invalid argument "${v}" for "--${flag}" flag: ${(e as Error).message}`);
  }
}

/** "PATH:RATE" device limits; rates in bytes (bps) or a plain count (iops, weight). */
function deviceRates(f: FlagValues, flag: string, key: 'Rate' | 'Weight', parse: (v: string) => number) {
  const out = strs(f, flag).map((spec) => {
    const c = spec.lastIndexOf(':');
    if (c <= 0 || !spec.startsWith('/dev/')) throw new Error(`invalid argument "${spec}" for "--${flag}" flag: bad format: ${spec}`);
    return { Path: spec.slice(0, c), [key]: parse(spec.slice(c + 1)) };
  });
  return out.length ? out : undefined;
}

/** `--gpus all|N|count=N` as one device request for GPUs. */
function gpus(v: string | undefined): unknown[] | undefined {
  if (v === undefined) return undefined;
  const m = /^(?:count=)?(all|\d+)$/.exec(v);
  if (!m) throw new Error(`invalid argument "${v}" for "--gpus" flag: unexpected gpu option`);
  return [{ Driver: '', Count: m[1] === 'all' ? -1 : Number(m[1]), DeviceIDs: null, Capabilities: [['gpu']], Options: {} }];
}

function labelFiles(files: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const file of files) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const t = line.trim();
      if (!t || t.startsWith('#')) continue;
      const eq = t.indexOf('=');
      out[eq < 0 ? t : t.slice(0, eq)] = eq < 0 ? '' : t.slice(eq + 1);
    }
  }
  return out;
}

/** Adds what the extra options say to a create body built from the shared ones. */
export function applyExtraOptions(f: FlagValues, body: ContainerCreateBody): void {
  if (f['use-api-socket']) throw new Error('--use-api-socket is not supported by hako');
  const hc = (body.HostConfig ??= {});
  const start = str(f, 'health-start-interval');
  if (start !== undefined) {
    const ms = parseGoDuration(start);
    if (ms === undefined) throw new Error(`invalid argument "${start}" for "--health-start-interval" flag: time: invalid duration "${start}"`);
    body.Healthcheck = { ...(body.Healthcheck ?? {}), StartInterval: Math.round(ms * 1e6) } as ContainerCreateBody['Healthcheck'];
  }
  const labels = labelFiles(strs(f, 'label-file'));
  if (Object.keys(labels).length) body.Labels = { ...labels, ...(body.Labels ?? {}) };
  const swappiness = num(f, 'memory-swappiness');
  const kmem = str(f, 'kernel-memory');
  const iobw = str(f, 'io-maxbandwidth');
  const extra: Record<string, unknown> = {
    Annotations: keyValues(strs(f, 'annotation')),
    BlkioWeight: num(f, 'blkio-weight') || undefined,
    BlkioWeightDevice: deviceRates(f, 'blkio-weight-device', 'Weight', Number),
    BlkioDeviceReadBps: deviceRates(f, 'device-read-bps', 'Rate', (v) => bytes(v, 'device-read-bps')),
    BlkioDeviceWriteBps: deviceRates(f, 'device-write-bps', 'Rate', (v) => bytes(v, 'device-write-bps')),
    BlkioDeviceReadIOps: deviceRates(f, 'device-read-iops', 'Rate', Number),
    BlkioDeviceWriteIOps: deviceRates(f, 'device-write-iops', 'Rate', Number),
    CgroupParent: str(f, 'cgroup-parent'),
    CpuCount: num(f, 'cpu-count'),
    CpuPercent: num(f, 'cpu-percent'),
    CpuRealtimePeriod: num(f, 'cpu-rt-period'),
    CpuRealtimeRuntime: num(f, 'cpu-rt-runtime'),
    DeviceCgroupRules: strs(f, 'device-cgroup-rule').length ? strs(f, 'device-cgroup-rule') : undefined,
    DeviceRequests: gpus(str(f, 'gpus')),
    IOMaximumBandwidth: iobw === undefined ? undefined : bytes(iobw, 'io-maxbandwidth'),
    IOMaximumIOps: num(f, 'io-maxiops'),
    Isolation: str(f, 'isolation'),
    KernelMemory: kmem === undefined ? undefined : bytes(kmem, 'kernel-memory'),
    Links: strs(f, 'link').length ? strs(f, 'link') : undefined,
    MemorySwappiness: swappiness ?? -1, // docker sends -1 for "not set"
    OomScoreAdj: num(f, 'oom-score-adj'),
    StorageOpt: keyValues(strs(f, 'storage-opt')),
    VolumeDriver: str(f, 'volume-driver'),
  };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) (hc as Record<string, unknown>)[k] = v;
  const ip6 = str(f, 'ip6');
  const linkLocal = strs(f, 'link-local-ip');
  if (ip6 || linkLocal.length) {
    const net = hc.NetworkMode ?? 'default';
    const eps = ((body.NetworkingConfig ??= { EndpointsConfig: {} }).EndpointsConfig ??= {});
    const ep = (eps[net] ??= {});
    ep.IPAMConfig = { ...(ep.IPAMConfig ?? {}), ...(ip6 ? { IPv6Address: ip6 } : {}), ...(linkLocal.length ? { LinkLocalIPs: linkLocal } : {}) };
  }
}
