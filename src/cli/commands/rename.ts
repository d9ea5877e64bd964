import { ExitError, errorText, type Command } from '../command.js';

const cmd: Command = {
  usage: 'CONTAINER NEW_NAME',
  summary: 'Rename a container',
  aliases: ['hako container rename', 'hako rename'],
  flags: [],
  minArgs: 2,
  maxArgs: 2,
  async run(ctx, [c, name]) {
    try {
      await ctx.client.post(`/containers/${encodeURIComponent(c!)}/rename`, undefined, { name });
    } catch (e) {
      ctx.err.write(`${errorText(e)}\n`);
      throw new ExitError(1, `Error: failed to rename container named ${c}`);
    }
  },
};
export default cmd;
