import { bool, filterFlag, filtersJson, list, type Command } from '../command.js';
import { confirm, reclaimed } from './_prune.js';

const cmd: Command = {
  usage: '[OPTIONS]',
  summary: 'Remove unused images',
  flags: [
    { name: 'all', short: 'a', type: 'bool', desc: 'Remove all unused images, not just dangling ones' },
    { ...filterFlag, short: undefined, desc: 'Provide filter values (e.g. "until=<timestamp>")' },
    { name: 'force', short: 'f', type: 'bool', desc: 'Do not prompt for confirmation' },
  ],
  maxArgs: 0,
  async run(ctx, _args, f) {
    const all = bool(f, 'all');
    const warning = all
      ? 'WARNING! This will remove all images without at least one container associated to them.'
      : 'WARNING! This will remove all dangling images.';
    if (!bool(f, 'force') && !(await confirm(ctx, warning))) return 0;
    const filters = [...list(f, 'filter'), `dangling=${all ? 'false' : 'true'}`];
    const r = await ctx.client.post('/images/prune', undefined, { filters: filtersJson(filters, '--filter') });
    const deleted = (r?.ImagesDeleted ?? []) as Record<string, string>[];
    if (deleted.length) {
      ctx.out.write('Deleted Images:\n');
      for (const d of deleted) ctx.out.write(d.Untagged ? `untagged: ${d.Untagged}\n` : `deleted: ${d.Deleted}\n`);
      ctx.out.write('\n');
    }
    ctx.out.write(reclaimed(r?.SpaceReclaimed ?? 0));
  },
};
export default cmd;
