import { ExitError, bool, str, type Command, type Ctx } from '../command.js';
import { CONTAINER_FLAGS, RUN_ONLY_FLAGS } from '../runopts/flags.js';
import { buildCreate } from '../runopts/create-body.js';
import { EXTRA_CONTAINER_FLAGS, applyExtraOptions, dockerHelp } from '../runopts/docker-options.js';
import { createContainer, optionError, runError } from '../runopts/create.js';
import { attachStreams, parseDetachKeys } from '../runopts/attach.js';
import type { FlagValues } from '../flags.js';

async function runAttached(ctx: Ctx, id: string, f: FlagValues): Promise<number> {
  const tty = bool(f, 'tty');
  const stdin = bool(f, 'interactive');
  const path = `/containers/${id}`;
  // -a picks the streams; without it docker attaches stdout and stderr
  const a = ((f.attach as string[] | undefined) ?? []).map((x) => x.toLowerCase());
  const out = !a.length || a.includes('stdout') ? 1 : 0;
  const err = !a.length || a.includes('stderr') ? 1 : 0;
  const hj = await ctx.client.hijack(`${path}/attach`, { query: { stream: 1, stdin: stdin ? 1 : 0, stdout: out, stderr: err, detachKeys: str(f, 'detach-keys') } });
  const session = attachStreams(ctx, hj.socket, { tty, stdin, resizePath: `${path}/resize`, detachKeys: parseDetachKeys(str(f, 'detach-keys')) });
  const wait = ctx.client.post(`${path}/wait`, undefined, { condition: bool(f, 'rm') ? 'removed' : 'next-exit' });
  wait.catch(() => undefined);
  try {
    await ctx.client.post(`${path}/start`);
  } catch (e) {
    session.close();
    if (bool(f, 'rm')) await wait.catch(() => undefined);
    throw runError(e, ctx.path);
  }
  session.begin();
  if (!bool(f, 'sig-proxy') || tty) {
    /* with a TTY, signals reach the container through the terminal */
  } else {
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => ctx.client.post(`${path}/kill`, undefined, { signal: sig }).catch(() => undefined));
  }
  if (await session.done) return 0;
  const res: { StatusCode: number; Error?: { Message?: string } | null } = await wait;
  if (res?.Error?.Message) ctx.err.write(`${res.Error.Message}\n`);
  return res?.StatusCode ?? 0;
}

const cmd: Command = {
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  summary: 'Create and run a new container from an image',
  aliases: ['hako container run', 'hako run'],
  flags: dockerHelp([...CONTAINER_FLAGS, ...EXTRA_CONTAINER_FLAGS, ...RUN_ONLY_FLAGS]),
  stopAtPositional: true,
  minArgs: 1,
  async run(ctx, args, f) {
    const detach = bool(f, 'detach');
    let req;
    try {
      req = buildCreate(f, args, process.env, detach);
      applyExtraOptions(f, req.body);
    } catch (e) {
      throw optionError(e, ctx.path);
    }
    if (!detach && bool(f, 'tty') && bool(f, 'interactive') && !ctx.stdin.isTTY) {
      throw new ExitError(1, 'the input device is not a TTY');
    }
    const id = await createContainer(ctx, req, bool(f, 'quiet')).catch((e) => {
      throw runError(e, ctx.path);
    });
    if (!detach) return runAttached(ctx, id, f);
    try {
      await ctx.client.post(`/containers/${id}/start`);
    } catch (e) {
      throw runError(e, ctx.path);
    }
    ctx.out.write(`${id}\n`);
  },
};
export default cmd;
