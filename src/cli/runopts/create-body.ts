/**
 * Turns `run`/`create` flags into the POST /containers/create body, as docker's
 * CLI does (opts.parse): pure, so it is unit-tested without a daemon.
 */
import { readFileSync } from 'node:fs';
import type { ContainerCreateBody, EndpointSettings, HostConfig, RestartPolicy, Ulimit } from '../../core/docker.js';
import type { FlagValues } from '../flags.js';
import { ramInBytes } from '../render/units.js';
import { parseGoDuration } from '../render/time.js';
import { parsePorts } from './ports.js';
import { parseMount, parseTmpfs, parseVolumes } from './mounts.js';
import { parseSecurityFlags } from './security.js';

export interface CreateRequest {
  image: string;
  name?: string;
  platform?: string;
  pull: string;
  cidfile?: string;
  body: ContainerCreateBody;
}

const strs = (f: FlagValues, k: string): string[] => (f[k] as string[] | undefined) ?? [];
const str = (f: FlagValues, k: string): string | undefined => (f[k] === undefined ? undefined : String(f[k]));
const orNull = <T>(a: T[]): T[] | undefined => (a.length ? a : undefined);

/** A file's text; a failure in Go's words ("open F: no such file or directory"). */
function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why: Record<string, string> = { ENOENT: 'no such file or directory', EACCES: 'permission denied', EISDIR: 'is a directory' };
    throw new Error(`open ${file}: ${why[code ?? ''] ?? (e as Error).message}`);
  }
}

export function parseEnv(f: FlagValues, env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  const add = (kv: string) => {
    if (kv.includes('=')) out.push(kv);
    else if (env[kv] !== undefined) out.push(`${kv}=${env[kv]}`);
  };
  for (const file of strs(f, 'env-file')) {
    for (const line of readText(file).split('\n')) {
      const t = line.replace(/^\s+/, '');
      if (t && !t.startsWith('#')) add(t.replace(/\r$/, ''));
    }
  }
  strs(f, 'env').forEach(add);
  return out;
}

export function parseRestart(s: string): RestartPolicy {
  // the name and the count's use are the daemon's to judge, as with docker's CLI
  const [name, count] = s.split(':');
  if (count !== undefined && !/^\d+$/.test(count)) throw new Error(`invalid restart policy format: maximum retry count must be an integer`);
  return { Name: name as RestartPolicy['Name'], MaximumRetryCount: count ? Number(count) : 0 };
}

export function parseUlimit(s: string): Ulimit {
  const m = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(s);
  if (!m) throw new Error(`invalid argument "${s}" for "--ulimit" flag: invalid ulimit argument: ${s}`);
  const soft = Number(m[2]);
  return { Name: m[1]!, Soft: soft, Hard: m[3] !== undefined ? Number(m[3]) : soft };
}

function parseDevice(s: string) {
  const [host, ctr, perms] = s.split(':');
  let inCtr = ctr ?? host!;
  let p = perms ?? 'rwm';
  if (ctr && /^[rwm]+$/.test(ctr) && perms === undefined) (inCtr = host!), (p = ctr);
  return { PathOnHost: host!, PathInContainer: inCtr, CgroupPermissions: p };
}

/** docker's normalizeCapabilities: upper case, CAP_ prefixed (ALL kept), each once. */
function capabilities(list: string[]): string[] {
  const norm = list.map((c) => c.trim().toUpperCase()).map((c) => (c === 'ALL' || c.startsWith('CAP_') ? c : `CAP_${c}`));
  return [...new Set(norm)];
}

function keyValues(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list) {
    const i = kv.indexOf('=');
    out[i < 0 ? kv : kv.slice(0, i)] = i < 0 ? '' : kv.slice(i + 1);
  }
  return out;
}

const nanos = (s: string | undefined, flag: string): number | undefined => {
  if (s === undefined) return undefined;
  const ms = parseGoDuration(s);
  if (ms === undefined) throw new Error(`invalid argument "${s}" for "--${flag}" flag: time: invalid duration "${s}"`);
  return Math.round(ms * 1e6);
};

