import { familiarName, parseNormalizedNamed } from '../../core/reference.js';
import { ExitError, bool, list, str, type Command } from '../command.js';

const cmd: Command = {
  usage: "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
  summary: "Create a new image from a container's changes",
  aliases: ['hako container commit', 'hako commit'],
  flags: [
    { name: 'author', short: 'a', type: 'string', desc: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")', meta: 'string' },
    { name: 'change', short: 'c', type: 'list', desc: 'Apply Dockerfile instruction to the created image', meta: 'list' },
    { name: 'message', short: 'm', type: 'string', desc: 'Commit message', meta: 'string' },
    { name: 'pause', short: 'p', type: 'bool', desc: 'Pause container during commit', default: true },
  ],
  minArgs: 1,
  maxArgs: 2,
  async run(ctx, [container, target], f) {
    let repo: string | undefined;
    let tag: string | undefined;
    if (target) {
      let ref;
      try {
        ref = parseNormalizedNamed(target);
      } catch (e) {
        throw new ExitError(1, `invalid reference format: ${(e as Error).message}`);
      }
      if (ref.digest) throw new ExitError(1, 'refusing to create a tag with a digest reference');
      repo = familiarName(ref);
      tag = ref.tag;
    }
    const r = await ctx.client.post<{ Id: string }>('/commit', {}, {
      container, repo, tag, comment: str(f, 'message'), author: str(f, 'author'), changes: list(f, 'change'),
      pause: bool(f, 'pause') || f.pause === undefined ? 1 : 0,
    });
    ctx.out.write(`${r.Id}\n`);
  },
};
export default cmd;
