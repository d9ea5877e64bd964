import { ExitError, bool, forEach, str, type Command } from '../command.js';
import { attachStreams, parseDetachKeys } from '../runopts/attach.js';
import { startErrorStatus } from '../runopts/create.js';

const cmd: Command = {
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  summary: 'Start one or more stopped containers',
  aliases: ['hako container start', 'hako start'],
  flags: [
    { name: 'attach', short: 'a', type: 'bool', desc: 'Attach STDOUT/STDERR and forward signals' },
    { name: 'detach-keys', type: 'string', desc: 'Override the key sequence for detaching a container', meta: 'string' },
    { name: 'interactive', short: 'i', type: 'bool', desc: "Attach container's STDIN" },
  ],
  minArgs: 1,
  async run(ctx, args, f) {
    const attach = bool(f, 'attach') || bool(f, 'interactive');
    if (!attach) {
      const failed: string[] = [];
      await forEach(ctx, args, async (n) => {
        try {
          await ctx.client.post(`/containers/${encodeURIComponent(n)}/start`);
        } catch (e) {
          failed.push(n);
          throw e;
        }
        ctx.out.write(`${n}\n`);
      });
      if (failed.length) throw new ExitError(1, `Error: failed to start containers: ${failed.join(', ')}`);
      return 0;
    }
    const info = await ctx.client.get(`/containers/${encodeURIComponent(args[0]!)}/json`);
    const path = `/containers/${info.Id}`;
    const tty = !!info.Config?.Tty;
    const stdin = bool(f, 'interactive') && !!info.Config?.OpenStdin;
    const hj = await ctx.client.hijack(`${path}/attach`, { query: { stream: 1, stdin: stdin ? 1 : 0, stdout: 1, stderr: 1 } });
    const s = attachStreams(ctx, hj.socket, { tty, stdin, resizePath: `${path}/resize`, detachKeys: parseDetachKeys(str(f, 'detach-keys')) });
    const wait = ctx.client.post(`${path}/wait`, undefined, { condition: 'next-exit' });
    wait.catch(() => undefined);
    try {
      await ctx.client.post(`${path}/start`);
    } catch (e) {
      s.close();
      ctx.err.write(`Error response from daemon: ${(e as Error).message}\n`);
      return startErrorStatus((e as Error).message);
    }
    s.begin();
    if (await s.done) return 0;
    return (await wait)?.StatusCode ?? 0;
  },
};
export default cmd;
