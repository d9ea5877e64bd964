import { bool, filterFlag, filtersJson, list, type Command } from '../command.js';
import { confirm, reclaimed } from './_prune.js';

const cmd: Command = {
  usage: '[OPTIONS]',
  summary: 'Remove unused local volumes',
  flags: [
    { name: 'all', short: 'a', type: 'bool', desc: 'Remove all unused volumes, not just anonymous ones' },
    { ...filterFlag, short: undefined, desc: 'Provide filter values (e.g. "label=<label>")' },
    { name: 'force', short: 'f', type: 'bool', desc: 'Do not prompt for confirmation' },
  ],
  maxArgs: 0,
  async run(ctx, _args, f) {
    const warning = bool(f, 'all') ? 'WARNING! This will remove all local volumes not used by at least one container.' : 'WARNING! This will remove anonymous local volumes not used by at least one container.';
    if (!bool(f, 'force') && !(await confirm(ctx, warning))) return 0;
    const filters = list(f, 'filter');
    if (bool(f, 'all')) filters.push('all=true');
    const r = await ctx.client.post('/volumes/prune', undefined, { filters: filtersJson(filters, '--filter') });
    const deleted = (r?.VolumesDeleted ?? []) as string[];
    if (deleted.length) ctx.out.write(`Deleted Volumes:\n${deleted.map((d) => d + '\n').join('')}\n`);
    ctx.out.write(reclaimed(r?.SpaceReclaimed ?? 0));
  },
};
export default cmd;
