import { forEach, str, int, bool, type Command } from '../command.js';

const cmd: Command = {
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  summary: 'Kill one or more running containers',
  aliases: ['hako container kill', 'hako kill'],
  flags: [{ name: 'signal', short: 's', type: 'string', desc: 'Signal to send to the container', meta: 'string' }],
  minArgs: 1,
  async run(ctx, args, f) {
    void str; void int; void bool;
    return forEach(ctx, args, async (n) => {
      await ctx.client.post(`/containers/${encodeURIComponent(n)}/kill`, undefined, { signal: str(f, 'signal') });
      ctx.out.write(`${n}\n`);
    });
  },
};
export default cmd;
