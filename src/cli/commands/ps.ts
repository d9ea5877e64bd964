import { bool, filterFlag, filtersJson, formatFlag, int, list, noTruncFlag, quietFlag, str, type Command } from '../command.js';
import { formatList } from '../format/formatter.js';
import { containerRow } from '../render/container-context.js';

const TABLE = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

const cmd: Command = {
  usage: '[OPTIONS]',
  summary: 'List containers',
  aliases: ['hako container ls', 'hako container list', 'hako container ps', 'hako ps'],
  flags: [
    { name: 'all', short: 'a', type: 'bool', desc: 'Show all containers (default shows just running)' },
    filterFlag,
    formatFlag,
    { name: 'last', short: 'n', type: 'int', desc: 'Show n last created containers (includes all states)', default: -1, meta: 'int' },
    { name: 'latest', short: 'l', type: 'bool', desc: 'Show the latest created container (includes all states)' },
    noTruncFlag,
    quietFlag('container IDs'),
    { name: 'size', short: 's', type: 'bool', desc: 'Display total file sizes' },
  ],
  maxArgs: 0,
  async run(ctx, _args, f) {
    let limit = int(f, 'last') ?? -1;
    if (bool(f, 'latest')) limit = 1;
    const format = str(f, 'format');
    // docker asks for sizes when the template uses .Size, and {{json .}} uses every field (--format json does not)
    const size = bool(f, 'size') || (!bool(f, 'quiet') && /\.Size\b|\{\{\s*json\s+\.\s*\}\}/.test(format ?? ''));
    const items: Record<string, any>[] = await ctx.client.get('/containers/json', {
      all: bool(f, 'all') || limit > 0 ? 1 : undefined,
      limit: limit > 0 ? limit : undefined,
      size: size ? 1 : undefined,
      filters: filtersJson(list(f, 'filter')),
    });
    const rows = items.map((c) => containerRow(c, !bool(f, 'no-trunc')));
    ctx.out.write(formatList(rows, { format, table: bool(f, 'size') ? `${TABLE}\t{{.Size}}` : TABLE, isQuiet: bool(f, 'quiet'), headers: { ID: 'CONTAINER ID' } }));
  },
};
export default cmd;
