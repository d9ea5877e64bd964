import { bool, filterFlag, filtersJson, formatFlag, list, noTruncFlag, quietFlag, str, type Command } from '../command.js';
import { formatList } from '../format/formatter.js';
import { goTimeString } from '../render/time.js';

const cmd: Command = {
  usage: '[OPTIONS]',
  summary: 'List networks',
  aliases: ['hako network ls', 'hako network list'],
  flags: [filterFlag, formatFlag, noTruncFlag, quietFlag('network IDs')],
  maxArgs: 0,
  async run(ctx, _args, f) {
    const nets: Record<string, any>[] = await ctx.client.get('/networks', { filters: filtersJson(list(f, 'filter')) });
    const trunc = !bool(f, 'no-trunc');
    const rows = nets.map((n) => ({
      ID: trunc ? String(n.Id).slice(0, 12) : n.Id, Name: n.Name, Driver: n.Driver, Scope: n.Scope,
      IPv6: String(!!n.EnableIPv6), Internal: String(!!n.Internal), CreatedAt: n.Created ? goTimeString(n.Created) : '',
      Labels: Object.entries(n.Labels ?? {}).map(([k, v]) => `${k}=${v}`).join(','), Label: (k: string) => n.Labels?.[k] ?? '',
    }));
    ctx.out.write(formatList(rows, { format: str(f, 'format'), table: 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}', isQuiet: bool(f, 'quiet'), headers: { ID: 'NETWORK ID' } }));
  },
};
export default cmd;
