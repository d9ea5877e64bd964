/**
 * HostConfig.SecurityOpt as dockerd reads it, and the container's linux.seccomp:
 *
 * - `seccomp=unconfined`: no filter; `seccomp=builtin`: hako's default profile;
 *   `seccomp=<json>`: a docker-format profile (the docker CLI reads FILE and sends its
 *   text); nothing: the daemon's profile (`hakod --seccomp-profile`), else the default.
 * - `--privileged` runs without a filter unless the container names its own profile.
 * - `no-new-privileges[=bool]`, `apparmor=...`, `label=...` (and the old `label:...`
 *   spelling, bare `disable`), `writable-cgroups[=bool]` as dockerd accepts them; on a
 *   host with neither AppArmor nor SELinux, dockerd ignores the apparmor and label
 *   values, and so does hako. Anything else: dockerd's `invalid --security-opt` error.
 */
import { release } from 'node:os';
import type { HostConfig } from '../core/docker.js';
import { invalid } from '../core/errors.js';
import { profileFor } from './seccomp-default.js';
import { convertProfile, parseProfile } from './seccomp-docker.js';
import { nativeArch, type DockerSeccompProfile, type OciSeccomp } from './seccomp-types.js';

export interface SecurityOptions {
  /** 'builtin', 'unconfined', a profile's JSON text, or undefined (the daemon's choice). */
  seccomp?: string;
  noNewPrivileges: boolean;
  apparmor?: string;
  labels: string[];
  writableCgroups?: boolean;
}

/** The daemon-wide profile: `--seccomp-profile builtin|unconfined|PATH` (PATH already read and decoded). */
export type DaemonSeccomp = 'builtin' | 'unconfined' | DockerSeccompProfile;

/** Go's strconv.ParseBool. */
function parseBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

/** dockerd's parseSecurityOpt: throws InvalidArgument with its wording. */
export function parseSecurityOpts(list: readonly string[] | null | undefined): SecurityOptions {
  const out: SecurityOptions = { noNewPrivileges: false, labels: [] };
  for (const opt of list ?? []) {
    if (opt === 'no-new-privileges') { out.noNewPrivileges = true; continue; }
    if (opt === 'writable-cgroups') { out.writableCgroups = true; continue; }
    if (opt === 'disable') { out.labels.push('disable'); continue; }
    const sep = opt.includes('=') ? '=' : opt.includes(':') ? ':' : '';
    if (!sep) throw invalid(`invalid --security-opt 1: ${JSON.stringify(opt)}`);
    const i = opt.indexOf(sep);
    const k = opt.slice(0, i);
    const v = opt.slice(i + 1);
    const bool = () => {
      const b = parseBool(v);
      if (b === undefined) throw invalid(`invalid --security-opt 2: ${JSON.stringify(opt)}`);
      return b;
    };
    switch (k) {
      case 'label': out.labels.push(v); break;
      case 'apparmor': out.apparmor = v; break;
      case 'seccomp': out.seccomp = v; break;
      case 'no-new-privileges': out.noNewPrivileges = bool(); break;
      case 'writable-cgroups': out.writableCgroups = bool(); break;
      default: throw invalid(`invalid --security-opt 2: ${JSON.stringify(opt)}`);
    }
  }
  return out;
}

export interface SeccompHost {
  /** libseccomp native arch (amd64, arm64, ...); default: this process's. */
  arch?: string;
  /** Kernel release ("6.1.0-13-amd64"); default: os.release(). */
  kernel?: string;
}

const isCustom = (s: string | undefined): s is string => !!s && s !== 'builtin' && s !== 'unconfined';

/**
 * The container's linux.seccomp, or undefined for none. `caps` is the bounding set the
 * container gets; `daemon` the daemon-wide profile. Throws InvalidArgument for a bad profile.
 */
export function seccompFor(hc: HostConfig, caps: readonly string[], daemon: DaemonSeccomp = 'builtin', host: SeccompHost = {}): OciSeccomp | undefined {
  const opts = parseSecurityOpts(hc.SecurityOpt);
  const arch = host.arch ?? nativeArch();
  const kernel = host.kernel ?? release();
  const target = { caps, arch, kernel };
  if (opts.seccomp === 'unconfined') return undefined;
  if (isCustom(opts.seccomp)) return convertProfile(parseProfile(opts.seccomp), target);
  if (hc.Privileged) return undefined;
  if (opts.seccomp === 'builtin' || daemon === 'builtin') return profileFor(caps, arch, kernel);
  if (daemon === 'unconfined') return undefined;
  return convertProfile(daemon, target);
}

/** Create-time check of HostConfig.SecurityOpt (nothing is created when it throws). */
export function validateSecurityOpts(hc: HostConfig): void {
  const opts = parseSecurityOpts(hc.SecurityOpt);
  if (isCustom(opts.seccomp)) convertProfile(parseProfile(opts.seccomp), { caps: [], arch: nativeArch() });
}
