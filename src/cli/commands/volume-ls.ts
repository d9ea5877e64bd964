import { bool, filterFlag, filtersJson, formatFlag, list, quietFlag, str, type Command } from '../command.js';
import { formatList } from '../format/formatter.js';
import { humanSize, naturalLess } from '../render/units.js';

const cmd: Command = {
  usage: '[OPTIONS]',
  summary: 'List volumes',
  aliases: ['hako volume ls', 'hako volume list'],
  flags: [filterFlag, formatFlag, quietFlag('volume names')],
  maxArgs: 0,
  async run(ctx, _args, f) {
    const r = await ctx.client.get('/volumes', { filters: filtersJson(list(f, 'filter')) });
    const vols = ((r?.Volumes ?? []) as Record<string, any>[]).sort((a, b) => naturalLess(a.Name, b.Name));
    // docker's volumeContext: the cluster fields read N/A on a local engine
    const rows = vols.map((v) => ({
      Name: v.Name, Driver: v.Driver, Scope: v.Scope, Mountpoint: v.Mountpoint,
      Labels: Object.entries(v.Labels ?? {}).map(([k, x]) => `${k}=${x}`).join(','),
      Links: v.UsageData ? String(v.UsageData.RefCount) : 'N/A',
      Size: v.UsageData ? humanSize(v.UsageData.Size, 3) : 'N/A',
      Group: 'N/A', Availability: 'N/A', Status: 'N/A',
      Label: (k: string) => v.Labels?.[k] ?? '',
    }));
    for (const w of (r?.Warnings ?? []) as string[]) ctx.err.write(`${w}\n`);
    ctx.out.write(formatList(rows, { format: str(f, 'format'), table: 'table {{.Driver}}\t{{.Name}}', isQuiet: bool(f, 'quiet'), quiet: '{{.Name}}', headers: { Name: 'VOLUME NAME' } }));
  },
};
export default cmd;
