/**
 * stdout, stderr and stdin for commands, made only when a command needs a stream.
 *
 * Bun (the compiled build/hako) builds process.stdout & co. on Node's stream layer, whose
 * first use costs ~8 ms, half of a `hako version`. Most commands only write text: until
 * something else is asked of stdout or stderr, `write` goes straight to the file
 * descriptor, synchronously, as docker's CLI writes. Anything else (isTTY, columns, on,
 * pipe targets, instanceof) creates the real stream and is answered by it, and so are all
 * later writes, which keeps the output in order.
 */
import { writeSync } from 'node:fs';

type WriteCallback = (err?: Error | null) => void;

/** Blocks the thread for `ms` (a retry pause for a non-blocking descriptor that is full). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Writes all of `data` to `fd`. EAGAIN (a descriptor someone made non-blocking, with a
 * slow reader) waits and retries; EPIPE (the reader went away: `hako ps | head -1`) drops
 * the rest as Node's stdout does once the reader is gone.
 */
export function writeAllSync(fd: number, data: string | Uint8Array): void {
  let buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  while (buf.length) {
    try {
      buf = buf.subarray(writeSync(fd, buf));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') pause(1);
      else if (code === 'EPIPE') return;
      else throw e;
    }
  }
}

/**
 * A stand-in for a process stream: `get` makes the real one on first need. `fd` given,
 * writes before that go to the descriptor directly (string or bytes; an encoding argument
 * other than utf8 is not supported there and creates the stream).
 */
export function lazyStream<T extends object>(get: () => T, fd?: number): T {
  let real: T | undefined;
  const open = (): T => (real ??= get());
  const direct = (chunk: string | Uint8Array, enc?: BufferEncoding | WriteCallback, cb?: WriteCallback): boolean => {
    const done = typeof enc === 'function' ? enc : cb;
    if (real || (typeof enc === 'string' && enc !== 'utf8' && enc !== 'utf-8')) {
      return (open() as unknown as NodeJS.WritableStream).write(chunk as string, enc as BufferEncoding, done);
    }
    writeAllSync(fd!, chunk);
    if (done) queueMicrotask(() => done(null));
    return true;
  };
  const proxy: T = new Proxy({} as T, {
    get(_t, p) {
      if (p === 'write' && fd !== undefined) return direct;
      const r = open();
      const v = Reflect.get(r, p, r) as unknown;
      return typeof v === 'function' && p !== 'constructor' ? (v as (...a: unknown[]) => unknown).bind(r) : v;
    },
    // an object made with Object.create(proxy) (push/pull -q) gets its own properties
    set: (_t, p, v, receiver) => Reflect.set(open(), p, v, receiver === proxy ? open() : receiver),
    has: (_t, p) => Reflect.has(open(), p),
    getPrototypeOf: () => Object.getPrototypeOf(open()) as object | null,
  });
  return proxy;
}

export interface StdStreams {
  out: NodeJS.WriteStream;
  err: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  /** Streams that were really created (the ones to flush before exiting). */
  opened(): NodeJS.WriteStream[];
}

/** The process's three streams, lazily. */
export function processStreams(): StdStreams {
  const made: NodeJS.WriteStream[] = [];
  const track = (s: NodeJS.WriteStream) => (made.push(s), s);
  return {
    out: lazyStream(() => track(process.stdout), 1),
    err: lazyStream(() => track(process.stderr), 2),
    stdin: lazyStream(() => process.stdin),
    opened: () => made,
  };
}
