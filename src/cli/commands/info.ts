import { templateFormatFlag, str, type Command } from '../command.js';
import { compile } from '../format/exec.js';
import { preFormat } from '../format/formatter.js';
import { bytesSize } from '../render/units.js';
import { CLI_VERSION } from '../version-info.js';

type Info = Record<string, any>;

function lines(i: Info): string[] {
  const out = [
    `Server:`,
    ` Containers: ${i.Containers ?? 0}`,
    `  Running: ${i.ContainersRunning ?? 0}`,
    `  Paused: ${i.ContainersPaused ?? 0}`,
    `  Stopped: ${i.ContainersStopped ?? 0}`,
    ` Images: ${i.Images ?? 0}`,
    ` Server Version: ${i.ServerVersion ?? ''}`,
    ` Storage Driver: ${i.Driver ?? ''}`,
  ];
  for (const [k, v] of (i.DriverStatus ?? []) as [string, string][]) out.push(`  ${k}: ${v}`);
  out.push(` Logging Driver: ${i.LoggingDriver ?? ''}`, ` Cgroup Driver: ${i.CgroupDriver ?? ''}`, ` Cgroup Version: ${i.CgroupVersion ?? ''}`);
  const runtimes = Object.keys(i.Runtimes ?? {});
  if (runtimes.length) out.push(` Runtimes: ${runtimes.join(' ')}`);
  out.push(
    ` Default Runtime: ${i.DefaultRuntime ?? ''}`,
    ` Security Options:`,
    ...((i.SecurityOptions ?? []) as string[]).map((s) => `  ${s.replace(/^name=/, '')}`),
    ` Kernel Version: ${i.KernelVersion ?? ''}`,
    ` Operating System: ${i.OperatingSystem ?? ''}`,
    ` OSType: ${i.OSType ?? ''}`,
    ` Architecture: ${i.Architecture ?? ''}`,
    ` CPUs: ${i.NCPU ?? ''}`,
    ` Total Memory: ${bytesSize(Number(i.MemTotal ?? 0))}`,
    ` Name: ${i.Name ?? ''}`,
    ` ID: ${i.ID ?? ''}`,
    ` Docker Root Dir: ${i.DockerRootDir ?? ''}`,
    ` Debug Mode: ${!!i.Debug}`,
    ` Experimental: ${!!i.ExperimentalBuild}`,
    ` Live Restore Enabled: ${!!i.LiveRestoreEnabled}`,
  );
  for (const w of (i.Warnings ?? []) as string[]) out.push(w);
  return out;
}

const cmd: Command = {
  usage: '[OPTIONS]',
  summary: 'Display system-wide information',
  aliases: ['hako system info', 'hako info'],
  flags: [{ ...templateFormatFlag, short: 'f' }],
  maxArgs: 0,
  async run(ctx, _args, f) {
    const format = str(f, 'format');
    if (format) {
      const info = await ctx.client.get('/info');
      ctx.out.write(compile(preFormat(format === 'json' ? '{{json .}}' : format)).execute(info) + '\n');
      return;
    }
    ctx.out.write(`Client:\n Version:    ${CLI_VERSION}\n Context:    default\n Debug Mode: ${ctx.debug}\n\n`);
    const info: Info = await ctx.client.get('/info');
    ctx.out.write(lines(info).join('\n') + '\n');
  },
};
export default cmd;
