import { bool, type Command } from '../command.js';

const cmd: Command = {
  usage: '[OPTIONS] NETWORK CONTAINER',
  summary: 'Disconnect a container from a network',
  flags: [{ name: 'force', short: 'f', type: 'bool', desc: 'Force the container to disconnect from a network' }],
  minArgs: 2,
  maxArgs: 2,
  async run(ctx, [net, container], f) {
    await ctx.client.post(`/networks/${encodeURIComponent(net!)}/disconnect`, { Container: container, Force: bool(f, 'force') });
  },
};
export default cmd;
