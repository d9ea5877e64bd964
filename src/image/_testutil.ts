import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';

export interface TarEntry {
  name: string;
  type?: tar.Header['type'];
  content?: string | Buffer;
  linkname?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: Date;
  size?: number;
}

/** Builds a tar in memory with tar-stream's pack(). */
export async function makeTar(entries: TarEntry[], gzip = false): Promise<Buffer> {
  const p = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => { for await (const c of p) chunks.push(c as Buffer); })();
  for (const e of entries) {
    const type = e.type ?? 'file';
    const body = e.content === undefined ? undefined : Buffer.from(e.content);
    const mode = e.mode ?? (type === 'directory' ? 0o755 : 0o644);
    const h: tar.Header = {
      name: e.name, type, mode, uid: e.uid ?? 0, gid: e.gid ?? 0, mtime: e.mtime ?? new Date(1_600_000_000_000),
      linkname: e.linkname ?? '', size: e.size ?? body?.length ?? 0, uname: '', gname: '', devmajor: 0, devminor: 0,
    };
    await new Promise<void>((res, rej) => {
      if (body && type === 'file') p.entry(h, body, (err) => (err ? rej(err) : res()));
      else (p.entry(h, (err?: Error | null) => (err ? rej(err) : res())) as unknown as { end(): void }).end();
    });
  }
  p.finalize();
  await done;
  const buf = Buffer.concat(chunks);
  return gzip ? gzipSync(buf) : buf;
}

export async function tempDir(prefix = 'hako-img-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export const isRoot = () => process.getuid?.() === 0;
export const rootReason = 'needs root (lchown, mknod, trusted xattrs)';
