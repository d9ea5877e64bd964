/**
 * Container cgroup access for stats and clean-up, behind CgroupReader so the engine
 * is tested with FakeCgroups. V1Cgroups reads /sys/fs/cgroup/<controller>/<path>;
 * V2Cgroups reads a unified /sys/fs/cgroup/<path>.
 */
import { readFileSync, rmdirSync, existsSync, readdirSync, type Dirent } from 'node:fs';
import { join } from 'node:path';

export interface CgroupStats {
  cpuUsageNs: number;
  cpuUserNs: number;
  cpuSystemNs: number;
  memoryUsage: number;
  memoryLimit: number;
  memoryStat: Record<string, number>;
  pids: number;
  /** Per device: read/write bytes. */
  blkio: { major: number; minor: number; op: 'Read' | 'Write'; value: number }[];
  /** CFS bandwidth enforcement (cpu.stat): periods, periods throttled, time throttled. */
  throttling?: { periods: number; throttledPeriods: number; throttledTimeNs: number };
}

export interface CgroupReader {
  stats(path: string): CgroupStats;
  /** Pids of every process in the container's cgroup. */
  pids(path: string): number[];
  /** Removes the container's cgroup dirs (empty after the runtime deleted it). Never throws. */
  remove(path: string): void;
  /** True when the memory controller recorded an OOM kill. */
  oomKilled(path: string): boolean;
  /** The dirs remove() would remove, for a caller that removes them itself (e.g. at idle priority). */
  dirs?(path: string): string[];
}

const num = (s: string | undefined) => (s === undefined || s === 'max' ? 0 : Number(s) || 0);
const read = (p: string) => { try { return readFileSync(p, 'utf8').trim(); } catch { return ''; } };
const kv = (text: string): Record<string, number> =>
  Object.fromEntries(text.split('\n').filter(Boolean).map((l) => { const [k, v] = l.split(/\s+/); return [k!, num(v)]; }));

function rmTree(dir: string): void {
  let entries: Dirent[];
  try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return; }
  // cgroupfs reports entry types: no stat of every control file
  for (const e of entries) if (e.isDirectory()) rmTree(join(dir, e.name));
  try { rmdirSync(dir); } catch { /* busy or gone */ }
}

export class V1Cgroups implements CgroupReader {
  constructor(private readonly root = '/sys/fs/cgroup') {}
  private f(ctrl: string, path: string, file: string): string { return read(join(this.root, ctrl, path, file)); }

  stats(path: string): CgroupStats {
    const acct = kv(this.f('cpuacct', path, 'cpuacct.stat'));
    const tick = 1e7; // USER_HZ=100: ticks -> ns
    const limit = num(this.f('memory', path, 'memory.limit_in_bytes'));
    const cfs = kv(this.f('cpu', path, 'cpu.stat'));
    return {
      throttling: { periods: cfs.nr_periods ?? 0, throttledPeriods: cfs.nr_throttled ?? 0, throttledTimeNs: cfs.throttled_time ?? 0 },
      cpuUsageNs: num(this.f('cpuacct', path, 'cpuacct.usage')),
      cpuUserNs: (acct.user ?? 0) * tick,
      cpuSystemNs: (acct.system ?? 0) * tick,
      memoryUsage: num(this.f('memory', path, 'memory.usage_in_bytes')),
      memoryLimit: limit > 2 ** 62 ? 0 : limit,
      memoryStat: kv(this.f('memory', path, 'memory.stat')),
      pids: num(this.f('pids', path, 'pids.current')),
      blkio: parseBlkio(this.f('blkio', path, 'blkio.throttle.io_service_bytes')),
    };
  }

  pids(path: string): number[] {
    return this.f('pids', path, 'cgroup.procs').split('\n').filter(Boolean).map(Number);
  }

  remove(path: string): void {
    for (const d of this.dirs(path)) rmTree(d);
  }

