import { bool, forEach, type Command } from '../command.js';

const cmd: Command = {
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  summary: 'Remove one or more containers',
  aliases: ['hako container rm', 'hako container remove', 'hako rm'],
  flags: [
    { name: 'force', short: 'f', type: 'bool', desc: 'Force the removal of a running container (uses SIGKILL)' },
    { name: 'link', short: 'l', type: 'bool', desc: 'Remove the specified link' },
    { name: 'volumes', short: 'v', type: 'bool', desc: 'Remove anonymous volumes associated with the container' },
  ],
  minArgs: 1,
  async run(ctx, args, f) {
    return forEach(ctx, args, async (n) => {
      await ctx.client.delete(`/containers/${encodeURIComponent(n)}`, {
        force: bool(f, 'force') ? 1 : undefined,
        v: bool(f, 'volumes') ? 1 : undefined,
        link: bool(f, 'link') ? 1 : undefined,
      });
      ctx.out.write(`${n}\n`);
    });
  },
};
export default cmd;
