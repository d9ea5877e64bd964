/**
 * Seccomp shapes: the OCI runtime spec's linux.seccomp (what crun/runc read) and
 * docker's profile format (the OCI shape plus archMap and per-rule includes/excludes
 * on capabilities, architectures and kernel version), which `--security-opt
 * seccomp=FILE` and `hakod --seccomp-profile` accept.
 */

export type SeccompAction =
  | 'SCMP_ACT_KILL' | 'SCMP_ACT_KILL_PROCESS' | 'SCMP_ACT_KILL_THREAD' | 'SCMP_ACT_TRAP' | 'SCMP_ACT_ERRNO'
  | 'SCMP_ACT_TRACE' | 'SCMP_ACT_ALLOW' | 'SCMP_ACT_LOG' | 'SCMP_ACT_NOTIFY';

export const SECCOMP_ACTIONS: readonly string[] = [
  'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY',
];

export const SECCOMP_OPS: readonly string[] = [
  'SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ',
];

export interface OciSeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: string;
}

export interface OciSyscall {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: OciSeccompArg[];
}

/** runtime-spec linux.seccomp. */
export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: OciSyscall[];
}

/** A rule's condition in docker's format: all listed caps / one of the arches / kernel at least minKernel. */
export interface DockerSeccompFilter {
  caps?: string[];
  arches?: string[];
  minKernel?: string;
}

export interface DockerSyscall extends Partial<OciSyscall> {
  /** Old single-name form. */
  name?: string;
  comment?: string;
  includes?: DockerSeccompFilter;
  excludes?: DockerSeccompFilter;
}

/** docker's profile JSON (moby profiles/seccomp). */
export interface DockerSeccompProfile extends Omit<OciSeccomp, 'syscalls' | 'defaultAction'> {
  /** Absent with no rules: the profile confines nothing. */
  defaultAction?: string;
  archMap?: { architecture: string; subArchitectures?: string[] | null }[];
  syscalls?: DockerSyscall[];
}

/** What a profile is converted for: the container's bounding capabilities, the host. */
export interface SeccompTarget {
  caps: readonly string[];
  /** libseccomp's native arch name: amd64, arm64, x86, arm, ... */
  arch: string;
  /** Host kernel "major.minor" (for minKernel); absent: treat every minKernel as met. */
  kernel?: string;
}

/** Node's process.arch -> libseccomp native name (as docker's goToNative). */
export function nativeArch(nodeArch: string = process.arch): string {
  return ({ x64: 'amd64', ia32: 'x86', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64' } as Record<string, string>)[nodeArch] ?? nodeArch;
}
