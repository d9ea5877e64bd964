import { str, type Command, templateFormatFlag } from '../command.js';
import { inspectObjects } from './_inspect.js';

const cmd: Command = {
  usage: '[OPTIONS] VOLUME [VOLUME...]',
  summary: 'Display detailed information on one or more volumes',
  flags: [{ ...templateFormatFlag, short: 'f' }],
  minArgs: 1,
  run: (ctx, args, f) => inspectObjects(ctx, args, ['volume'], str(f, 'format')),
};
export default cmd;
