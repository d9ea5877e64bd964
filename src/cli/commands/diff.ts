import type { Command } from '../command.js';

const KIND = ['C', 'A', 'D'];

const cmd: Command = {
  usage: 'CONTAINER',
  summary: "Inspect changes to files or directories on a container's filesystem",
  aliases: ['hako container diff', 'hako diff'],
  flags: [],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, [name]) {
    const changes: { Path: string; Kind: number }[] | null = await ctx.client.get(`/containers/${encodeURIComponent(name!)}/changes`);
    for (const c of changes ?? []) ctx.out.write(`${KIND[c.Kind] ?? '?'} ${c.Path}\n`);
  },
};
export default cmd;
