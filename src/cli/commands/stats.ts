import { bool, formatFlag, noTruncFlag, str, type Command, type Ctx } from '../command.js';
import { formatList } from '../format/formatter.js';
import { bytesSize, humanSize } from '../render/units.js';
import { truncId } from '../render/contexts.js';

const TABLE = 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';

/** docker's stats calculations (cgroup v1 and v2 shapes). */
/** `container` is what the user named it by (docker's Container field), else its ID. */
export function statsRow(s: Record<string, any>, trunc: boolean, container?: string): Record<string, string> {
  const cpu = s.cpu_stats ?? {};
  const pre = s.precpu_stats ?? {};
  const cpuDelta = (cpu.cpu_usage?.total_usage ?? 0) - (pre.cpu_usage?.total_usage ?? 0);
  const sysDelta = (cpu.system_cpu_usage ?? 0) - (pre.system_cpu_usage ?? 0);
  const ncpu = cpu.online_cpus || cpu.cpu_usage?.percpu_usage?.length || 1;
  const cpuPerc = sysDelta > 0 && cpuDelta > 0 ? (cpuDelta / sysDelta) * ncpu * 100 : 0;
  const m = s.memory_stats ?? {};
  const cache = m.stats?.total_inactive_file ?? m.stats?.inactive_file ?? 0;
  const used = Math.max(0, (m.usage ?? 0) - (cache < (m.usage ?? 0) ? cache : 0));
  const limit = m.limit ?? 0;
  let rx = 0, tx = 0, rd = 0, wr = 0;
  for (const n of Object.values((s.networks ?? {}) as Record<string, any>)) (rx += n.rx_bytes ?? 0), (tx += n.tx_bytes ?? 0);
  for (const e of (s.blkio_stats?.io_service_bytes_recursive ?? []) as any[]) {
    if (/^read$/i.test(e.op)) rd += e.value;
    if (/^write$/i.test(e.op)) wr += e.value;
  }
  const id = String(s.id ?? '');
  return {
    ID: trunc ? truncId(id) : id,
    Container: container ?? (trunc ? truncId(id) : id),
    Name: String(s.name ?? '').replace(/^\//, '') || '--',
    CPUPerc: `${cpuPerc.toFixed(2)}%`,
    MemUsage: `${bytesSize(used)} / ${bytesSize(limit)}`,
    MemPerc: `${(limit ? (used / limit) * 100 : 0).toFixed(2)}%`,
    NetIO: `${humanSize(rx, 3)} / ${humanSize(tx, 3)}`,
    BlockIO: `${humanSize(rd, 3)} / ${humanSize(wr, 3)}`,
    PIDs: String(s.pids_stats?.current ?? 0),
  };
}

async function snapshot(ctx: Ctx, names: string[], trunc: boolean, named: boolean): Promise<Record<string, string>[]> {
  return Promise.all(names.map(async (n) => statsRow(await ctx.client.get(`/containers/${encodeURIComponent(n)}/stats`, { stream: 0 }), trunc, named ? n : undefined)));
}

const cmd: Command = {
  usage: '[OPTIONS] [CONTAINER...]',
  summary: 'Display a live stream of container(s) resource usage statistics',
  aliases: ['hako container stats', 'hako stats'],
  flags: [
    { name: 'all', short: 'a', type: 'bool', desc: 'Show all containers (default shows just running)' },
    formatFlag,
    { name: 'no-stream', type: 'bool', desc: 'Disable streaming stats and only pull the first result' },
    { ...noTruncFlag, desc: 'Do not truncate output' },
  ],
  async run(ctx, args, f) {
    const trunc = !bool(f, 'no-trunc');
    const fmt = { format: str(f, 'format'), table: TABLE, headers: { ID: 'CONTAINER ID', Container: 'CONTAINER', Name: 'NAME' } };
    for (;;) {
      const names = args.length ? args : ((await ctx.client.get('/containers/json', { all: bool(f, 'all') ? 1 : undefined })) as any[]).map((c) => c.Id as string);
      const rows = await snapshot(ctx, names, trunc, args.length > 0);
      if (bool(f, 'no-stream')) return void ctx.out.write(formatList(rows, fmt));
      ctx.out.write(`\x1b[2J\x1b[H${formatList(rows, fmt)}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  },
};
export default cmd;
