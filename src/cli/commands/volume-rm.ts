import { bool, forEach, type Command } from '../command.js';

const cmd: Command = {
  usage: '[OPTIONS] VOLUME [VOLUME...]',
  summary: 'Remove one or more volumes',
  aliases: ['hako volume rm', 'hako volume remove'],
  flags: [{ name: 'force', short: 'f', type: 'bool', desc: 'Force the removal of one or more volumes' }],
  minArgs: 1,
  run: (ctx, args, f) =>
    forEach(ctx, args, async (n) => {
      await ctx.client.delete(`/volumes/${encodeURIComponent(n)}`, { force: bool(f, 'force') ? 1 : undefined });
      ctx.out.write(`${n}\n`);
    }),
};
export default cmd;
