import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { jsonLines } from '../../client/jsonlines.js';
import { readAll } from '../../client/client.js';
import { ExitError, bool, openErrorText, str, type Command } from '../command.js';
import { displayJSONMessages } from '../render/progress.js';

const cmd: Command = {
  usage: '[OPTIONS]',
  summary: 'Load an image from a tar archive or STDIN',
  aliases: ['hako image load', 'hako load'],
  flags: [
    { name: 'input', short: 'i', type: 'string', desc: 'Read from tar archive file, instead of STDIN', meta: 'string' },
    { name: 'quiet', short: 'q', type: 'bool', desc: 'Suppress the load output' },
  ],
  maxArgs: 0,
  async run(ctx, _args, f) {
    const file = str(f, 'input');
    if (!file && ctx.stdin.isTTY) throw new ExitError(1, 'requested load from stdin, but stdin is empty');
    const input: Readable = file ? createReadStream(file) : ctx.stdin;
    if (file) await new Promise<void>((res, rej) => input.once('open', () => res()).once('error', (e) => rej(new ExitError(1, openErrorText(file, e)))));
    const tty = !!ctx.out.isTTY;
    const quiet = bool(f, 'quiet') || !tty;
    const r = await ctx.client.request('POST', '/images/load', {
      query: { quiet: quiet ? 1 : 0 },
      body: input,
      headers: { 'Content-Type': 'application/x-tar' },
    });
    if (!(r.headers['content-type'] ?? '').includes('json')) {
      ctx.out.write(await readAll(r.body));
      return;
    }
    await displayJSONMessages(jsonLines(r.body), ctx.out, tty);
  },
};
export default cmd;
