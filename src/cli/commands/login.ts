import { readAll } from '../../client/client.js';
import { ExitError, bool, str, type Command } from '../command.js';
import { configPath, saveAuth, serverKey } from './_auth.js';

const cmd: Command = {
  usage: '[OPTIONS] [SERVER]',
  summary: 'Log in to a registry',
  aliases: ['hako login'],
  flags: [
    { name: 'username', short: 'u', type: 'string', desc: 'Username', meta: 'string' },
    { name: 'password', short: 'p', type: 'string', desc: 'Password', meta: 'string' },
    { name: 'password-stdin', type: 'bool', desc: 'Take the password from stdin' },
  ],
  maxArgs: 1,
  async run(ctx, [server], f) {
    const username = str(f, 'username');
    let password = str(f, 'password');
    if (bool(f, 'password-stdin')) {
      if (password) throw new ExitError(1, '--password and --password-stdin are mutually exclusive');
      if (!username) throw new ExitError(1, 'Must provide --username with --password-stdin');
      password = (await readAll(ctx.stdin)).toString('utf8').replace(/\r?\n$/, '');
    } else if (password) {
      ctx.err.write('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
    }
    if (!username || password === undefined) throw new ExitError(1, 'Error: Cannot perform an interactive login from a non TTY device; give -u and -p or --password-stdin');
    const serveraddress = serverKey(server);
    const r = await ctx.client.post<{ Status?: string }>('/auth', { username, password, serveraddress });
    saveAuth(serveraddress, username, password);
    ctx.out.write(`WARNING! Your password will be stored unencrypted in ${configPath()}.\n\n${r?.Status ?? 'Login Succeeded'}\n`);
  },
};
export default cmd;
