import type { Command } from '../command.js';
import { tabwrite } from '../render/tabwriter.js';

const cmd: Command = {
  usage: 'CONTAINER [ps OPTIONS]',
  summary: 'Display the running processes of a container',
  aliases: ['hako container top', 'hako top'],
  flags: [],
  stopAtPositional: true,
  minArgs: 1,
  async run(ctx, [name, ...psArgs]) {
    const r: { Titles: string[]; Processes: string[][] } = await ctx.client.get(`/containers/${encodeURIComponent(name!)}/top`, { ps_args: psArgs.length ? psArgs.join(' ') : undefined });
    const lines = [r.Titles.join('\t'), ...(r.Processes ?? []).map((p) => p.join('\t'))];
    ctx.out.write(tabwrite(lines.join('\n'), 20, 3) + '\n');
  },
};
export default cmd;
