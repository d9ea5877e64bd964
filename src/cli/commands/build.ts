import { humanSize } from '../render/units.js';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { Readable, Transform } from 'node:stream';
import * as tar from 'tar-stream';
import { IgnoreMatcher, readDockerignore } from '../../core/dockerignore.js';
import { jsonLines } from '../../client/jsonlines.js';
import { ExitError, bool, list, str, type Command } from '../command.js';
import { displayJSONMessages } from '../render/progress.js';

type Entry = Partial<tar.Header> & { name: string };

async function add(pack: tar.Pack, h: Entry, abs?: string): Promise<void> {
  await new Promise<void>((res, rej) => {
    const s = pack.entry(h, (e) => (e ? rej(e) : res()));
    if (abs) createReadStream(abs).on('error', rej).pipe(s);
    else (s as unknown as { end(): void }).end();
  });
}

/** Walks the context in name order, leaving out what .dockerignore excludes (the Dockerfile always goes). */
async function walk(pack: tar.Pack, root: string, rel: string, m: IgnoreMatcher, keep: Set<string>): Promise<void> {
  for (const name of (await readdir(join(root, rel))).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    const abs = join(root, r);
    const st = await lstat(abs);
    const ignored = m.ignores(r) && !keep.has(r);
    if (ignored && !(st.isDirectory() && m.hasExceptions)) continue;
    const h: Entry = { name: r, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
    if (st.isDirectory()) {
      if (!ignored) await add(pack, { ...h, name: r + '/', type: 'directory' });
      await walk(pack, root, r, m, keep);
    } else if (st.isSymbolicLink()) await add(pack, { ...h, type: 'symlink', linkname: await readlink(abs) });
    else if (st.isFile()) await add(pack, { ...h, type: 'file', size: st.size }, abs);
  }
}

/** The context tar docker's CLI sends, and the Dockerfile name inside it. */
async function contextTar(dir: string, dockerfile: string | undefined): Promise<{ body: Readable; name: string }> {
  const root = resolve(dir);
  const st = await lstat(root).catch(() => undefined);
  if (!st?.isDirectory()) throw new ExitError(1, `unable to prepare context: path "${dir}" not found`);
  const dfAbs = dockerfile ? resolve(dockerfile) : join(root, 'Dockerfile');
  const inside = dfAbs.startsWith(root + sep);
  let name = inside ? relative(root, dfAbs).split(sep).join('/') : `.dockerfile.${randomBytes(10).toString('hex')}`;
  const dfText = await readFile(dfAbs).catch(() => undefined);
  if (!dfText) {
    const lower = inside && !dockerfile ? await readFile(join(root, 'dockerfile')).catch(() => undefined) : undefined;
    if (!lower) throw new ExitError(1, `unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${dfAbs}: no such file or directory`);
    name = 'dockerfile';
  }
  const ignore = readDockerignore(await readFile(join(root, '.dockerignore'), 'utf8').catch(() => ''));
  const pack = tar.pack();
  (async () => {
    await walk(pack, root, '', new IgnoreMatcher(ignore), new Set([name, '.dockerignore']));
    if (!inside) await add(pack, { name, type: 'file', size: dfText!.length, mode: 0o644 }, dfAbs);
    pack.finalize();
  })().catch((e: Error) => pack.destroy(e));
  return { body: Readable.from(pack as unknown as AsyncIterable<Buffer>), name };
}

function buildArgs(values: string[]): string | undefined {
  if (!values.length) return undefined;
  const out: Record<string, string | null> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    if (i < 0) out[v] = process.env[v] ?? null;
    else out[v.slice(0, i)] = v.slice(i + 1);
  }
  return JSON.stringify(out);
}

function labels(values: string[]): string | undefined {
  if (!values.length) return undefined;
  return JSON.stringify(Object.fromEntries(values.map((v) => {
    const i = v.indexOf('=');
    return i < 0 ? [v, ''] : [v.slice(0, i), v.slice(i + 1)];
  })));
}

const cmd: Command = {
  usage: '[OPTIONS] PATH | URL | -',
  summary: 'Build an image from a Dockerfile',
  aliases: ['hako image build', 'hako build', 'hako builder build'],
  flags: [
    { name: 'build-arg', type: 'list', desc: 'Set build-time variables', meta: 'list' },
    { name: 'file', short: 'f', type: 'string', desc: "Name of the Dockerfile (Default is 'PATH/Dockerfile')", meta: 'string' },
    { name: 'force-rm', type: 'bool', desc: 'Always remove intermediate containers' },
    { name: 'label', type: 'list', desc: 'Set metadata for an image', meta: 'list' },
    { name: 'network', type: 'string', desc: 'Set the networking mode for the RUN instructions during build', meta: 'string' },
    { name: 'no-cache', type: 'bool', desc: 'Do not use cache when building the image' },
    { name: 'pull', type: 'bool', desc: 'Always attempt to pull a newer version of the image' },
    { name: 'quiet', short: 'q', type: 'bool', desc: 'Suppress the build output and print image ID on success' },
    { name: 'rm', type: 'bool', desc: 'Remove intermediate containers after a successful build', default: true },
    { name: 'tag', short: 't', type: 'list', desc: "Name and optionally a tag in the 'name:tag' format", meta: 'list' },
    { name: 'target', type: 'string', desc: 'Set the target build stage to build.', meta: 'string' },
  ],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, [path], f) {
    if (/^(https?|git):\/\//.test(path!)) throw new ExitError(1, 'hako build: remote contexts (URLs) are not supported; clone or download the context first');
    let body: Readable;
    let dockerfile = str(f, 'file');
    if (path === '-') body = ctx.stdin;
    else {
      const c = await contextTar(path!, dockerfile);
      body = c.body;
      dockerfile = c.name;
    }
    // docker reports the context it sent before the daemon's output
    let sent = 0;
    const quiet = bool(f, 'quiet');
    body = body.pipe(new Transform({
      transform(chunk: Buffer, _enc, done) {
        sent += chunk.length;
        done(null, chunk);
      },
      flush(done) {
        if (!quiet) ctx.out.write(`Sending build context to hako daemon  ${humanSize(sent)}\n`);
        done();
      },
    }));
    const r = await ctx.client.request('POST', '/build', {
      query: {
        t: list(f, 'tag'), dockerfile, buildargs: buildArgs(list(f, 'build-arg')), labels: labels(list(f, 'label')),
        target: str(f, 'target'), nocache: bool(f, 'no-cache') ? 1 : undefined, pull: bool(f, 'pull') ? 1 : undefined,
        q: bool(f, 'quiet') ? 1 : undefined, rm: f.rm === false ? 0 : 1, forcerm: bool(f, 'force-rm') ? 1 : undefined,
        networkmode: str(f, 'network'), version: '1',
      },
      body,
      headers: { 'Content-Type': 'application/x-tar' },
    });
    await displayJSONMessages(jsonLines(r.body), ctx.out, !!ctx.out.isTTY);
  },
};
export default cmd;
