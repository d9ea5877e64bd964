/**
 * Docker's stats JSON for one container, from its cgroup files and its netns's
 * /proc/<pid>/net/dev. Like dockerd, a non-streamed answer (stream=false without
 * one-shot) is primed with a first sample so precpu_stats is filled and `docker stats
 * --no-stream` shows the CPU share of the last interval; one-shot answers at once.
 */
import { Readable } from 'node:stream';
import { cpus, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import { cgroupsPath } from '../runtime/spec.js';
import type { CgroupReader } from '../runtime/cgroups.js';
import type { ContainerRecord } from './containers-store.js';

/** Interval between samples of a stream, and between the priming sample and the answer. */
const STREAM_MS = 1000;
const PRIME_MS = 500;

interface StatsHost { cgroups: CgroupReader; o: { instance: string } }

type Sample = Record<string, unknown> & { read: string; cpu_stats: Record<string, unknown> };

export function statsStream(svc: StatsHost, c: ContainerRecord, opts: { stream: boolean; oneShot?: boolean }): Readable {
  const path = cgroupsPath(svc.o.instance, c.id, c.hostConfig.CgroupParent);
  let prev: Sample | undefined;
  if (!c.state.Running && !opts.stream) return Readable.from([idleStats(c)], { objectMode: true });
  const sample = (): Sample => {
    const s = svc.cgroups.stats(path);
    const t = s.throttling ?? { periods: 0, throttledPeriods: 0, throttledTimeNs: 0 };
    const cpu = {
      cpu_usage: { total_usage: s.cpuUsageNs, usage_in_kernelmode: s.cpuSystemNs, usage_in_usermode: s.cpuUserNs },
      system_cpu_usage: systemCpuNs(), online_cpus: cpus().length,
      throttling_data: { periods: t.periods, throttled_periods: t.throttledPeriods, throttled_time: t.throttledTimeNs },
    };
    const networks = c.state.Running && c.state.Pid && c.hostConfig.NetworkMode !== 'host' ? netDev(c.state.Pid) : undefined;
    const out: Sample = {
      read: new Date().toISOString(), preread: prev ? prev.read : '0001-01-01T00:00:00Z', id: c.id, name: `/${c.name}`,
      pids_stats: { current: s.pids }, cpu_stats: cpu, precpu_stats: prev ? prev.cpu_stats : { cpu_usage: { total_usage: 0 }, throttling_data: {} },
      memory_stats: { usage: s.memoryUsage, limit: s.memoryLimit || totalmem(), stats: s.memoryStat },
      blkio_stats: { io_service_bytes_recursive: s.blkio.map((b) => ({ major: b.major, minor: b.minor, op: b.op.toLowerCase(), value: b.value })), ...BLKIO_UNREAD },
      num_procs: 0, storage_stats: {},
      ...(networks && Object.keys(networks).length ? { networks } : {}),
    };
    prev = out;
    return out;
  };
  let timer: NodeJS.Timeout | undefined;
  const r = new Readable({ objectMode: true, read() {}, destroy(_e, cb) { if (timer) clearTimeout(timer); cb(null); } });
  const primed = !opts.stream && !opts.oneShot && c.state.Running;
  if (primed) {
    sample();
    timer = setTimeout(() => { r.push(sample()); r.push(null); }, PRIME_MS);
    return r;
  }
  r.push(sample());
  if (opts.stream) {
    const tick = () => { r.push(sample()); timer = setTimeout(tick, STREAM_MS); };
    timer = setTimeout(tick, STREAM_MS);
  } else r.push(null);
  return r;
}

/** The blkio keys dockerd always sends; hako reads only the bytes (null, as dockerd on cgroup v2). */
const BLKIO_UNREAD = Object.fromEntries(['io_serviced_recursive', 'io_queue_recursive', 'io_service_time_recursive', 'io_wait_time_recursive',
  'io_merged_recursive', 'io_time_recursive', 'sectors_recursive'].map((k) => [k, null]));

/** dockerd's answer for a container that is not running: zeros, no memory limit, no networks. */
function idleStats(c: ContainerRecord): Record<string, unknown> {
  const zero = '0001-01-01T00:00:00Z';
  const cpu = { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } };
  return { read: zero, preread: zero, id: c.id, name: `/${c.name}`, pids_stats: {}, blkio_stats: { io_service_bytes_recursive: null, ...BLKIO_UNREAD },
    num_procs: 0, storage_stats: {}, cpu_stats: cpu, precpu_stats: cpu, memory_stats: {} };
}

/** Host CPU time in ns from /proc/stat's first line (USER_HZ = 100), as dockerd's system_cpu_usage. */
function systemCpuNs(): number {
  const l = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1, 8).map(Number);
  return l.reduce((a, b) => a + b, 0) * 1e7;
}

/** Per-interface counters of the container's netns (loopback left out, as dockerd does). */
export function netDev(pid: number, text?: string): Record<string, Record<string, number>> | undefined {
  let t = text;
  if (t === undefined) {
    try { t = readFileSync(`/proc/${pid}/net/dev`, 'utf8'); } catch { return undefined; }
  }
  const out: Record<string, Record<string, number>> = {};
  for (const line of t.split('\n').slice(2)) {
    const m = /^\s*([^:\s]+):\s*(.*)$/.exec(line);
    if (!m || m[1] === 'lo') continue;
    const f = m[2]!.trim().split(/\s+/).map(Number);
    out[m[1]!] = { rx_bytes: f[0]!, rx_packets: f[1]!, rx_errors: f[2]!, rx_dropped: f[3]!,
      tx_bytes: f[8]!, tx_packets: f[9]!, tx_errors: f[10]!, tx_dropped: f[11]! };
  }
  return out;
}
