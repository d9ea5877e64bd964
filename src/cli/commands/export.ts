import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { ExitError, str, type Command } from '../command.js';

const cmd: Command = {
  usage: '[OPTIONS] CONTAINER',
  summary: "Export a container's filesystem as a tar archive",
  aliases: ['hako container export', 'hako export'],
  flags: [{ name: 'output', short: 'o', type: 'string', desc: 'Write to a file, instead of STDOUT', meta: 'string' }],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, [name], f) {
    const file = str(f, 'output');
    if (!file && ctx.out.isTTY) throw new ExitError(1, 'cowardly refusing to save to a terminal. Use the -o flag or redirect');
    const r = await ctx.client.request('GET', `/containers/${encodeURIComponent(name!)}/export`);
    if (file) await pipeline(r.body, createWriteStream(file));
    else await pipeline(r.body, ctx.out, { end: false });
  },
};
export default cmd;
