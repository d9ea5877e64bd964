import { bool, str, type Command } from '../command.js';
import { attachStreams, parseDetachKeys } from '../runopts/attach.js';

const cmd: Command = {
  usage: '[OPTIONS] CONTAINER',
  summary: 'Attach local standard input, output, and error streams to a running container',
  aliases: ['hako container attach', 'hako attach'],
  flags: [
    { name: 'detach-keys', type: 'string', desc: 'Override the key sequence for detaching a container', meta: 'string' },
    { name: 'no-stdin', type: 'bool', desc: 'Do not attach STDIN' },
    { name: 'sig-proxy', type: 'bool', desc: 'Proxy all received signals to the process', default: true },
  ],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, [name], f) {
    const info = await ctx.client.get(`/containers/${encodeURIComponent(name!)}/json`);
    if (!info.State?.Running) return ctx.err.write('You cannot attach to a stopped container, start it first\n'), 1;
    if (info.State?.Paused) return ctx.err.write('You cannot attach to a paused container, unpause it first\n'), 1;
    const path = `/containers/${info.Id}`;
    const tty = !!info.Config?.Tty;
    const stdin = !bool(f, 'no-stdin') && !!info.Config?.OpenStdin;
    const hj = await ctx.client.hijack(`${path}/attach`, { query: { stream: 1, stdin: stdin ? 1 : 0, stdout: 1, stderr: 1, detachKeys: str(f, 'detach-keys') } });
    // wait from before the streams, as the docker CLI does: a --rm container is gone once they end
    const wait = ctx.client.post(`${path}/wait`, undefined, { condition: 'not-running' });
    wait.catch(() => undefined);
    const s = attachStreams(ctx, hj.socket, { tty, stdin, resizePath: `${path}/resize`, redraw: true, detachKeys: parseDetachKeys(str(f, 'detach-keys')) });
    s.begin();
    if (await s.done) return 0;
    const res = await wait.catch(() => undefined);
    return res?.StatusCode ?? 0;
  },
};
export default cmd;
