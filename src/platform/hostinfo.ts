/**
 * Facts about the host that /info and /version report: kernel, OS, CPUs, memory,
 * cgroup version and which resource limits the cgroup hierarchy supports.
 */
import { existsSync, readFileSync, readdirSync, statfsSync } from 'node:fs';
import os from 'node:os';

export interface HostFacts {
  kernelVersion: string;
  operatingSystem: string;
  osVersion: string;
  architecture: string;
  ncpu: number;
  memTotal: number;
  hostname: string;
  cgroupVersion: '1' | '2';
  ipv4Forwarding: boolean;
  limits: {
    memory: boolean;
    swap: boolean;
    cpuCfsPeriod: boolean;
    cpuCfsQuota: boolean;
    cpuShares: boolean;
    cpuSet: boolean;
    pids: boolean;
  };
}

const CGROUP2_MAGIC = 0x63677270;

export function readHostFacts(cgroupRoot = '/sys/fs/cgroup'): HostFacts {
  const osr = parseOsRelease(readOr('/etc/os-release', ''));
  const v2 = isCgroup2(cgroupRoot);
  return {
    kernelVersion: os.release(),
    operatingSystem: osr.PRETTY_NAME ?? os.type(),
    osVersion: osr.VERSION_ID ?? '',
    architecture: os.machine(),
    ncpu: os.availableParallelism(),
    memTotal: os.totalmem(),
    hostname: os.hostname(),
    cgroupVersion: v2 ? '2' : '1',
    ipv4Forwarding: readOr('/proc/sys/net/ipv4/ip_forward', '0').trim() === '1',
    limits: v2 ? limitsV2(cgroupRoot) : limitsV1(cgroupRoot),
  };
}

/** Number of file descriptors this process holds. */
export function openFdCount(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return 0;
  }
}

function isCgroup2(root: string): boolean {
  try {
    return statfsSync(root).type === CGROUP2_MAGIC;
  } catch {
    return false;
  }
}

function limitsV1(root: string): HostFacts['limits'] {
  const has = (p: string) => existsSync(`${root}/${p}`);
  return {
    memory: has('memory/memory.limit_in_bytes'),
    swap: has('memory/memory.memsw.limit_in_bytes'),
    cpuCfsPeriod: has('cpu/cpu.cfs_period_us'),
    cpuCfsQuota: has('cpu/cpu.cfs_quota_us'),
    cpuShares: has('cpu/cpu.shares'),
    cpuSet: has('cpuset/cpuset.cpus'),
    pids: has('pids'),
  };
}

function limitsV2(root: string): HostFacts['limits'] {
  const c = readOr(`${root}/cgroup.controllers`, '').split(/\s+/);
  const on = (n: string) => c.includes(n);
  return {
    memory: on('memory'),
    swap: on('memory') && existsSync(`${root}/init.scope/memory.swap.max`),
    cpuCfsPeriod: on('cpu'),
    cpuCfsQuota: on('cpu'),
    cpuShares: on('cpu'),
    cpuSet: on('cpuset'),
    pids: on('pids'),
  };
}

function readOr(path: string, dflt: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return dflt;
  }
}

function parseOsRelease(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of s.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1');
  }
  return out;
}