function healthcheck(f: FlagValues) {
  const cmd = str(f, 'health-cmd');
  const interval = nanos(str(f, 'health-interval'), 'health-interval');
  const timeout = nanos(str(f, 'health-timeout'), 'health-timeout');
  const start = nanos(str(f, 'health-start-period'), 'health-start-period');
  const retries = f['health-retries'] as number | undefined;
  if (f['no-healthcheck']) {
    if (cmd || interval || timeout || start || retries) throw new Error('--no-healthcheck conflicts with --health-* options');
    return { Test: ['NONE'] };
  }
  if (cmd === undefined && interval === undefined && timeout === undefined && start === undefined && retries === undefined) return undefined;
  return prune({ Test: cmd ? ['CMD-SHELL', cmd] : undefined, Interval: interval, Timeout: timeout, StartPeriod: start, Retries: retries });
}

function resources(f: FlagValues, hc: HostConfig): void {
  const cpus = str(f, 'cpus');
  if (cpus !== undefined) {
    const n = Number(cpus);
    if (!Number.isFinite(n) || n < 0) throw new Error(`invalid argument "${cpus}" for "--cpus" flag: failed to parse ${cpus} as a rational number`);
    hc.NanoCpus = Math.round(n * 1e9);
  }
  const mem = (k: string) => {
    const v = str(f, k);
    if (v === undefined) return undefined;
    if (v === '-1') return -1;
    try {
      return ramInBytes(v);
    } catch (e) {
      const suffix = /^\s*\d+(?:\.\d+)?\s*(.*)$/.exec(v)?.[1];
      const why = suffix ? `invalid suffix: '${suffix}'` : (e as Error).message;
      throw new Error(`invalid argument "${v}" for "${k === 'memory' ? '-m, --memory' : `--${k}`}" flag: ${why}`);
    }
  };
  hc.Memory = mem('memory');
  hc.MemorySwap = mem('memory-swap');
  hc.MemoryReservation = mem('memory-reservation');
  hc.ShmSize = mem('shm-size');
  hc.CpuShares = f['cpu-shares'] as number | undefined;
  hc.CpuPeriod = f['cpu-period'] as number | undefined;
  hc.CpuQuota = f['cpu-quota'] as number | undefined;
  hc.CpusetCpus = str(f, 'cpuset-cpus');
  hc.CpusetMems = str(f, 'cpuset-mems');
  hc.PidsLimit = f['pids-limit'] as number | undefined;
  if (f['oom-kill-disable']) hc.OomKillDisable = true;
  hc.Ulimits = orNull(strs(f, 'ulimit').map(parseUlimit));
  hc.Devices = orNull(strs(f, 'device').map(parseDevice));
}

function networking(f: FlagValues, hc: HostConfig): Record<string, EndpointSettings> | undefined {
  const net = str(f, 'network') ?? str(f, 'net');
  hc.NetworkMode = net ?? 'default';
  const ip = str(f, 'ip');
  const aliases = [...strs(f, 'network-alias'), ...strs(f, 'net-alias')];
  const mac = str(f, 'mac-address');
  if (!ip && !aliases.length && !mac) return undefined;
  const ep: EndpointSettings = {};
  if (ip) ep.IPAMConfig = { IPv4Address: ip };
  if (aliases.length) ep.Aliases = aliases;
  if (mac) ep.MacAddress = mac;
  return { [hc.NetworkMode]: ep };
}

