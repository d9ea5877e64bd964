import { list, str, type Command } from '../command.js';

const cmd: Command = {
  usage: '[OPTIONS] NETWORK CONTAINER',
  summary: 'Connect a container to a network',
  flags: [
    { name: 'alias', type: 'list', desc: 'Add network-scoped alias for the container', meta: 'strings' },
    { name: 'ip', type: 'string', desc: 'IPv4 address (e.g., "172.30.100.104")', meta: 'string' },
    { name: 'ip6', type: 'string', desc: 'IPv6 address (e.g., "2001:db8::33")', meta: 'string' },
  ],
  minArgs: 2,
  maxArgs: 2,
  async run(ctx, [net, container], f) {
    const ip = str(f, 'ip');
    const ip6 = str(f, 'ip6');
    await ctx.client.post(`/networks/${encodeURIComponent(net!)}/connect`, {
      Container: container,
      EndpointConfig: { IPAMConfig: ip || ip6 ? { IPv4Address: ip, IPv6Address: ip6 } : undefined, Aliases: list(f, 'alias') },
    });
  },
};
export default cmd;
