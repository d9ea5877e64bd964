import type { Command } from '../command.js';
import { removeAuth, serverKey } from './_auth.js';

const cmd: Command = {
  usage: '[SERVER]',
  summary: 'Log out from a registry',
  flags: [],
  maxArgs: 1,
  async run(ctx, [server]) {
    const key = serverKey(server);
    if (!removeAuth(key)) ctx.out.write(`Not logged in to ${key}\n`);
    else ctx.out.write(`Removing login credentials for ${key}\n`);
  },
};
export default cmd;
