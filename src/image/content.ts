import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Digester, digestHex, isDigest, type Digest } from '../core/digest.js';
import { invalid, notFound } from '../core/errors.js';

export interface BlobInfo {
  digest: Digest;
  size: number;
}

/**
 * A writer for one blob: bytes go to a temp file under ingest/ while they are
 * hashed; commit() verifies (when a digest is expected) and renames the file into
 * blobs/sha256/<hex>. Nothing is visible under blobs/ before commit.
 */
export class BlobWriter {
  private readonly d = new Digester();
  private readonly out;
  private closed = false;
  constructor(private readonly store: ContentStore, readonly tmpPath: string) {
    this.out = createWriteStream(tmpPath, { flags: 'wx', mode: 0o600 });
    this.out.on('error', () => {});
  }
  write(chunk: Buffer): Promise<void> {
    this.d.update(chunk);
    if (this.out.write(chunk)) return Promise.resolve();
    return new Promise((res, rej) => {
      const onErr = (e: Error) => { this.out.off('drain', onDrain); rej(e); };
      const onDrain = () => { this.out.off('error', onErr); res(); };
      this.out.once('drain', onDrain);
      this.out.once('error', onErr);
    });
  }
  private async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((res, rej) => {
      this.out.end((e?: Error | null) => (e ? rej(e) : res()));
    });
  }
  /** Finishes the blob; throws InvalidArgument when it does not match `expected`. */
  async commit(expected?: Digest): Promise<BlobInfo> {
    await this.close();
    const digest = this.d.digest();
    if (expected && expected !== digest) {
      await rm(this.tmpPath, { force: true });
      throw invalid(`digest mismatch: expected ${expected}, got ${digest}`);
    }
    const dest = this.store.path(digest);
    await rename(this.tmpPath, dest);
    return { digest, size: this.d.size };
  }
  /** Drops the temp file. Safe to call after commit. */
  async abort(): Promise<void> {
    try { await this.close(); } catch { /* ignore */ }
    await rm(this.tmpPath, { force: true });
  }
}

/**
 * Content-addressed blobs by sha256 under <root>/blobs/sha256/<hex>, ingested
 * through <root>/ingest/ (temp files removed by init() after a crash).
 */
export class ContentStore {
  readonly blobsDir: string;
  readonly ingestDir: string;
  private readonly pins = new Map<Digest, number>();
  constructor(readonly root: string) {
    this.blobsDir = join(root, 'blobs', 'sha256');
    this.ingestDir = join(root, 'ingest');
  }

  /** Creates the directories and removes half-ingested files. */
  async init(): Promise<void> {
    await mkdir(this.blobsDir, { recursive: true });
    await rm(this.ingestDir, { recursive: true, force: true });
    await mkdir(this.ingestDir, { recursive: true });
  }

  path(digest: Digest): string {
    if (!isDigest(digest)) throw invalid(`invalid digest "${digest}"`);
    return join(this.blobsDir, digestHex(digest));
  }

  writer(): BlobWriter {
    return new BlobWriter(this, join(this.ingestDir, `${Date.now()}-${randomBytes(8).toString('hex')}`));
  }

  /** Streams `input` into a blob; verifies it against `expected` when given. */
  async ingest(input: AsyncIterable<Buffer> | Readable, expected?: Digest): Promise<BlobInfo> {
    const w = this.writer();
    try {
      for await (const chunk of input as AsyncIterable<Buffer>) await w.write(chunk);
      return await w.commit(expected);
    } catch (e) {
      await w.abort();
      throw e;
    }
  }

  async put(data: Buffer | string, expected?: Digest): Promise<BlobInfo> {
    return this.ingest([typeof data === 'string' ? Buffer.from(data) : data] as unknown as AsyncIterable<Buffer>, expected);
  }

  async has(digest: Digest): Promise<boolean> {
    try {
      await stat(this.path(digest));
      return true;
    } catch {
      return false;
    }
  }

  async size(digest: Digest): Promise<number> {
    try {
      return (await stat(this.path(digest))).size;
    } catch {
      throw notFound(`blob ${digest} not found`);
    }
  }

  async read(digest: Digest): Promise<Buffer> {
    try {
      return await readFile(this.path(digest));
    } catch {
      throw notFound(`blob ${digest} not found`);
    }
  }

  async open(digest: Digest): Promise<ReadStream> {
    if (!(await this.has(digest))) throw notFound(`blob ${digest} not found`);
    return createReadStream(this.path(digest));
  }

  async delete(digest: Digest): Promise<void> {
    await rm(this.path(digest), { force: true });
  }

  /** Keeps a blob from garbage collection (gc()) while an operation still needs it. */
  pin(digest: Digest): void {
    this.pins.set(digest, (this.pins.get(digest) ?? 0) + 1);
  }

  unpin(digest: Digest): void {
    const n = (this.pins.get(digest) ?? 0) - 1;
    if (n <= 0) this.pins.delete(digest);
    else this.pins.set(digest, n);
  }

  /** Deletes the given blobs that are neither pinned nor `used`. */
  async gc(candidates: Iterable<Digest>, used: (d: Digest) => boolean): Promise<number> {
    let freed = 0;
    for (const d of new Set(candidates)) {
      if (this.pins.has(d) || used(d)) continue;
      freed += await stat(this.path(d)).then((s) => s.size, () => 0);
      await this.delete(d);
    }
    return freed;
  }

  async list(): Promise<Digest[]> {
    const names = await readdir(this.blobsDir).catch(() => [] as string[]);
    return names.filter((n) => /^[0-9a-f]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }
}
