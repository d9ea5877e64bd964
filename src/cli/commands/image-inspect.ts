import { str, type Command } from '../command.js';
import { inspectObjects } from './_inspect.js';

const cmd: Command = {
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  summary: 'Display detailed information on one or more images',
  flags: [{ name: 'format', short: 'f', type: 'string', desc: 'Format output using a custom template', meta: 'string' }],
  minArgs: 1,
  run: (ctx, args, f) => inspectObjects(ctx, args, ['image'], str(f, 'format')),
};
export default cmd;
