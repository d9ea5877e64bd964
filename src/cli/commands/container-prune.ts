import { bool, filterFlag, filtersJson, list, type Command } from '../command.js';
import { confirm, reclaimed } from './_prune.js';

const cmd: Command = {
  usage: '[OPTIONS]',
  summary: 'Remove all stopped containers',
  flags: [
    { ...filterFlag, short: undefined, desc: 'Provide filter values (e.g. "until=<timestamp>")' },
    { name: 'force', short: 'f', type: 'bool', desc: 'Do not prompt for confirmation' },
  ],
  maxArgs: 0,
  async run(ctx, _args, f) {
    if (!bool(f, 'force') && !(await confirm(ctx, 'WARNING! This will remove all stopped containers.'))) return 0;
    const r = await ctx.client.post('/containers/prune', undefined, { filters: filtersJson(list(f, 'filter'), '--filter') });
    const deleted = (r?.ContainersDeleted ?? []) as string[];
    if (deleted.length) ctx.out.write(`Deleted Containers:\n${deleted.map((d) => d + '\n').join('')}\n`);
    ctx.out.write(reclaimed(r?.SpaceReclaimed ?? 0));
  },
};
export default cmd;
