import { canonicalString, familiarString, parseNormalizedNamed, parseReference } from '../../core/reference.js';
import { jsonLines } from '../../client/jsonlines.js';
import { ExitError, bool, str, type Command } from '../command.js';
import { displayJSONMessages } from '../render/progress.js';
import { authHeaders } from './_auth.js';

const cmd: Command = {
  usage: '[OPTIONS] NAME[:TAG|@DIGEST]',
  summary: 'Download an image from a registry',
  aliases: ['hako image pull', 'hako pull'],
  flags: [
    { name: 'platform', type: 'string', desc: 'Set platform if server is multi-platform capable', meta: 'string' },
    { name: 'quiet', short: 'q', type: 'bool', desc: 'Suppress verbose output' },
  ],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, [name], f) {
    let ref;
    try {
      ref = parseReference(name!);
    } catch (e) {
      throw new ExitError(1, `invalid reference format: ${(e as Error).message}`);
    }
    const quiet = bool(f, 'quiet');
    if (!ref.tag && !ref.digest && !quiet) ctx.out.write('Using default tag: latest\n');
    const full = parseNormalizedNamed(name!);
    const fromImage = familiarString({ ...full, tag: undefined, digest: undefined });
    const r = await ctx.client.request('POST', '/images/create', {
      query: { fromImage, tag: full.digest ?? full.tag ?? 'latest', platform: str(f, 'platform') },
      headers: authHeaders(name!),
    });
    const sink = quiet ? (Object.assign(Object.create(ctx.out), { write: () => true }) as NodeJS.WriteStream) : ctx.out;
    await displayJSONMessages(jsonLines(r.body), sink, !quiet && !!ctx.out.isTTY);
    ctx.out.write(`${canonicalString(full)}\n`);
  },
};
export default cmd;
