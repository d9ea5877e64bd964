import { filterFlag, filtersJson, templateFormatFlag, list, str, type Command } from '../command.js';
import { compile } from '../format/exec.js';
import { preFormat } from '../format/formatter.js';
import { apiTimestamp, rfc3339NanoFixed } from '../render/time.js';
import type { EventMessage } from '../../core/docker.js';

/** The raw timeNano digits (beyond 2^53 a JSON number loses its last ones). */
const NANO = /"timeNano":\s*(\d+)/;

function line(e: EventMessage, nano: string | undefined): string {
  let s = '';
  if (nano) s += `${rfc3339NanoFixed(BigInt(nano))} `;
  else if (e.time) s += `${rfc3339NanoFixed(BigInt(e.time) * 1000000000n)} `;
  s += `${e.Type} ${e.Action} ${e.Actor?.ID ?? ''}`;
  const attrs = e.Actor?.Attributes ?? {};
  const keys = Object.keys(attrs).sort();
  if (keys.length) s += ` (${keys.map((k) => `${k}=${attrs[k]}`).join(', ')})`;
  return s + '\n';
}

async function* rawLines(body: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  let rest = '';
  for await (const chunk of body) {
    rest += chunk.toString();
    let nl: number;
    while ((nl = rest.indexOf('\n')) >= 0) {
      const l = rest.slice(0, nl).trim();
      rest = rest.slice(nl + 1);
      if (l) yield l;
    }
  }
  if (rest.trim()) yield rest.trim();
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
    const r = await ctx.client.request('GET', '/events', {
      query: { since: since && apiTimestamp(since), until: until && apiTimestamp(until), filters: filtersJson(list(f, 'filter')) },
    });
    for await (const raw of rawLines(r.body)) {
      const e = JSON.parse(raw) as EventMessage;
      const nano = NANO.exec(raw)?.[1];
      // docker re-marshals the event: its attribute map comes out sorted
      const attrs = e.Actor?.Attributes;
      if (attrs) e.Actor!.Attributes = Object.fromEntries(Object.keys(attrs).sort().map((k) => [k, attrs[k]!]));
      // Go field names of the lower-case (deprecated) status/id/from, for templates only
      const legacy = e as unknown as Record<string, unknown>;
      for (const [field, key] of [['Status', 'status'], ['ID', 'id'], ['From', 'from']] as const) {
        Object.defineProperty(e, field, { value: legacy[key] ?? '', enumerable: false });
      }
      if (!tmpl) ctx.out.write(line(e, nano));
      else ctx.out.write(tmpl.execute(e).replace(`"timeNano":${JSON.stringify(e.timeNano)}`, `"timeNano":${nano}`) + '\n');
    }
  },
};
export default cmd;
