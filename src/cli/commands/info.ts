import { templateFormatFlag, str, type Command } from '../command.js';
import { compile } from '../format/exec.js';
import { preFormat } from '../format/formatter.js';
import { bytesSize } from '../render/units.js';
import { CLI_VERSION } from '../version-info.js';

type Info = Record<string, any>;

function plugins(i: Info): string[] {
  const p = i.Plugins ?? {};
  const row = (k: string, v: string[] | null | undefined) => (v?.length ? [`  ${k}: ${v.join(' ')}`] : []);
  return [' Plugins:', ...row('Volume', p.Volume), ...row('Network', p.Network), ...row('Authorization', p.Authorization), ...row('Log', p.Log)];
}

function commit(name: string, c: { ID?: string; Expected?: string } | undefined): string {
  const id = c?.ID ?? '';
  return ` ${name} version: ${id}${c?.Expected && c.Expected !== id ? ` (expected: ${c.Expected})` : ''}`;
}

/** "name=seccomp,profile=builtin" as docker prints it: the name, then its profile. */
function securityOptions(opts: string[]): string[] {
  const out: string[] = [];
  for (const o of opts) {
    for (const kv of o.split(',')) {
      const [k, v = ''] = kv.split('=');
      if (k === 'name') out.push(`  ${v}`);
      else if (k === 'profile') out.push(`   Profile: ${v}`);
    }
  }
  return out;
}

function registries(i: Info): string[] {
  const r = i.RegistryConfig ?? {};
  const insecure = [
    ...Object.values((r.IndexConfigs ?? {}) as Record<string, { Name: string; Secure: boolean }>).filter((c) => !c.Secure).map((c) => c.Name),
    ...((r.InsecureRegistryCIDRs ?? []) as string[]),
  ];
  const mirrors = (r.Mirrors ?? []) as string[];
  return [
    ...(insecure.length ? [' Insecure Registries:', ...insecure.map((x) => `  ${x}`)] : []),
    ...(mirrors.length ? [' Registry Mirrors:', ...mirrors.map((x) => `  ${x}`)] : []),
  ];
}

/** docker's prettyPrintServerInfo, for what a Linux engine reports. */
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
  out.push(...plugins(i), ` Swarm: ${i.Swarm?.LocalNodeState ?? 'inactive'}`);
  const runtimes = Object.keys(i.Runtimes ?? {}).sort();
  if (runtimes.length) out.push(` Runtimes: ${runtimes.join(' ')}`);
  out.push(` Default Runtime: ${i.DefaultRuntime ?? ''}`);
  if ((i.OSType ?? 'linux') === 'linux') {
    out.push(` Init Binary: ${i.InitBinary ?? ''}`, commit('containerd', i.ContainerdCommit), commit('runc', i.RuncCommit), commit('init', i.InitCommit));
  }
  const sec = (i.SecurityOptions ?? []) as string[];
  if (sec.length) out.push(' Security Options:', ...securityOptions(sec));
  out.push(
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
  );
  if (i.Debug) {
    out.push(`  File Descriptors: ${i.NFd ?? 0}`, `  Goroutines: ${i.NGoroutines ?? 0}`, `  System Time: ${i.SystemTime ?? ''}`, `  EventsListeners: ${i.NEventsListener ?? 0}`);
  }
  for (const [k, v] of [['HTTP Proxy', i.HttpProxy], ['HTTPS Proxy', i.HttpsProxy], ['No Proxy', i.NoProxy]] as const) if (v) out.push(` ${k}: ${v}`);
  const labels = (i.Labels ?? []) as string[];
  if (labels.length) out.push(' Labels:', ...labels.map((l) => `  ${l}`));
  out.push(` Experimental: ${!!i.ExperimentalBuild}`, ...registries(i), ` Live Restore Enabled: ${!!i.LiveRestoreEnabled}`);
  const pools = (i.DefaultAddressPools ?? []) as { Base: string; Size: number }[];
  if (pools.length) out.push(' Default Address Pools:', ...pools.map((p) => `   Base: ${p.Base}, Size: ${p.Size}`));
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
    ctx.out.write(lines(info).join('\n') + '\n\n');
    // docker prints the daemon's warnings on stderr, after the report
    for (const w of (info.Warnings ?? []) as string[]) ctx.err.write(`${w}\n`);
  },
};
export default cmd;
