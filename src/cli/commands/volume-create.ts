import { list, str, type Command } from '../command.js';

const kv = (a: string[]) => Object.fromEntries(a.map((s) => [s.split('=')[0], s.slice(s.indexOf('=') + 1)]));

const cmd: Command = {
  usage: '[OPTIONS] [VOLUME]',
  summary: 'Create a volume',
  flags: [
    { name: 'driver', short: 'd', type: 'string', desc: 'Specify volume driver name', default: 'local', meta: 'string' },
    { name: 'label', type: 'list', desc: 'Set metadata for a volume' },
    { name: 'name', type: 'string', desc: 'Specify volume name', meta: 'string', hidden: true },
    { name: 'opt', short: 'o', type: 'list', desc: 'Set driver specific options', meta: 'map' },
  ],
  maxArgs: 1,
  async run(ctx, [name], f) {
    const v = await ctx.client.post('/volumes/create', { Name: name ?? str(f, 'name') ?? '', Driver: str(f, 'driver'), DriverOpts: kv(list(f, 'opt')), Labels: kv(list(f, 'label')) });
    ctx.out.write(`${v.Name}\n`);
  },
};
export default cmd;
