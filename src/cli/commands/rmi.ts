import { forEach, bool, type Command } from '../command.js';

const cmd: Command = {
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  summary: 'Remove one or more images',
  aliases: ['hako image rm', 'hako image remove', 'hako rmi'],
  flags: [
    { name: 'force', short: 'f', type: 'bool', desc: 'Force removal of the image' },
    { name: 'no-prune', type: 'bool', desc: 'Do not delete untagged parents' },
  ],
  minArgs: 1,
  async run(ctx, args, f) {
    return forEach(ctx, args, async (name) => {
      const res: Record<string, string>[] = await ctx.client.delete(`/images/${encodeURIComponent(name)}`, {
        force: bool(f, 'force') ? 1 : undefined,
        noprune: bool(f, 'no-prune') ? 1 : undefined,
      });
      for (const r of res ?? []) {
        if (r.Untagged) ctx.out.write(`Untagged: ${r.Untagged}\n`);
        if (r.Deleted) ctx.out.write(`Deleted: ${r.Deleted}\n`);
      }
    });
  },
};
export default cmd;
