import { bool, filterFlag, filtersJson, formatFlag, list, quietFlag, str, type Command } from '../command.js';
import { formatList } from '../format/formatter.js';

const cmd: Command = {
  usage: '[OPTIONS]',
  summary: 'List volumes',
  aliases: ['hako volume ls', 'hako volume list'],
  flags: [filterFlag, formatFlag, quietFlag('volume names')],
  maxArgs: 0,
  async run(ctx, _args, f) {
    const r = await ctx.client.get('/volumes', { filters: filtersJson(list(f, 'filter')) });
    const rows = ((r?.Volumes ?? []) as Record<string, any>[]).map((v) => ({
      ...v,
      Labels: Object.entries(v.Labels ?? {}).map(([k, x]) => `${k}=${x}`).join(','),
      Label: (k: string) => v.Labels?.[k] ?? '',
    }));
    for (const w of (r?.Warnings ?? []) as string[]) ctx.err.write(`${w}\n`);
    ctx.out.write(formatList(rows, { format: str(f, 'format'), table: 'table {{.Driver}}\t{{.Name}}', isQuiet: bool(f, 'quiet'), quiet: '{{.Name}}', headers: { Name: 'VOLUME NAME' } }));
  },
};
export default cmd;
