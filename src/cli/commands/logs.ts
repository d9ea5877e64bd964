import { pipeline } from 'node:stream/promises';
import { bool, str, type Command } from '../command.js';
import { demuxWritable } from '../../client/stdcopy.js';
import { apiTimestamp } from '../render/time.js';

const cmd: Command = {
  usage: '[OPTIONS] CONTAINER',
  summary: 'Fetch the logs of a container',
  aliases: ['hako container logs', 'hako logs'],
  flags: [
    { name: 'details', type: 'bool', desc: 'Show extra details provided to logs' },
    { name: 'follow', short: 'f', type: 'bool', desc: 'Follow log output' },
    { name: 'since', type: 'string', desc: 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)', meta: 'string' },
    { name: 'tail', short: 'n', type: 'string', desc: 'Number of lines to show from the end of the logs', default: 'all', meta: 'string' },
    { name: 'timestamps', short: 't', type: 'bool', desc: 'Show timestamps' },
    { name: 'until', type: 'string', desc: 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)', meta: 'string' },
  ],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, [name], f) {
    const info = await ctx.client.get(`/containers/${encodeURIComponent(name!)}/json`);
    const since = str(f, 'since');
    const until = str(f, 'until');
    const r = await ctx.client.request('GET', `/containers/${info.Id}/logs`, {
      query: {
        stdout: 1, stderr: 1, follow: bool(f, 'follow') ? 1 : undefined, tail: str(f, 'tail'),
        timestamps: bool(f, 'timestamps') ? 1 : undefined, details: bool(f, 'details') ? 1 : undefined,
        since: since && apiTimestamp(since), until: until && apiTimestamp(until),
      },
    });
    await pipeline(r.body, info.Config?.Tty ? ctx.out : demuxWritable(ctx.out, ctx.err), { end: false });
  },
};
export default cmd;
