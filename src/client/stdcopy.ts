/**
 * Docker's stdcopy framing for non-TTY attach/logs/exec streams: each frame is an
 * 8-byte header (stream id: 0 stdin, 1 stdout, 2 stderr, 3 systemerr; three zero
 * bytes; big-endian uint32 payload length) followed by the payload.
 */
import { Writable } from 'node:stream';

export interface Frame {
  stream: number;
  data: Buffer;
}

/** Incremental frame parser: feed buffers, get complete frames. */
export class StdcopyParser {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Frame[] = [];
    while (this.buf.length >= 8) {
      const len = this.buf.readUInt32BE(4);
      if (this.buf.length < 8 + len) break;
      out.push({ stream: this.buf[0]!, data: this.buf.subarray(8, 8 + len) });
      this.buf = this.buf.subarray(8 + len);
    }
    return out;
  }

  /** Bytes of an incomplete frame still buffered. */
  get pending(): number {
    return this.buf.length;
  }
}

export function encodeFrame(stream: number, data: Buffer | string): Buffer {
  const payload = typeof data === 'string' ? Buffer.from(data) : data;
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(payload.length, 4);
  return Buffer.concat([head, payload]);
}

/**
 * A writable that demultiplexes a stdcopy stream to stdout and stderr. A frame
 * on stream 3 (systemerr) becomes an error.
 */
export function demuxWritable(stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): Writable {
  const p = new StdcopyParser();
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const f of p.push(chunk)) {
        if (f.stream === 3) return cb(new Error(f.data.toString()));
        (f.stream === 2 ? stderr : stdout).write(f.data);
      }
      cb();
    },
  });
}
