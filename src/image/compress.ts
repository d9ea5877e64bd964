import { spawn } from 'node:child_process';
import { PassThrough, Readable, Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { invalid } from '../core/errors.js';

export type Compression = 'none' | 'gzip' | 'zstd';

/** Reads up to n bytes from the start of a stream and puts them back. */
async function peek(input: Readable, n: number): Promise<Buffer> {
  const got: Buffer[] = [];
  let len = 0;
  while (len < n) {
    const chunk = input.read() as Buffer | null;
    if (chunk) {
      got.push(chunk);
      len += chunk.length;
      continue;
    }
    if (input.readableEnded || input.destroyed) break;
    const more = await new Promise<boolean>((res, rej) => {
      const cleanup = () => { input.off('readable', onR); input.off('end', onE); input.off('error', onErr); };
      const onR = () => { cleanup(); res(true); };
      const onE = () => { cleanup(); res(false); };
      const onErr = (e: Error) => { cleanup(); rej(e); };
      input.on('readable', onR);
      input.on('end', onE);
      input.on('error', onErr);
    });
    if (!more) break;
  }
  const head = Buffer.concat(got);
  if (head.length) input.unshift(head);
  return head;
}

export function detect(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

/** zstd through the `zstd` command (node 20 has no zstd); InvalidArgument when absent. */
function zstdDecompress(input: Readable): Readable {
  const out = new PassThrough();
  const child = spawn('zstd', ['-dc', '-q'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
  child.on('error', (e) => out.destroy(invalid(`zstd-compressed layers need the zstd command: ${e.message}`)));
  child.on('close', (code) => {
    if (code !== 0) out.destroy(invalid(`invalid zstd stream: ${stderr.trim() || `zstd exited with ${code}`}`));
  });
  input.on('error', (e) => { child.kill('SIGKILL'); out.destroy(e); });
  child.stdin.on('error', () => {});
  input.pipe(child.stdin);
  child.stdout.pipe(out);
  out.on('close', () => { if (child.exitCode === null) child.kill('SIGKILL'); });
  return out;
}

/**
 * Returns the uncompressed stream of `input`, detecting gzip and zstd by their
 * magic bytes. Errors of the source are forwarded to the result.
 */
export async function decompress(input: Readable): Promise<{ stream: Readable; compression: Compression }> {
  const head = await peek(input, 4);
  const compression = detect(head);
  if (compression === 'gzip') {
    const gz = createGunzip();
    input.on('error', (e) => gz.destroy(e));
    return { stream: input.pipe(gz), compression };
  }
  if (compression === 'zstd') return { stream: zstdDecompress(input), compression };
  return { stream: input, compression };
}

/** A pass-through that reports the bytes flowing through it. */
export function counter(onBytes: (total: number) => void): Transform {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      total += chunk.length;
      onBytes(total);
      cb(null, chunk);
    },
  });
}
