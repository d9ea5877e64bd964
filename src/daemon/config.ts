/**
 * hakod's configuration: flags (util.parseArgs) over a dockerd-style JSON file
 * (/etc/hako/daemon.json). A key set in both places is an error, as in dockerd.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LEVELS, type Level } from './log.js';
import { parseProfile } from '../runtime/seccomp-docker.js';
import type { DockerSeccompProfile } from '../runtime/seccomp-types.js';

export interface TlsConfig {
  ca: string;
  cert: string;
  key: string;
}

export interface DaemonConfig {
  dataRoot: string;
  execRoot: string;
  hosts: string[];
  pidfile: string;
  logLevel: Level;
  defaultRuntime: 'runc' | 'crun';
  instance: string;
  configFile: string;
  tls?: TlsConfig;
  /** Registries reached over plain http / unverified https, besides 127.0.0.0/8 ("host:port" or CIDR). */
  insecureRegistries: string[];
  /** Mirrors tried before Docker Hub when pulling docker.io images. */
  registryMirrors: string[];
  /** dockerd's --bip: the default bridge's gateway address with its prefix ("10.200.0.1/24"). */
  bip?: string;
  /** dockerd's --default-address-pool / "default-address-pools": where network subnets come from. */
  defaultAddressPools?: { base: string; size: number }[];
  /** dockerd's --seccomp-profile: 'builtin' (default), 'unconfined' or the path of a docker-format profile. */
  seccompProfile: string;
  /** The decoded profile when seccompProfile is a path. */
  seccompProfileData?: DockerSeccompProfile;
  /** dockerd's --userns-remap: "default" (the hako user) or USER[:GROUP]; unset = no remapping. */
  usernsRemap?: string;
}

export type ParseResult = { kind: 'run'; config: DaemonConfig } | { kind: 'help' } | { kind: 'version' };

export const DEFAULT_CONFIG_FILE = '/etc/hako/daemon.json';

export const USAGE = `Usage: hakod [OPTIONS]

A Linux container engine that speaks the Docker Engine API.

Options:
      --config-file string      Daemon configuration file (default "${DEFAULT_CONFIG_FILE}")
      --data-root string        Root directory of persistent state (default "/var/lib/hako")
      --exec-root string        Root directory of run-time state (default "/run/hako")
      --default-runtime string  OCI runtime for containers: crun or runc (default "crun")
  -H, --host list               Socket to listen on: unix:///path (default "unix:///run/hako/hako.sock"),
                                or tcp://host:port together with --tlsverify and the three TLS files
      --instance string         Name prefix of host objects (bridges, tables, cgroups) (default "hako")
  -l, --log-level string        debug, info, warn or error (default "info")
  -D, --debug                   Same as --log-level debug
      --pidfile string          Path of the pid file (default "<exec-root>/hakod.pid")
      --tlsverify               Require and verify client certificates (tcp:// hosts)
      --tlscacert, --tlscert, --tlskey string   TLS files for tcp:// hosts
      --bip string              Address and prefix of the default bridge (e.g. 10.200.0.1/24)
      --default-address-pool list  Subnets for networks: base=10.10.0.0/16,size=24 (repeatable)
      --seccomp-profile string  Seccomp profile for containers: builtin, unconfined or a JSON file (default "builtin")
      --insecure-registry list  Registry reached without TLS verification (host:port or CIDR)
      --registry-mirror list    Mirror to pull docker.io images from (URL)
      --userns-remap string     User/Group setting for user namespaces: default (user hako) or USER[:GROUP]
  -v, --version                 Print version information and quit
  -h, --help                    Print this help
`;

