import { forEach, type Command } from '../command.js';

const cmd: Command = {
  usage: 'CONTAINER [CONTAINER...]',
  summary: 'Block until one or more containers stop, then print their exit codes',
  aliases: ['hako container wait', 'hako wait'],
  flags: [],
  minArgs: 1,
  async run(ctx, args) {
    return forEach(ctx, args, async (n) => {
      const r = await ctx.client.post(`/containers/${encodeURIComponent(n)}/wait`);
      ctx.out.write(`${r?.StatusCode ?? 0}\n`);
    });
  },
};
export default cmd;
