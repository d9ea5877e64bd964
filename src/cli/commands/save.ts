import { createWriteStream, renameSync, unlinkSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ExitError, str, type Command } from '../command.js';

const cmd: Command = {
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  summary: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
  aliases: ['hako image save', 'hako save'],
  flags: [{ name: 'output', short: 'o', type: 'string', desc: 'Write to a file, instead of STDOUT', meta: 'string' }],
  minArgs: 1,
  async run(ctx, args, f) {
    const file = str(f, 'output');
    if (!file && ctx.out.isTTY) throw new ExitError(1, 'cowardly refusing to save to a terminal. Use the -o flag or redirect');
    const r = await ctx.client.request('GET', '/images/get', { query: { names: args } });
    if (!file) {
      await pipeline(r.body, ctx.out, { end: false });
      return;
    }
    const tmp = join(dirname(file), `.${basename(file)}.hako-tmp-${process.pid}`);
    try {
      await pipeline(r.body, createWriteStream(tmp));
      renameSync(tmp, file);
    } catch (e) {
      try {
        unlinkSync(tmp);
      } catch {
        /* already gone */
      }
      throw new ExitError(1, `failed to save image: ${(e as Error).message}`);
    }
  },
};
export default cmd;