const options = {
  'config-file': { type: 'string' },
  'data-root': { type: 'string' },
  'exec-root': { type: 'string' },
  'default-runtime': { type: 'string' },
  host: { type: 'string', short: 'H', multiple: true },
  instance: { type: 'string' },
  'log-level': { type: 'string', short: 'l' },
  debug: { type: 'boolean', short: 'D' },
  pidfile: { type: 'string' },
  tlsverify: { type: 'boolean' },
  tlscacert: { type: 'string' },
  tlscert: { type: 'string' },
  tlskey: { type: 'string' },
  'insecure-registry': { type: 'string', multiple: true },
  'registry-mirror': { type: 'string', multiple: true },
  bip: { type: 'string' },
  'default-address-pool': { type: 'string', multiple: true },
  'seccomp-profile': { type: 'string' },
  'userns-remap': { type: 'string' },
  version: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** File keys and the flag each one mirrors (dockerd's names). */
const fileKeys: Record<string, string> = {
  'data-root': 'data-root', 'exec-root': 'exec-root', hosts: 'host', pidfile: 'pidfile', 'log-level': 'log-level',
  debug: 'debug', 'default-runtime': 'default-runtime', instance: 'instance', tlsverify: 'tlsverify',
  tlscacert: 'tlscacert', tlscert: 'tlscert', tlskey: 'tlskey',
  'insecure-registries': 'insecure-registry', 'registry-mirrors': 'registry-mirror',
  bip: 'bip', 'default-address-pools': 'default-address-pool', 'seccomp-profile': 'seccomp-profile',
  'userns-remap': 'userns-remap',
};

export class ConfigError extends Error {}

export function parseDaemonArgs(argv: string[]): ParseResult {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    const p = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
    values = p.values as typeof values;
  } catch (e) {
    throw new ConfigError(`${(e as Error).message}\nSee 'hakod --help'.`);
  }
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  const configFile = (values['config-file'] as string | undefined) ?? DEFAULT_CONFIG_FILE;
  const file = readConfigFile(configFile, values['config-file'] !== undefined);
  const both = Object.keys(file).filter((k) => values[fileKeys[k]!] !== undefined);
  if (both.length) {
    const detail = both.map((k) => `${k}: (from flag: ${show(values[fileKeys[k]!])}, from file: ${show(file[k])})`).join(', ');
    throw new ConfigError(`unable to configure the daemon with file ${configFile}: the following directives are specified both as a flag and in the configuration file: ${detail}`);
  }
  const merged: Record<string, unknown> = { ...values };
  for (const [k, v] of Object.entries(file)) merged[fileKeys[k]!] = v;
  return { kind: 'run', config: build(merged, configFile) };
}

function show(v: unknown): string {
  return Array.isArray(v) ? `[${v.join(' ')}]` : String(v);
}

function readConfigFile(path: string, explicit: boolean): Record<string, unknown> {
  if (!existsSync(path)) {
    if (explicit) throw new ConfigError(`unable to configure the daemon with file ${path}: open ${path}: no such file or directory`);
    return {};
  }
  let v: unknown;
  try {
    const text = readFileSync(path, 'utf8');
    v = text.trim() === '' ? {} : JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`unable to configure the daemon with file ${path}: ${(e as Error).message}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new ConfigError(`unable to configure the daemon with file ${path}: not a JSON object`);
  const unknown = Object.keys(v).filter((k) => !(k in fileKeys));
  if (unknown.length) {
    throw new ConfigError(`unable to configure the daemon with file ${path}: the following directives don't match any configuration option: ${unknown.join(', ')}`);
  }
  const obj = v as Record<string, unknown>;
  if (typeof obj.hosts === 'string') obj.hosts = [obj.hosts];
  return obj;
}

function str(v: unknown, name: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') throw new ConfigError(`invalid value for ${name}: ${JSON.stringify(v)}`);
  return v;
}

function build(m: Record<string, unknown>, configFile: string): DaemonConfig {
  const dataRoot = str(m['data-root'], 'data-root') ?? '/var/lib/hako';
  const execRoot = str(m['exec-root'], 'exec-root') ?? '/run/hako';
  const level = (m.debug === true ? 'debug' : str(m['log-level'], 'log-level') ?? 'info') as Level;
  if (!LEVELS.includes(level)) throw new ConfigError(`invalid log level "${level}": use one of ${LEVELS.join(', ')}`);
  const runtime = str(m['default-runtime'], 'default-runtime') ?? 'crun';
  if (runtime !== 'runc' && runtime !== 'crun') throw new ConfigError(`invalid default runtime "${runtime}": use crun or runc`);
  const instance = str(m.instance, 'instance') ?? 'hako';
  if (!/^[a-z0-9][a-z0-9-]{0,11}$/.test(instance)) {
    throw new ConfigError(`invalid instance name "${instance}": use 1 to 12 characters of a-z, 0-9 and "-", starting with a letter or digit`);
  }
  const hostList = (m.host as string[] | undefined) ?? [`unix://${join(execRoot, 'hako.sock')}`];
  const hosts = hostList.map(normaliseHost);
  const tls = tlsConfig(m, hosts);
  return {
    dataRoot, execRoot, hosts, pidfile: str(m.pidfile, 'pidfile') ?? join(execRoot, 'hakod.pid'),
    logLevel: level, defaultRuntime: runtime, instance, configFile, tls,
    insecureRegistries: strList(m['insecure-registry'], 'insecure-registries'),
    registryMirrors: strList(m['registry-mirror'], 'registry-mirrors'),
    bip: bipOf(m.bip), defaultAddressPools: poolsOf(m['default-address-pool']),
    ...seccompOf(m['seccomp-profile']), usernsRemap: remapOf(m['userns-remap']),
  };
}

/** dockerd's setupSeccompProfile: builtin, unconfined, or a profile file read (and here also checked) at start. */
function seccompOf(v: unknown): { seccompProfile: string; seccompProfileData?: DockerSeccompProfile } {
  const p = str(v, 'seccomp-profile') ?? 'builtin';
  if (p === 'builtin' || p === 'unconfined') return { seccompProfile: p };
  let text: string;
  try {
    text = readFileSync(p, 'utf8');
  } catch (e) {
    throw new ConfigError(`opening seccomp profile (${p}) failed: ${(e as Error).message}`);
  }
  try {
    return { seccompProfile: p, seccompProfileData: parseProfile(text) };
  } catch (e) {
    throw new ConfigError(`seccomp profile (${p}): ${(e as Error).message}`);
  }
}

function remapOf(v: unknown): string | undefined {
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string' || !/^[^:\s]+(:[^:\s]+)?$/.test(v)) throw new ConfigError(`invalid userns-remap "${String(v)}": use default or USER[:GROUP]`);
  return v;
}

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const validCidr = (c: string) => {
  const m = CIDR.exec(c);
  return !!m && m.slice(1, 5).every((o) => Number(o) <= 255) && Number(m[5]) <= 32;
};

function bipOf(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !validCidr(v)) throw new ConfigError(`invalid bip "${String(v)}": use an address with its prefix, e.g. 10.200.0.1/24`);
  return v;
}

