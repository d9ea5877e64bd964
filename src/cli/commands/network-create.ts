import { bool, list, str, type Command } from '../command.js';

const kv = (a: string[]) => Object.fromEntries(a.map((s) => [s.split('=')[0], s.slice(s.indexOf('=') + 1)]));

const cmd: Command = {
  usage: '[OPTIONS] NETWORK',
  summary: 'Create a network',
  flags: [
    { name: 'attachable', type: 'bool', desc: 'Enable manual container attachment' },
    { name: 'driver', short: 'd', type: 'string', desc: 'Driver to manage the Network', default: 'bridge', meta: 'string' },
    { name: 'gateway', type: 'list', desc: 'IPv4 or IPv6 Gateway for the master subnet', meta: 'strings' },
    { name: 'internal', type: 'bool', desc: 'Restrict external access to the network' },
    { name: 'ip-range', type: 'list', desc: 'Allocate container ip from a sub-range', meta: 'strings' },
    { name: 'ipv6', type: 'bool', desc: 'Enable IPv6 networking' },
    { name: 'label', type: 'list', desc: 'Set metadata on a network' },
    { name: 'opt', short: 'o', type: 'list', desc: 'Set driver specific options', meta: 'map' },
    { name: 'subnet', type: 'list', desc: 'Subnet in CIDR format that represents a network segment', meta: 'strings' },
  ],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, [name], f) {
    const subnets = list(f, 'subnet');
    const gws = list(f, 'gateway');
    const ranges = list(f, 'ip-range');
    const config = subnets.map((s, i) => ({ Subnet: s, Gateway: gws[i], IPRange: ranges[i] }));
    const r = await ctx.client.post('/networks/create', {
      Name: name, Driver: str(f, 'driver'), Internal: bool(f, 'internal'), Attachable: bool(f, 'attachable'), EnableIPv6: bool(f, 'ipv6'),
      Options: kv(list(f, 'opt')), Labels: kv(list(f, 'label')), IPAM: { Driver: 'default', Config: config },
    });
    if (r?.Warning) ctx.err.write(`${r.Warning}\n`);
    ctx.out.write(`${r.Id}\n`);
  },
};
export default cmd;
