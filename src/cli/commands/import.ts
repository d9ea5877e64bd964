import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { parseNormalizedNamed, familiarName } from '../../core/reference.js';
import { ExitError, list, str, type Command } from '../command.js';
import { displayJSONMessages } from '../render/progress.js';
import { jsonLines } from '../../client/jsonlines.js';

const cmd: Command = {
  usage: '[OPTIONS] file|URL|- [REPOSITORY[:TAG]]',
  summary: 'Import the contents from a tarball to create a filesystem image',
  aliases: ['hako image import', 'hako import'],
  flags: [
    { name: 'change', short: 'c', type: 'list', desc: 'Apply Dockerfile instruction to the created image' },
    { name: 'message', short: 'm', type: 'string', desc: 'Set commit message for imported image', meta: 'string' },
    { name: 'platform', type: 'string', desc: 'Set platform if server is multi-platform capable', meta: 'string' },
  ],
  minArgs: 1,
  maxArgs: 2,
  async run(ctx, [src, target], f) {
    let repo: string | undefined;
    let tag: string | undefined;
    if (target) {
      const ref = parseNormalizedNamed(target);
      if (ref.digest) throw new ExitError(1, 'refusing to create a tag with a digest reference');
      repo = familiarName(ref);
      tag = ref.tag;
    }
    const isUrl = /^https?:\/\//.test(src!);
    let body: Readable | undefined;
    if (src === '-') body = ctx.stdin;
    else if (!isUrl) {
      body = createReadStream(src!);
      const code = (e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? 'no such file or directory' : e.message);
      await new Promise<void>((res, rej) => body!.once('open', () => res()).once('error', (e) => rej(new ExitError(1, `open ${src}: ${code(e)}`))));
    }
    const r = await ctx.client.request('POST', '/images/create', {
      query: { fromSrc: isUrl ? src : '-', repo, tag, message: str(f, 'message'), changes: list(f, 'change'), platform: str(f, 'platform') },
      body: body ?? '',
      headers: { 'Content-Type': 'application/x-tar' },
    });
    await displayJSONMessages(jsonLines(r.body), ctx.out, !!ctx.out.isTTY);
  },
};
export default cmd;
