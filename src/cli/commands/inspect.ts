import { ExitError, bool, str, type Command, templateFormatFlag } from '../command.js';
import { inspectObjects, type Kind } from './_inspect.js';

const ALL: Kind[] = ['container', 'image', 'network', 'volume'];

const cmd: Command = {
  usage: '[OPTIONS] NAME|ID [NAME|ID...]',
  summary: 'Return low-level information on hako objects',
  flags: [
    { ...templateFormatFlag, short: 'f' },
    { name: 'size', short: 's', type: 'bool', desc: 'Display total file sizes if the type is container' },
    { name: 'type', type: 'string', desc: 'Only inspect objects of the given type', meta: 'string' },
  ],
  minArgs: 1,
  async run(ctx, args, f) {
    const type = str(f, 'type');
    if (type && !ALL.includes(type as Kind)) throw new ExitError(1, `"${type}" is not a valid value for --type`);
    return inspectObjects(ctx, args, type ? [type as Kind] : ALL, str(f, 'format'), bool(f, 'size'));
  },
};
export default cmd;
