import { ExitError, type Command } from '../command.js';

const cmd: Command = {
  usage: 'CONTAINER [PRIVATE_PORT[/PROTO]]',
  summary: 'List port mappings or a specific mapping for the container',
  aliases: ['hako container port', 'hako port'],
  flags: [],
  minArgs: 1,
  maxArgs: 2,
  async run(ctx, [name, want]) {
    const info = await ctx.client.get(`/containers/${encodeURIComponent(name!)}/json`);
    const ports = (info.NetworkSettings?.Ports ?? {}) as Record<string, { HostIp: string; HostPort: string }[] | null>;
    const fmt = (b: { HostIp: string; HostPort: string }) => `${b.HostIp.includes(':') ? `[${b.HostIp}]` : b.HostIp || '0.0.0.0'}:${b.HostPort}`;
    if (want) {
      const key = want.includes('/') ? want : `${want}/tcp`;
      const binds = ports[key];
      if (!binds?.length) throw new ExitError(1, `Error: No public port '${want}' published for ${name}`);
      for (const b of binds) ctx.out.write(`${fmt(b)}\n`);
      return;
    }
    for (const [p, binds] of Object.entries(ports)) for (const b of binds ?? []) ctx.out.write(`${p} -> ${fmt(b)}\n`);
  },
};
export default cmd;
