import { bool, filterFlag, filtersJson, list, type Command } from '../command.js';
import { confirm } from './_prune.js';

const cmd: Command = {
  usage: '[OPTIONS]',
  summary: 'Remove all unused networks',
  flags: [
    { ...filterFlag, short: undefined, desc: 'Provide filter values (e.g. "until=<timestamp>")' },
    { name: 'force', short: 'f', type: 'bool', desc: 'Do not prompt for confirmation' },
  ],
  maxArgs: 0,
  async run(ctx, _args, f) {
    if (!bool(f, 'force') && !(await confirm(ctx, 'WARNING! This will remove all custom networks not used by at least one container.'))) return 0;
    const r = await ctx.client.post('/networks/prune', undefined, { filters: filtersJson(list(f, 'filter'), '--filter') });
    const deleted = (r?.NetworksDeleted ?? []) as string[];
    if (deleted.length) ctx.out.write(`Deleted Networks:\n${deleted.map((d) => d + '\n').join('')}\n`);
  },
};
export default cmd;
