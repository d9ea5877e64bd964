import { str, type Command, templateFormatFlag } from '../command.js';
import { inspectObjects } from './_inspect.js';

const cmd: Command = {
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  summary: 'Display detailed information on one or more images',
  flags: [{ ...templateFormatFlag, short: 'f' }],
  minArgs: 1,
  run: (ctx, args, f) => inspectObjects(ctx, args, ['image'], str(f, 'format')),
};
export default cmd;
