import { filterFlag, filtersJson, templateFormatFlag, list, str, type Command } from '../command.js';
import { compile } from '../format/exec.js';
import { preFormat } from '../format/formatter.js';
import { apiTimestamp, rfc3339NanoFixed } from '../render/time.js';
import type { EventMessage } from '../../core/docker.js';

function line(e: EventMessage): string {
  let s = '';
  if (e.timeNano) s += `${rfc3339NanoFixed(BigInt(e.timeNano))} `;
  else if (e.time) s += `${rfc3339NanoFixed(BigInt(e.time) * 1000000000n)} `;
  s += `${e.Type} ${e.Action} ${e.Actor?.ID ?? ''}`;
  const attrs = e.Actor?.Attributes ?? {};
  const keys = Object.keys(attrs).sort();
  if (keys.length) s += ` (${keys.map((k) => `${k}=${attrs[k]}`).join(', ')})`;
  return s + '\n';
}

const cmd: Command = {
  usage: '[OPTIONS]',
  summary: 'Get real time events from the server',
  aliases: ['hako system events', 'hako events'],
  flags: [
    filterFlag,
    templateFormatFlag,
    { name: 'since', type: 'string', desc: 'Show all events created since timestamp', meta: 'string' },
    { name: 'until', type: 'string', desc: 'Stream events until this timestamp', meta: 'string' },
  ],
  maxArgs: 0,
  async run(ctx, _args, f) {
    const since = str(f, 'since');
    const until = str(f, 'until');
    const format = str(f, 'format');
    const tmpl = format ? compile(preFormat(format === 'json' ? '{{json .}}' : format)) : undefined;
    const events = await ctx.client.stream<EventMessage>('GET', '/events', {
      query: { since: since && apiTimestamp(since), until: until && apiTimestamp(until), filters: filtersJson(list(f, 'filter')) },
    });
    for await (const e of events) ctx.out.write(tmpl ? tmpl.execute(e) + '\n' : line(e));
  },
};
export default cmd;
