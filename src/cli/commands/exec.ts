import { ExitError, bool, list, str, type Command } from '../command.js';
import { attachStreams, parseDetachKeys } from '../runopts/attach.js';
import { parseEnv } from '../runopts/create-body.js';

const cmd: Command = {
  usage: '[OPTIONS] CONTAINER COMMAND [ARG...]',
  summary: 'Execute a command in a running container',
  aliases: ['hako container exec', 'hako exec'],
  flags: [
    { name: 'detach', short: 'd', type: 'bool', desc: 'Detached mode: run command in the background' },
    { name: 'detach-keys', type: 'string', desc: 'Override the key sequence for detaching a container', meta: 'string' },
    { name: 'env', short: 'e', type: 'list', desc: 'Set environment variables' },
    { name: 'env-file', type: 'list', desc: 'Read in a file of environment variables' },
    { name: 'interactive', short: 'i', type: 'bool', desc: 'Keep STDIN open even if not attached' },
    { name: 'privileged', type: 'bool', desc: 'Give extended privileges to the command' },
    { name: 'tty', short: 't', type: 'bool', desc: 'Allocate a pseudo-TTY' },
    { name: 'user', short: 'u', type: 'string', desc: 'Username or UID (format: "<name|uid>[:<group|gid>]")', meta: 'string' },
    { name: 'workdir', short: 'w', type: 'string', desc: 'Working directory inside the container', meta: 'string' },
  ],
  stopAtPositional: true,
  minArgs: 2,
  async run(ctx, [name, ...command], f) {
    const tty = bool(f, 'tty');
    const stdin = bool(f, 'interactive');
    const detach = bool(f, 'detach');
    // docker checks the terminal before it creates anything
    if (!detach && tty && stdin && !ctx.stdin.isTTY) throw new ExitError(1, 'the input device is not a TTY');
    const size = tty && ctx.out.rows ? [ctx.out.rows, ctx.out.columns] : undefined;
    const { Id } = await ctx.client.post(`/containers/${encodeURIComponent(name!)}/exec`, {
      User: str(f, 'user'), Privileged: bool(f, 'privileged'), Tty: tty, AttachStdin: stdin && !detach,
      AttachStdout: !detach, AttachStderr: !detach, DetachKeys: str(f, 'detach-keys'), Env: parseEnv({ env: list(f, 'env'), 'env-file': list(f, 'env-file') }, process.env),
      WorkingDir: str(f, 'workdir'), Cmd: command, ConsoleSize: size,
    });
    if (detach) {
      await ctx.client.post(`/exec/${Id}/start`, { Detach: true, Tty: tty });
      return 0;
    }
    const hj = await ctx.client.hijack(`/exec/${Id}/start`, { body: { Detach: false, Tty: tty, ConsoleSize: size }, headers: { 'Content-Type': 'application/json' } });
    const s = attachStreams(ctx, hj.socket, { tty, stdin, resizePath: `/exec/${Id}/resize`, detachKeys: parseDetachKeys(str(f, 'detach-keys')) });
    s.begin();
    if (await s.done) return 0;
    const info = await ctx.client.get(`/exec/${Id}/json`);
    return info?.ExitCode ?? 0;
  },
};
export default cmd;
