import { forEach, int, str, type Command } from '../command.js';
import { ramInBytes } from '../render/units.js';
import { parseRestart } from '../runopts/create-body.js';

const mem = (s: string | undefined) => (s === undefined ? undefined : s === '-1' ? -1 : ramInBytes(s));

const cmd: Command = {
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  summary: 'Update configuration of one or more containers',
  aliases: ['hako container update', 'hako update'],
  flags: [
    { name: 'cpu-shares', short: 'c', type: 'int', desc: 'CPU shares (relative weight)', meta: 'int' },
    { name: 'cpu-period', type: 'int', desc: 'Limit CPU CFS (Completely Fair Scheduler) period', meta: 'int' },
    { name: 'cpu-quota', type: 'int', desc: 'Limit CPU CFS (Completely Fair Scheduler) quota', meta: 'int' },
    { name: 'cpus', type: 'string', desc: 'Number of CPUs', meta: 'decimal' },
    { name: 'cpuset-cpus', type: 'string', desc: 'CPUs in which to allow execution (0-3, 0,1)', meta: 'string' },
    { name: 'memory', short: 'm', type: 'string', desc: 'Memory limit', meta: 'bytes' },
    { name: 'memory-reservation', type: 'string', desc: 'Memory soft limit', meta: 'bytes' },
    { name: 'memory-swap', type: 'string', desc: "Swap limit equal to memory plus swap: -1 to enable unlimited swap", meta: 'bytes' },
    { name: 'pids-limit', type: 'int', desc: 'Tune container pids limit (set -1 for unlimited)', meta: 'int' },
    { name: 'restart', type: 'string', desc: 'Restart policy to apply when a container exits', meta: 'string' },
  ],
  minArgs: 1,
  async run(ctx, args, f) {
    const cpus = str(f, 'cpus');
    const body = {
      CpuShares: int(f, 'cpu-shares'), CpuPeriod: int(f, 'cpu-period'), CpuQuota: int(f, 'cpu-quota'),
      NanoCpus: cpus === undefined ? undefined : Math.round(Number(cpus) * 1e9), CpusetCpus: str(f, 'cpuset-cpus'),
      Memory: mem(str(f, 'memory')), MemoryReservation: mem(str(f, 'memory-reservation')), MemorySwap: mem(str(f, 'memory-swap')),
      PidsLimit: int(f, 'pids-limit'), RestartPolicy: str(f, 'restart') ? parseRestart(str(f, 'restart')!) : undefined,
    };
    return forEach(ctx, args, async (n) => {
      const r = await ctx.client.post(`/containers/${encodeURIComponent(n)}/update`, body);
      for (const w of r?.Warnings ?? []) ctx.err.write(`${w}\n`);
      ctx.out.write(`${n}\n`);
    });
  },
};
export default cmd;
