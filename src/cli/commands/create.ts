import { bool, type Command } from '../command.js';
import { CONTAINER_FLAGS } from '../runopts/flags.js';
import { buildCreate } from '../runopts/create-body.js';
import { EXTRA_CONTAINER_FLAGS, applyExtraOptions, dockerHelp } from '../runopts/docker-options.js';
import { createContainer, optionError } from '../runopts/create.js';

const cmd: Command = {
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  summary: 'Create a new container',
  aliases: ['hako container create', 'hako create'],
  flags: dockerHelp([...CONTAINER_FLAGS, ...EXTRA_CONTAINER_FLAGS]).map((s) => (s.name === 'pull' ? { ...s, desc: s.desc.replace('running', 'creating') } : s)),
  stopAtPositional: true,
  minArgs: 1,
  async run(ctx, args, f) {
    let req;
    try {
      req = buildCreate(f, args, process.env, false);
      applyExtraOptions(f, req.body);
    } catch (e) {
      throw optionError(e, ctx.path);
    }
    ctx.out.write(`${await createContainer(ctx, req, bool(f, 'quiet'))}\n`);
  },
};
export default cmd;
