import { bool, str, type Command, templateFormatFlag } from '../command.js';
import { inspectObjects } from './_inspect.js';

const cmd: Command = {
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  summary: 'Display detailed information on one or more containers',
  flags: [
    { ...templateFormatFlag, short: 'f' },
    { name: 'size', short: 's', type: 'bool', desc: 'Display total file sizes' },
  ],
  minArgs: 1,
  run: (ctx, args, f) => inspectObjects(ctx, args, ['container'], str(f, 'format'), bool(f, 'size')),
};
export default cmd;
