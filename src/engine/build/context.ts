/**
 * The build context: the request body (a tar, maybe gzip/zstd compressed)
 * unpacked safely into a temp dir (image/unpack.ts refuses escaping names,
 * symlinked parents and device nodes), the Dockerfile read from it, and the
 * .dockerignore patterns applied (as dockerd does when a client did not).
 */
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { Readable } from 'node:stream';
import { IgnoreMatcher, readDockerignore } from '../../core/dockerignore.js';
import { invalid } from '../../core/errors.js';
import { unpackLayer } from '../../image/unpack.js';
import { cleanPath, LayerView } from './view.js';

export interface BuildContext {
  dir: string;
  view: LayerView;
  dockerfile: string;
  close(): Promise<void>;
}

async function removeIgnored(root: string, rel: string, m: IgnoreMatcher): Promise<void> {
  for (const name of await readdir(join(root, rel))) {
    const r = rel ? `${rel}/${name}` : name;
    if (m.ignores(r)) {
      const st = await lstat(join(root, r));
      // an exception may re-include something below an ignored directory
      if (st.isDirectory() && m.hasExceptions) {
        await removeIgnored(root, r, m);
        if ((await readdir(join(root, r))).length === 0) await rm(join(root, r), { recursive: true, force: true });
      } else await rm(join(root, r), { recursive: true, force: true });
    } else if ((await lstat(join(root, r))).isDirectory()) await removeIgnored(root, r, m);
  }
}

/** Reads the start of the body; returns it and a stream of the whole body. */
async function sniff(body: Readable): Promise<{ head: Buffer; all: Readable; ended: boolean }> {
  const it = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const chunks: Buffer[] = [];
  let n = 0;
  let ended = false;
  while (n < 512) {
    const r = await it.next();
    if (r.done) { ended = true; break; }
    chunks.push(r.value);
    n += r.value.length;
  }
  const head = Buffer.concat(chunks);
  async function* all() {
    yield head;
    if (ended) return;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  }
  return { head, all: Readable.from(all()), ended };
}

const looksLikeTar = (h: Buffer) => (h.length >= 2 && h[0] === 0x1f && h[1] === 0x8b)
  || (h.length >= 4 && h.readUInt32LE(0) === 0xfd2fb528) || (h.length >= 262 && h.subarray(257, 262).toString('latin1') === 'ustar')
  || h.length === 0;

/** Unpacks the context and reads the Dockerfile (`dockerfile`, relative to the context root). */
export async function openContext(body: Readable, dockerfile = 'Dockerfile'): Promise<BuildContext> {
  const base = await mkdtemp(join(tmpdir(), 'hako-build-'));
  const dir = join(base, 'ctx');
  const close = () => rm(base, { recursive: true, force: true });
  try {
    const s = await sniff(body);
    if (!looksLikeTar(s.head)) {
      // `docker build - < Dockerfile`: the body is the Dockerfile itself, with an empty context
      const parts: Buffer[] = [];
      for await (const c of s.all) parts.push(c as Buffer);
      await mkdir(dir);
      await writeFile(join(dir, 'Dockerfile'), Buffer.concat(parts));
      return { dir, view: new LayerView([dir], false), dockerfile: Buffer.concat(parts).toString('utf8'), close };
    }
    await unpackLayer(s.all, dir).catch((e: Error) => {
      throw invalid(`failed to read the build context: ${e.message}`);
    });
    const view = new LayerView([dir], false);
    const dfPath = cleanPath(dockerfile);
    let text = await view.readFile(dfPath);
    if (text === undefined && dockerfile === 'Dockerfile') text = await view.readFile('/dockerfile');
    if (text === undefined) throw invalid(`Cannot locate specified Dockerfile: ${dockerfile}`);
    const ignore = await readFile(join(dir, '.dockerignore'), 'utf8').catch(() => '');
    const lines = readDockerignore(ignore);
    if (lines.length) await removeIgnored(dir, '', new IgnoreMatcher(lines));
    return { dir, view, dockerfile: text.toString('utf8'), close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** The name docker shows for a context path. */
export const ctxName = (p: string) => posix.normalize(p).replace(/^\/+/, '');
