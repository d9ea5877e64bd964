import { forEach, str, int, bool, type Command } from '../command.js';

const cmd: Command = {
  usage: 'CONTAINER [CONTAINER...]',
  summary: 'Pause all processes within one or more containers',
  aliases: ['hako container pause', 'hako pause'],
  flags: [],
  minArgs: 1,
  async run(ctx, args, f) {
    void str; void int; void bool;
    return forEach(ctx, args, async (n) => {
      await ctx.client.post(`/containers/${encodeURIComponent(n)}/pause`, undefined, undefined);
      ctx.out.write(`${n}\n`);
    });
  },
};
export default cmd;