/** Flags give "base=10.10.0.0/16,size=24"; daemon.json gives [{"base": .., "size": ..}]. */
function poolsOf(v: unknown): { base: string; size: number }[] | undefined {
  if (v === undefined) return undefined;
  const list = Array.isArray(v) ? v : [v];
  return list.map((p) => {
    let base: unknown;
    let size: unknown;
    if (typeof p === 'string') {
      const kv = Object.fromEntries(p.split(',').map((x) => x.split('=').map((y) => y.trim())));
      base = kv.base;
      size = kv.size === undefined ? undefined : Number(kv.size);
    } else if (p && typeof p === 'object') ({ base, size } = p as { base?: unknown; size?: unknown });
    if (typeof base !== 'string' || !validCidr(base) || typeof size !== 'number' || !Number.isInteger(size) || size < Number(base.split('/')[1]) || size > 30) {
      throw new ConfigError(`invalid default address pool ${JSON.stringify(p)}: use base=<CIDR>,size=<prefix length no shorter than the base's, at most 30>`);
    }
    return { base, size };
  });
}

function strList(v: unknown, name: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x !== '')) throw new ConfigError(`invalid value for ${name}: ${JSON.stringify(v)}`);
  return v as string[];
}

function normaliseHost(h: string): string {
  if (h.startsWith('/')) return `unix://${h}`;
  if (/^unix:\/\/\/./.test(h) || /^tcp:\/\/[^/]+:\d+$/.test(h)) return h;
  throw new ConfigError(`invalid host "${h}": use unix:///path or tcp://host:port`);
}

function tlsConfig(m: Record<string, unknown>, hosts: string[]): TlsConfig | undefined {
  const ca = str(m.tlscacert, 'tlscacert');
  const cert = str(m.tlscert, 'tlscert');
  const key = str(m.tlskey, 'tlskey');
  if (!hosts.some((h) => h.startsWith('tcp://'))) return undefined;
  if (m.tlsverify !== true || !ca || !cert || !key) {
    throw new ConfigError('refusing to listen on tcp:// without client authentication: give --tlsverify with --tlscacert, --tlscert and --tlskey (anyone who reaches the API is root on this host)');
  }
  return { ca, cert, key };
}
