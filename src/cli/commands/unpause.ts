import { forEach, str, int, bool, type Command } from '../command.js';

const cmd: Command = {
  usage: 'CONTAINER [CONTAINER...]',
  summary: 'Unpause all processes within one or more containers',
  aliases: ['hako container unpause', 'hako unpause'],
  flags: [],
  minArgs: 1,
  async run(ctx, args, f) {
    void str; void int; void bool;
    return forEach(ctx, args, async (n) => {
      await ctx.client.post(`/containers/${encodeURIComponent(n)}/unpause`, undefined, undefined);
      ctx.out.write(`${n}\n`);
    });
  },
};
export default cmd;
