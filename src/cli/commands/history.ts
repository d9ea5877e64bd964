import { bool, formatFlag, noTruncFlag, quietFlag, str, type Command } from '../command.js';
import { formatList } from '../format/formatter.js';
import { historyRow, type HistoryItem } from '../render/contexts.js';

const cmd: Command = {
  usage: '[OPTIONS] IMAGE',
  summary: 'Show the history of an image',
  aliases: ['hako image history', 'hako history'],
  flags: [
    formatFlag,
    { name: 'human', short: 'H', type: 'bool', desc: 'Print sizes and dates in human readable format', default: true },
    noTruncFlag,
    quietFlag('image IDs', 'show'),
  ],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, [name], f) {
    const items: HistoryItem[] = await ctx.client.get(`/images/${encodeURIComponent(name!)}/history`);
    const rows = items.map((h) => historyRow(h, !bool(f, 'no-trunc'), f.human !== false));
    ctx.out.write(
      formatList(rows, {
        format: str(f, 'format'),
        table: `table {{.ID}}\t${f.human !== false ? '{{.CreatedSince}}' : '{{.CreatedAt}}'}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}`,
        isQuiet: bool(f, 'quiet'),
        headers: { ID: 'IMAGE', CreatedBy: 'CREATED BY' },
      }),
    );
  },
};
export default cmd;
