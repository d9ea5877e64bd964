/**
 * Unpacking a layer tar (plain, gzip or zstd) into a directory while computing its diff id;
 * what each entry does to the directory is in unpack-entries.ts.
 */
import { closeSync, lstatSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { Digester, type Digest } from '../core/digest.js';
import { EngineError, invalid } from '../core/errors.js';
import { decompress } from './compress.js';
import type { BlobWriter } from './content.js';
import { applyEntry, finish, type EntryStream, type State } from './unpack-entries.js';

export { cleanEntryName, setXattrs } from './unpack-entries.js';

export interface UnpackOptions {
  /** Receives the uncompressed tar bytes (to keep the layer tar for save/push). */
  tee?: BlobWriter;
  /** Called with the number of (compressed) input bytes read so far. */
  onBytes?: (n: number) => void;
  /**
   * The caller owns `input` (an HTTP request body): on failure it is only unpiped,
   * not destroyed, so the caller can drain it and still answer on its connection.
   */
  keepInput?: boolean;
}

export interface UnpackResult {
  /** sha256 of the uncompressed tar stream. */
  diffId: Digest;
  /** Bytes of regular file content in the layer. */
  size: number;
  /** Bytes of the uncompressed tar stream. */
  tarSize: number;
}


function mapStreamError(e: unknown): EngineError {
  if (e instanceof EngineError) return e;
  const err = e as NodeJS.ErrnoException;
  if (err && err.syscall) return new EngineError('Internal', `unpack: ${err.message}`, { cause: e });
  return invalid(`invalid tar stream: ${err?.message ?? String(e)}`, e);
}

/**
 * Unpacks one layer tar (plain, gzip or zstd) into `dest`, an empty directory,
 * never following a symlink, and computes its diff id. On failure `dest` is removed.
 */
export async function unpackLayer(input: Readable, dest: string, opts: UnpackOptions = {}): Promise<UnpackResult> {
  const st: State = {
    dest, size: 0, dirs: new Set(), sgid: new Set(), dirTimes: [], whiteouts: [], fifos: [], xattrs: [],
    umask: process.umask(), root: process.geteuid?.() === 0 && process.getegid?.() === 0, fd: -1,
  };
  const d = new Digester();
  let counted = 0;
  const countIn = new Transform({ transform(c: Buffer, _e, cb) { counted += c.length; opts.onBytes?.(counted); cb(null, c); } });
  input.on('error', (e) => countIn.destroy(e));
  input.pipe(countIn);
  const tee = opts.tee;
  const hashing = new Transform({
    transform(c: Buffer, _e, cb) {
      d.update(c);
      if (tee) tee.write(c).then(() => cb(null, c), cb);
      else cb(null, c);
    },
  });
  const ex = tar.extract();
  let stream: Readable | undefined;
  try {
    await mkdir(dest, { recursive: true });
    if (lstatSync(dest).mode & 0o2000) st.sgid.add('');
    stream = (await decompress(countIn)).stream;
    // The entry being applied; the next is emitted only when it calls next().
    let current: Promise<void> = Promise.resolve();
    let entryErr: unknown;
    ex.on('entry', (h: tar.Header, s: EntryStream, next: (e?: Error) => void) => {
      current = applyEntry(st, h, s).then(() => next(), (e: unknown) => {
        entryErr ??= e;
        ex.destroy(e as Error);
      });
    });
    try {
      await pipeline(stream, hashing, ex);
      await current;
      if (entryErr) throw entryErr;
    } catch (e) {
      stream.destroy();
      ex.destroy();
      await current;
      throw entryErr ?? e;
    }
    await finish(st);
    return { diffId: d.digest(), size: st.size, tarSize: d.size };
  } catch (e) {
    if (st.fd >= 0) {
      try { closeSync(st.fd); } catch { /* ignore */ }
      st.fd = -1;
    }
    if (opts.keepInput) input.unpipe(countIn);
    else input.destroy();
    await rm(dest, { recursive: true, force: true, maxRetries: 3 });
    throw mapStreamError(e);
  }
}

/** Computes the diff id of a (possibly compressed) layer tar without unpacking it. */
export async function layerDiffId(input: Readable, tee?: BlobWriter): Promise<{ diffId: Digest; tarSize: number }> {
  const d = new Digester();
  try {
    const { stream } = await decompress(input);
    for await (const c of stream as AsyncIterable<Buffer>) {
      d.update(c);
      if (tee) await tee.write(c);
    }
  } catch (e) {
    throw mapStreamError(e);
  }
  return { diffId: d.digest(), tarSize: d.size };
}
