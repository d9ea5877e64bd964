/**
 * A minimal HTTP/1.1 client over node:net (one request per connection,
 * `Connection: close`). It starts faster than node:http and also does the
 * docker "hijack" upgrade that attach and exec need.
 */
import { connect, type Socket } from 'node:net';
import { PassThrough, Readable } from 'node:stream';
import type { Endpoint } from './host.js';
import { ChunkedDecoder, LengthLimiter } from './chunked.js';
import { buildQuery, encodeBody, parseHead, requestHead as head, type Query } from './wire.js';

export { buildQuery, type Query };

export interface RequestOptions {
  query?: Query;
  /** A JSON-serialisable value, a string/Buffer, or a Readable streamed chunked. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Ask for a connection upgrade (docker's hijack); the response body is then the raw socket. */
  upgrade?: boolean;
}

export interface RawResponse {
  status: number;
  statusText: string;
  headers: Record<string, string>;
  body: Readable;
  /** The underlying socket (for hijacked sessions: write stdin here). */
  socket: Socket;
}

function openSocket(ep: Endpoint): Socket {
  return ep.kind === 'unix' ? connect({ path: ep.path }) : connect({ host: ep.host, port: ep.port });
}

function writeBody(sock: Socket, method: string, path: string, ep: Endpoint, o: RequestOptions): void {
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  if (o.upgrade) {
    headers.Connection = 'Upgrade';
    headers.Upgrade = 'tcp';
  } else headers.Connection = 'close';
  const b = o.body;
  if (b instanceof Readable) {
    headers['Transfer-Encoding'] = 'chunked';
    headers['Content-Type'] ??= 'application/x-tar';
    sock.write(head(method, path, ep, headers));
    b.on('data', (c: Buffer) => {
      if (c.length) sock.write(`${c.length.toString(16)}\r\n`), sock.write(c), sock.write('\r\n');
    });
    b.on('end', () => sock.write('0\r\n\r\n'));
    b.on('error', (e) => sock.destroy(e));
    return;
  }
  const { payload, type } = encodeBody(b);
  if (type) headers['Content-Type'] ??= type;
  headers['Content-Length'] = String(payload?.length ?? 0);
  sock.write(payload ? Buffer.concat([Buffer.from(head(method, path, ep, headers)), payload]) : head(method, path, ep, headers));
}

function bodyStream(sock: Socket, method: string, r: { status: number; headers: Record<string, string> }, upgrade: boolean): Readable {
  if (upgrade && (r.status === 101 || r.status === 200)) return sock;
  let dec: Readable & NodeJS.WritableStream;
  const te = r.headers['transfer-encoding'];
  const cl = r.headers['content-length'];
  if (method === 'HEAD' || r.status === 204 || r.status === 304) dec = new LengthLimiter(0);
  else if (te && te.toLowerCase().includes('chunked')) dec = new ChunkedDecoder();
  else if (cl !== undefined) dec = new LengthLimiter(Number(cl));
  else dec = new PassThrough();
  sock.pipe(dec);
  dec.on('end', () => sock.destroy());
  sock.on('error', (e) => dec.destroy(e));
  return dec;
}

/** Sends one request and resolves once the response head has arrived. */
export function rawRequest(ep: Endpoint, method: string, path: string, o: RequestOptions = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const sock = openSocket(ep);
    let buf: Buffer = Buffer.alloc(0);
    const onError = (e: Error) => reject(e);
    const onData = (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      let r;
      try {
        r = parseHead(buf.toString('latin1', 0, end));
      } catch (e) {
        sock.destroy();
        return reject(e);
      }
      const rest = buf.subarray(end + 4);
      if (r.status === 100) {
        buf = rest;
        return;
      }
      sock.off('data', onData);
      sock.off('error', onError);
      sock.pause();
      if (rest.length) sock.unshift(rest);
      resolve({ ...r, body: bodyStream(sock, method, r, !!o.upgrade), socket: sock });
    };
    sock.on('error', onError);
    sock.on('data', onData);
    sock.on('end', () => reject(new Error('connection closed before the response arrived')));
    sock.on('connect', () => writeBody(sock, method, path + buildQuery(o.query), ep, o));
  });
}
