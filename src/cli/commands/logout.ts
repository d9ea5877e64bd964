import type { Command } from '../command.js';
import { removeAuth, serverKey } from './_auth.js';

const cmd: Command = {
  usage: '[SERVER]',
  summary: 'Log out from a registry',
  flags: [],
  maxArgs: 1,
  async run(ctx, [server]) {
    // docker 28 says it removes them whether or not there were any
    const key = serverKey(server);
    ctx.out.write(`Removing login credentials for ${key}\n`);
    removeAuth(key);
  },
};
export default cmd;
