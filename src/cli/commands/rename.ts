import type { Command } from '../command.js';

const cmd: Command = {
  usage: 'CONTAINER NEW_NAME',
  summary: 'Rename a container',
  aliases: ['hako container rename', 'hako rename'],
  flags: [],
  minArgs: 2,
  maxArgs: 2,
  async run(ctx, [c, name]) {
    await ctx.client.post(`/containers/${encodeURIComponent(c!)}/rename`, undefined, { name });
  },
};
export default cmd;
