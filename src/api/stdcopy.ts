/**
 * Docker's stdcopy framing, used by logs and attach streams of containers without a
 * TTY: each frame is an 8-byte header [stream, 0, 0, 0, big-endian uint32 length]
 * followed by the payload. Stream ids: 0 stdin, 1 stdout, 2 stderr, 3 systemerr.
 */
import { Transform, type TransformCallback } from 'node:stream';

export type StreamId = 0 | 1 | 2 | 3;

export function frame(stream: StreamId, data: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(data.length, 4);
  return Buffer.concat([h, data]);
}

/** Incremental decoder: push bytes, get complete frames back. */
export class StdcopyDecoder {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): { stream: StreamId; data: Buffer }[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: { stream: StreamId; data: Buffer }[] = [];
    while (this.buf.length >= 8) {
      const len = this.buf.readUInt32BE(4);
      if (this.buf.length < 8 + len) break;
      out.push({ stream: this.buf[0] as StreamId, data: this.buf.subarray(8, 8 + len) });
      this.buf = this.buf.subarray(8 + len);
    }
    return out;
  }

  /** Bytes held waiting for the rest of a frame. */
  get pending(): number {
    return this.buf.length;
  }
}

/** Object-mode {stream, data} chunks in, framed bytes out (or raw bytes when tty). */
export function framer(tty: boolean): Transform {
  return new Transform({
    writableObjectMode: true,
    transform(chunk: { stream: StreamId; data: Buffer }, _enc: BufferEncoding, cb: TransformCallback) {
      if (!chunk.data.length) return cb();
      cb(null, tty ? chunk.data : frame(chunk.stream, chunk.data));
    },
  });
}
