import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ExitError, type Command, type Ctx } from '../command.js';

/** "container:/path" -> [container, path]; local paths (also "./a:b") -> [undefined, path]. */
function splitArg(a: string): [string | undefined, string] {
  if (a.startsWith('/') || a.startsWith('.')) return [undefined, a];
  const i = a.indexOf(':');
  return i > 0 ? [a.slice(0, i), a.slice(i + 1)] : [undefined, a];
}

function tar(args: string[], io: 'in' | 'out') {
  const p = spawn('tar', args, { stdio: io === 'in' ? ['pipe', 'ignore', 'inherit'] : ['ignore', 'pipe', 'inherit'] });
  const done = new Promise<void>((res, rej) => p.on('exit', (c) => (c === 0 ? res() : rej(new ExitError(1, `tar exited with status ${c}`)))).on('error', rej));
  return { p, done };
}

async function fromContainer(ctx: Ctx, c: string, src: string, dst: string): Promise<void> {
  const r = await ctx.client.request('GET', `/containers/${encodeURIComponent(c)}/archive`, { query: { path: src } });
  if (dst === '-') return pipeline(r.body, ctx.out, { end: false });
  const intoDir = existsSync(dst) && statSync(dst).isDirectory();
  const base = basename(src.replace(/\/+$/, '')) || '.';
  const args = intoDir ? ['-x', '-C', dst] : ['-x', '-C', dirname(resolve(dst)), `--transform=s,^${base.replace(/[,\\]/g, '\\$&')},${basename(dst)},`];
  const t = tar(args, 'in');
  await pipeline(r.body, t.p.stdin!);
  await t.done;
}

async function toContainer(ctx: Ctx, src: string, c: string, dst: string): Promise<void> {
  let targetDir = dst;
  let rename: string | undefined;
  const head = await ctx.client.raw('HEAD', `/containers/${encodeURIComponent(c)}/archive`, { query: { path: dst } });
  head.body.resume();
  // docker: a destination that must be a directory (trailing /) has to exist
  if (head.status === 404 && /\/$/.test(dst) && src !== '-') throw new ExitError(1, 'no such directory');
  const statHeader = head.headers['x-docker-container-path-stat'];
  const stat = statHeader ? JSON.parse(Buffer.from(statHeader, 'base64').toString()) : undefined;
  const isDir = stat && (stat.mode & 0x80000000) !== 0;
  if (!isDir && src !== '-') {
    targetDir = dirname(dst);
    rename = basename(dst);
  }
  let body: NodeJS.ReadableStream;
  let done: Promise<void> = Promise.resolve();
  if (src === '-') body = ctx.stdin;
  else {
    const base = basename(resolve(src));
    const args = ['-c', '-C', dirname(resolve(src)), ...(rename ? [`--transform=s,^${base},${rename},`] : []), base];
    const t = tar(args, 'out');
    body = t.p.stdout!;
    done = t.done;
  }
  await ctx.client.request('PUT', `/containers/${encodeURIComponent(c)}/archive`, { query: { path: targetDir }, body, headers: { 'Content-Type': 'application/x-tar' } }).then((r) => r.body.resume());
  await done;
}

const cmd: Command = {
  usage: '[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\thako cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH',
  summary: 'Copy files/folders between a container and the local filesystem',
  aliases: ['hako container cp', 'hako cp'],
  flags: [
    { name: 'archive', short: 'a', type: 'bool', desc: 'Archive mode (copy all uid/gid information)' },
    { name: 'follow-link', short: 'L', type: 'bool', desc: 'Always follow symbol link in SRC_PATH' },
    { name: 'quiet', short: 'q', type: 'bool', desc: 'Suppress progress output during copy' },
  ],
  minArgs: 2,
  maxArgs: 2,
  async run(ctx, [a, b]) {
    const [sc, sp] = splitArg(a!);
    const [dc, dp] = splitArg(b!);
    if (sc && dc) throw new ExitError(1, 'copying between containers is not supported');
    if (!sc && !dc) throw new ExitError(1, 'must specify at least one container source');
    if (sc) await fromContainer(ctx, sc, sp, dp);
    else await toContainer(ctx, sp, dc!, dp);
  },
};
export default cmd;
