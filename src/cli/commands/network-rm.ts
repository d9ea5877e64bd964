import { ExitError, bool, forEach, type Command } from '../command.js';

const cmd: Command = {
  usage: 'NETWORK [NETWORK...]',
  summary: 'Remove one or more networks',
  aliases: ['hako network rm', 'hako network remove'],
  flags: [{ name: 'force', short: 'f', type: 'bool', desc: 'Do not error if the network does not exist' }],
  minArgs: 1,
  async run(ctx, args, f) {
    const status = await forEach(ctx, args, async (n) => {
      try {
        await ctx.client.delete(`/networks/${encodeURIComponent(n)}`);
      } catch (e) {
        if (bool(f, 'force') && (e as { status?: number }).status === 404) return;
        throw e;
      }
      ctx.out.write(`${n}\n`);
    });
    // docker ends a failed `network rm` with its StatusError's own text
    if (status) throw new ExitError(1, 'exit status 1');
    return 0;
  },
};
export default cmd;
