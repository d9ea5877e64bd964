import { forEach, str, int, bool, type Command } from '../command.js';

const cmd: Command = {
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  summary: 'Restart one or more containers',
  aliases: ['hako container restart', 'hako restart'],
  flags: [{ name: 'signal', short: 's', type: 'string', desc: 'Signal to send to the container', meta: 'string' }, { name: 'timeout', short: 't', type: 'int', desc: 'Seconds to wait before killing the container', meta: 'int' }, { name: 'time', type: 'int', desc: 'Seconds to wait before killing the container (deprecated: use --timeout)', hidden: true }],
  minArgs: 1,
  async run(ctx, args, f) {
    void str; void int; void bool;
    return forEach(ctx, args, async (n) => {
      await ctx.client.post(`/containers/${encodeURIComponent(n)}/restart`, undefined, { signal: str(f, 'signal'), t: int(f, 'timeout') ?? int(f, 'time') });
      ctx.out.write(`${n}\n`);
    });
  },
};
export default cmd;
