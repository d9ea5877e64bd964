import { parseNormalizedNamed, familiarName } from '../../core/reference.js';
import { ExitError, type Command } from '../command.js';

const cmd: Command = {
  usage: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
  summary: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
  aliases: ['hako image tag', 'hako tag'],
  flags: [],
  minArgs: 2,
  maxArgs: 2,
  async run(ctx, [src, dst]) {
    let ref;
    try {
      ref = parseNormalizedNamed(dst!);
    } catch (e) {
      throw new ExitError(1, `Error parsing reference: "${dst}" is not a valid repository/tag: ${(e as Error).message.replace(/repository name \(([^/)]+)\) must be lowercase/, 'repository name (library/$1) must be lowercase')}`);
    }
    if (ref.digest) throw new ExitError(1, 'refusing to create a tag with a digest reference');
    await ctx.client.post(`/images/${encodeURIComponent(src!)}/tag`, undefined, { repo: familiarName(ref), tag: ref.tag });
  },
};
export default cmd;