  private hierarchies?: string[];
  dirs(path: string): string[] {
    if (!this.hierarchies) {
      let ctrls: string[] = [];
      try { ctrls = readdirSync(this.root); } catch { return []; }
      // the hierarchies are the host's, mounted before any daemon starts: read once
      this.hierarchies = [...ctrls.filter((c) => c !== 'unified'), ...ctrls.includes('unified') ? ['unified'] : []];
    }
    return this.hierarchies.map((c) => join(this.root, c, path));
  }

  oomKilled(path: string): boolean {
    return (kv(this.f('memory', path, 'memory.oom_control')).oom_kill ?? 0) > 0;
  }
}

function parseBlkio(text: string): CgroupStats['blkio'] {
  const out: CgroupStats['blkio'] = [];
  for (const l of text.split('\n')) {
    const m = l.match(/^(\d+):(\d+) (Read|Write) (\d+)$/);
    if (m) out.push({ major: Number(m[1]), minor: Number(m[2]), op: m[3] as 'Read' | 'Write', value: Number(m[4]) });
  }
  return out;
}

export class V2Cgroups implements CgroupReader {
  constructor(private readonly root = '/sys/fs/cgroup') {}
  private f(path: string, file: string): string { return read(join(this.root, path, file)); }

  stats(path: string): CgroupStats {
    const cpu = kv(this.f(path, 'cpu.stat'));
    const blkio: CgroupStats['blkio'] = [];
    for (const l of this.f(path, 'io.stat').split('\n')) {
      const m = l.match(/^(\d+):(\d+) .*rbytes=(\d+) wbytes=(\d+)/);
      if (m) blkio.push({ major: +m[1]!, minor: +m[2]!, op: 'Read', value: +m[3]! }, { major: +m[1]!, minor: +m[2]!, op: 'Write', value: +m[4]! });
    }
    return {
      throttling: { periods: cpu.nr_periods ?? 0, throttledPeriods: cpu.nr_throttled ?? 0, throttledTimeNs: (cpu.throttled_usec ?? 0) * 1000 },
      cpuUsageNs: (cpu.usage_usec ?? 0) * 1000, cpuUserNs: (cpu.user_usec ?? 0) * 1000, cpuSystemNs: (cpu.system_usec ?? 0) * 1000,
      memoryUsage: num(this.f(path, 'memory.current')), memoryLimit: num(this.f(path, 'memory.max')),
      memoryStat: kv(this.f(path, 'memory.stat')), pids: num(this.f(path, 'pids.current')), blkio,
    };
  }

  pids(path: string): number[] { return this.f(path, 'cgroup.procs').split('\n').filter(Boolean).map(Number); }
  remove(path: string): void { rmTree(join(this.root, path)); }
  dirs(path: string): string[] { return [join(this.root, path)]; }
  oomKilled(path: string): boolean { return (kv(this.f(path, 'memory.events')).oom_kill ?? 0) > 0; }
}

/** The host's layout: v2 when /sys/fs/cgroup is itself cgroup2. */
export function hostCgroups(root = '/sys/fs/cgroup'): CgroupReader {
  return existsSync(join(root, 'cgroup.controllers')) ? new V2Cgroups(root) : new V1Cgroups(root);
}

/** Records calls; returns canned stats. */
export class FakeCgroups implements CgroupReader {
  readonly calls: string[] = [];
  procs: Record<string, number[]> = {};
  stats(path: string): CgroupStats {
    this.calls.push(`stats ${path}`);
    return { cpuUsageNs: 1, cpuUserNs: 0, cpuSystemNs: 0, memoryUsage: 1024, memoryLimit: 0, memoryStat: {}, pids: 1, blkio: [] };
  }
  pids(path: string): number[] { this.calls.push(`pids ${path}`); return this.procs[path] ?? []; }
  remove(path: string): void { this.calls.push(`remove ${path}`); }
  oomKilled(path: string): boolean { this.calls.push(`oom ${path}`); return false; }
}
