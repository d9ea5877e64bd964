import { forEach, type Command } from '../command.js';

const cmd: Command = {
  usage: 'NETWORK [NETWORK...]',
  summary: 'Remove one or more networks',
  aliases: ['hako network rm', 'hako network remove'],
  flags: [{ name: 'force', short: 'f', type: 'bool', desc: 'Do not error if the network does not exist' }],
  minArgs: 1,
  run: (ctx, args) =>
    forEach(ctx, args, async (n) => {
      await ctx.client.delete(`/networks/${encodeURIComponent(n)}`);
      ctx.out.write(`${n}\n`);
    }),
};
export default cmd;
