import { str, type Command, templateFormatFlag } from '../command.js';
import { inspectObjects } from './_inspect.js';

const cmd: Command = {
  usage: '[OPTIONS] NETWORK [NETWORK...]',
  summary: 'Display detailed information on one or more networks',
  flags: [
    { ...templateFormatFlag, short: 'f' },
    { name: 'verbose', short: 'v', type: 'bool', desc: 'Verbose output for diagnostics' },
  ],
  minArgs: 1,
  run: (ctx, args, f) => inspectObjects(ctx, args, ['network'], str(f, 'format')),
};
export default cmd;
