import { familiarString, parseNormalizedNamed } from '../../core/reference.js';
import { jsonLines } from '../../client/jsonlines.js';
import { ExitError, bool, type Command } from '../command.js';
import { displayJSONMessages } from '../render/progress.js';
import { authHeaders } from './_auth.js';

const cmd: Command = {
  usage: '[OPTIONS] NAME[:TAG]',
  summary: 'Upload an image to a registry',
  aliases: ['hako image push', 'hako push'],
  flags: [
    { name: 'all-tags', short: 'a', type: 'bool', desc: 'Push all tags of an image to the repository' },
    { name: 'quiet', short: 'q', type: 'bool', desc: 'Suppress verbose output' },
  ],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, [name], f) {
    let ref;
    try {
      ref = parseNormalizedNamed(name!);
    } catch (e) {
      throw new ExitError(1, `invalid reference format: ${(e as Error).message}`);
    }
    if (ref.digest) throw new ExitError(1, 'cannot push a digest reference');
    const all = bool(f, 'all-tags');
    const hasTag = /:[^/]+$/.test(name!);
    if (all && hasTag) throw new ExitError(1, 'tag can\'t be used with --all-tags/-a');
    if (!all && !hasTag && !bool(f, 'quiet')) ctx.out.write('Using default tag: latest\n');
    const repo = familiarString({ ...ref, tag: undefined });
    const r = await ctx.client.request('POST', `/images/${encodeURIComponent(repo)}/push`, {
      query: { tag: all ? undefined : ref.tag ?? 'latest' },
      headers: authHeaders(name!),
    });
    const quiet = bool(f, 'quiet');
    const sink = quiet ? (Object.assign(Object.create(ctx.out), { write: () => true }) as NodeJS.WriteStream) : ctx.out;
    await displayJSONMessages(jsonLines(r.body), sink, !quiet && !!ctx.out.isTTY);
    if (quiet) ctx.out.write(`${familiarString(ref)}\n`);
  },
};
export default cmd;
