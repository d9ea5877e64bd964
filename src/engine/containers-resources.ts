/**
 * dockerd's checks of CPU resources against the host, at create and update (its
 * verifyPlatformContainerResources), so `--cpus 5` or `--cpuset-cpus 4` on a 2-CPU host
 * is refused in its words before the runtime fails writing a cgroup file.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { HostConfig } from '../core/docker.js';
import { invalid } from '../core/errors.js';

/** What the checks read of the host (a fake in unit tests). */
export interface CpuHost {
  /** CPUs the daemon may run on (Go's runtime.NumCPU). */
  cpus: number;
  /** The root cpuset's cpus and mems lists ("0-1", "0"). */
  cpuset(): { cpus: string; mems: string };
}

function readFirst(paths: string[]): string | undefined {
  for (const p of paths) {
    try { return readFileSync(p, 'utf8').trim(); } catch { /* next */ }
  }
  return undefined;
}

export const realCpuHost: CpuHost = {
  cpus: availableParallelism(),
  cpuset() {
    const n = availableParallelism();
    return {
      cpus: readFirst(['/sys/fs/cgroup/cpuset/cpuset.cpus', '/sys/fs/cgroup/cpuset.cpus.effective']) || `0-${n - 1}`,
      mems: readFirst(['/sys/fs/cgroup/cpuset/cpuset.mems', '/sys/fs/cgroup/cpuset.mems.effective']) || '0',
    };
  },
};

/** "0-2,4" -> {0,1,2,4}; undefined for a malformed list. */
export function parseCpuList(s: string): Set<number> | undefined {
  const out = new Set<number>();
  if (s.trim() === '') return out;
  for (const part of s.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return undefined;
    const lo = Number(m[1]);
    const hi = m[2] ? Number(m[2]) : lo;
    if (hi < lo) return undefined;
    for (let i = lo; i <= hi && i - lo < 4096; i++) out.add(i);
  }
  return out;
}

function checkList(requested: string | undefined, available: string, what: 'cpus' | 'mems'): void {
  if (!requested) return;
  const want = parseCpuList(requested);
  if (!want) throw invalid(`Invalid value ${requested} for cpuset ${what}: invalid format: ${requested}`);
  const have = parseCpuList(available) ?? new Set<number>();
  if ([...want].some((n) => !have.has(n))) {
    throw invalid(what === 'cpus'
      ? `Requested CPUs are not available - requested ${requested}, available: ${available}`
      : `Requested memory nodes are not available - requested ${requested}, available: ${available}`);
  }
}

/** Throws InvalidArgument in dockerd's words when hc asks for CPUs the host does not have. */
export function verifyCpuResources(hc: Pick<HostConfig, 'NanoCpus' | 'CpusetCpus' | 'CpusetMems'>, host: CpuHost = realCpuHost): void {
  const nc = host.cpus;
  // dockerd checks only the upper bound (a tiny quota fails later, in the runtime)
  if (hc.NanoCpus && (hc.NanoCpus < 0 || hc.NanoCpus > nc * 1e9)) {
    throw invalid(`Range of CPUs is from 0.01 to ${nc}.00, as there are only ${nc} CPUs available`);
  }
  if (!hc.CpusetCpus && !hc.CpusetMems) return;
  const root = host.cpuset();
  checkList(hc.CpusetCpus, root.cpus, 'cpus');
  checkList(hc.CpusetMems, root.mems, 'mems');
}