function hostConfig(f: FlagValues): { hc: HostConfig; endpoints?: Record<string, EndpointSettings>; exposed: Record<string, object>; anon: Record<string, object> } {
  const hc: HostConfig = {};
  const ports = parsePorts(strs(f, 'publish'), strs(f, 'expose'));
  const vols = parseVolumes(strs(f, 'volume'));
  const sec = parseSecurityFlags(strs(f, 'security-opt'));
  resources(f, hc);
  const endpoints = networking(f, hc);
  Object.assign(hc, {
    Binds: orNull(vols.binds),
    Mounts: orNull(strs(f, 'mount').map(parseMount)),
    Tmpfs: strs(f, 'tmpfs').length ? parseTmpfs(strs(f, 'tmpfs')) : undefined,
    PortBindings: Object.keys(ports.bindings).length ? ports.bindings : undefined,
    PublishAllPorts: f['publish-all'] === true || undefined,
    RestartPolicy: parseRestart(str(f, 'restart') ?? 'no'),
    AutoRemove: f.rm === true,
    Privileged: f.privileged === true,
    ReadonlyRootfs: f['read-only'] === true,
    CapAdd: orNull(capabilities(strs(f, 'cap-add'))),
    CapDrop: orNull(capabilities(strs(f, 'cap-drop'))),
    SecurityOpt: orNull(sec.securityOpt),
    MaskedPaths: sec.maskedPaths,
    ReadonlyPaths: sec.readonlyPaths,
    PidMode: str(f, 'pid'),
    IpcMode: str(f, 'ipc'),
    UTSMode: str(f, 'uts'),
    UsernsMode: str(f, 'userns'),
    CgroupnsMode: str(f, 'cgroupns') as HostConfig['CgroupnsMode'],
    Dns: orNull(strs(f, 'dns')),
    DnsSearch: orNull(strs(f, 'dns-search')),
    DnsOptions: orNull(strs(f, 'dns-option')),
    ExtraHosts: orNull(strs(f, 'add-host')),
    GroupAdd: orNull(strs(f, 'group-add')),
    VolumesFrom: orNull(strs(f, 'volumes-from')),
    Init: f.init === true ? true : undefined,
    Sysctls: strs(f, 'sysctl').length ? keyValues(strs(f, 'sysctl')) : undefined,
    Runtime: str(f, 'runtime'),
    LogConfig: str(f, 'log-driver') || strs(f, 'log-opt').length ? { Type: str(f, 'log-driver') ?? '', Config: keyValues(strs(f, 'log-opt')) } : undefined,
  } satisfies HostConfig);
  if (hc.AutoRemove && hc.RestartPolicy?.Name && hc.RestartPolicy.Name !== 'no') throw new Error('conflicting options: cannot specify both --restart and --rm');
  return { hc: prune(hc), endpoints, exposed: ports.exposed, anon: vols.volumes };
}

function prune<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/** Flags (after parsing) and positionals [IMAGE, CMD...] to the create request. */
export function buildCreate(f: FlagValues, args: string[], env: NodeJS.ProcessEnv = process.env, detach = false): CreateRequest {
  const [image, ...cmd] = args;
  if (!image) throw new Error('requires at least 1 argument');
  const { hc, endpoints, exposed, anon } = hostConfig(f);
  const interactive = f.interactive === true;
  const attach = strs(f, 'attach');
  const entry = str(f, 'entrypoint');
  const body: ContainerCreateBody = prune({
    Hostname: str(f, 'hostname'),
    Domainname: str(f, 'domainname'),
    User: str(f, 'user'),
    AttachStdin: !detach && (interactive || attach.includes('stdin')),
    AttachStdout: !detach && (!attach.length || attach.includes('stdout')),
    AttachStderr: !detach && (!attach.length || attach.includes('stderr')),
    Tty: f.tty === true,
    OpenStdin: interactive,
    StdinOnce: interactive && !detach,
    Env: parseEnv(f, env),
    Cmd: cmd.length ? cmd : undefined,
    Image: image,
    Entrypoint: entry !== undefined ? (entry ? [entry] : ['']) : undefined,
    WorkingDir: str(f, 'workdir'),
    Labels: keyValues(strs(f, 'label')),
    ExposedPorts: Object.keys(exposed).length ? exposed : undefined,
    Volumes: Object.keys(anon).length ? anon : undefined,
    StopSignal: str(f, 'stop-signal'),
    StopTimeout: f['stop-timeout'] as number | undefined,
    Healthcheck: healthcheck(f),
    HostConfig: hc,
    NetworkingConfig: endpoints ? { EndpointsConfig: endpoints } : undefined,
  });
  const pull = str(f, 'pull') ?? 'missing';
  if (!['always', 'missing', 'never'].includes(pull)) throw new Error(`invalid pull option: '${pull}': must be one of "always", "missing" or "never"`);
  return { image, name: str(f, 'name'), platform: str(f, 'platform'), pull, cidfile: str(f, 'cidfile'), body };
}
