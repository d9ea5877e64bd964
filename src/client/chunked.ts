/** Decoders for HTTP/1.1 response bodies: chunked transfer coding and Content-Length. */
import { Transform, type TransformCallback } from 'node:stream';

type State = 'size' | 'data' | 'data-crlf' | 'trailer' | 'done';

/** Decodes `Transfer-Encoding: chunked`; ends the readable side at the last chunk. */
export class ChunkedDecoder extends Transform {
  private state: State = 'size';
  private remaining = 0;
  private line = '';

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.consume(chunk);
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }

  private consume(buf: Buffer): void {
    let i = 0;
    while (i < buf.length && this.state !== 'done') {
      if (this.state === 'data') {
        const n = Math.min(this.remaining, buf.length - i);
        this.push(buf.subarray(i, i + n));
        i += n;
        this.remaining -= n;
        if (this.remaining === 0) this.state = 'data-crlf';
        continue;
      }
      const nl = buf.indexOf(10, i);
      if (nl < 0) {
        this.line += buf.toString('latin1', i);
        return;
      }
      const line = (this.line + buf.toString('latin1', i, nl)).replace(/\r$/, '');
      this.line = '';
      i = nl + 1;
      this.onLine(line);
    }
    if (this.state === 'done') this.push(null);
  }

  private onLine(line: string): void {
    if (this.state === 'data-crlf') {
      this.state = 'size';
      return;
    }
    if (this.state === 'trailer') {
      if (line === '') this.state = 'done';
      return;
    }
    const size = parseInt(line.split(';')[0]!.trim(), 16);
    if (Number.isNaN(size)) throw new Error(`invalid chunk size line "${line}"`);
    this.remaining = size;
    this.state = size === 0 ? 'trailer' : 'data';
  }

  get finished(): boolean {
    return this.state === 'done';
  }
}

/** Passes exactly `length` bytes, then ends. */
export class LengthLimiter extends Transform {
  constructor(private remaining: number) {
    super();
    if (remaining === 0) this.push(null);
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.remaining <= 0) return cb();
    const part = chunk.length > this.remaining ? chunk.subarray(0, this.remaining) : chunk;
    this.remaining -= part.length;
    this.push(part);
    if (this.remaining === 0) this.push(null);
    cb();
  }
}
