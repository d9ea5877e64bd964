import { bool, filterFlag, filtersJson, formatFlag, list, noTruncFlag, quietFlag, str, type Command } from '../command.js';
import { formatList } from '../format/formatter.js';
import { goTimeString } from '../render/time.js';
import { naturalLess } from '../render/units.js';

/** Go's Time.String(): the fraction of a second kept, its trailing zeros dropped. */
function created(t: string | undefined): string {
  if (!t) return '';
  const s = goTimeString(t);
  const frac = /\.(\d+)/.exec(t)?.[1]?.slice(0, 9).replace(/0+$/, '');
  return frac ? s.replace(/^(\S+ \S+)/, `$1.${frac}`) : s;
}

const cmd: Command = {
  usage: '[OPTIONS]',
  summary: 'List networks',
  aliases: ['hako network ls', 'hako network list'],
  flags: [{ ...filterFlag, desc: 'Provide filter values (e.g. "driver=bridge")' }, formatFlag, { ...noTruncFlag, desc: 'Do not truncate the output' }, quietFlag('network IDs')],
  maxArgs: 0,
  async run(ctx, _args, f) {
    const nets: Record<string, any>[] = await ctx.client.get('/networks', { filters: filtersJson(list(f, 'filter')) });
    const trunc = !bool(f, 'no-trunc');
    const rows = nets.sort((a, b) => naturalLess(a.Name, b.Name)).map((n) => ({
      ID: trunc ? String(n.Id).slice(0, 12) : n.Id, Name: n.Name, Driver: n.Driver, Scope: n.Scope,
      IPv4: String(n.EnableIPv4 ?? false), IPv6: String(!!n.EnableIPv6), Internal: String(!!n.Internal), CreatedAt: created(n.Created),
      Labels: Object.entries(n.Labels ?? {}).map(([k, v]) => `${k}=${v}`).join(','), Label: (k: string) => n.Labels?.[k] ?? '',
    }));
    ctx.out.write(formatList(rows, { format: str(f, 'format'), table: 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}', isQuiet: bool(f, 'quiet'), headers: { ID: 'NETWORK ID' } }));
  },
};
export default cmd;
