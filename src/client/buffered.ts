/**
 * One request whose answer is read whole: the JSON calls most commands make (version,
 * ps, inspect, rm, ...). On Bun (the compiled build/hako) it goes through Bun.connect,
 * which needs none of Node's stream layer: loading node:net and node:stream costs that
 * binary ~8 ms of a ~15 ms `hako version`. On Node it is http.ts's request read to the
 * end. Streams (hijack, logs, events, load) always take http.ts.
 */
import type { Endpoint } from './host.js';
import type { RequestOptions } from './http.js';
import { buildQuery, dechunk, encodeBody, parseHead, requestHead, type ResponseHead } from './wire.js';

export interface BufferedResponse extends ResponseHead {
  body: Buffer;
}

interface BunSocket {
  write(data: Uint8Array): number;
  end(): void;
}
interface BunHandlers {
  open(s: BunSocket): void;
  drain(s: BunSocket): void;
  data(s: BunSocket, chunk: Uint8Array): void;
  close(s: BunSocket): void;
  error(s: BunSocket, e: Error): void;
}
type BunConnect = (o: { unix?: string; hostname?: string; port?: number; socket: BunHandlers }) => Promise<BunSocket>;

const bun = (globalThis as { Bun?: { connect: BunConnect } }).Bun;
const bunConnect: BunConnect | undefined = bun && ((o) => bun.connect(o));

/** True for a body that must be streamed (a Readable): buffered requests do not take those. */
export function isStreamBody(b: unknown): boolean {
  return typeof (b as { pipe?: unknown } | undefined)?.pipe === 'function';
}

function requestBytes(ep: Endpoint, method: string, path: string, o: RequestOptions): Buffer {
  const headers: Record<string, string> = { ...(o.headers ?? {}), Connection: 'close' };
  const { payload, type } = encodeBody(o.body);
  if (type) headers['Content-Type'] ??= type;
  headers['Content-Length'] = String(payload?.length ?? 0);
  const head = Buffer.from(requestHead(method, path + buildQuery(o.query), ep, headers), 'latin1');
  return payload ? Buffer.concat([head, payload]) : head;
}

/**
 * The response in `buf` once it is complete (closed says the peer closed the connection),
 * else undefined. A 100 Continue head is skipped.
 */
export function parseResponse(method: string, buf: Buffer, closed: boolean): BufferedResponse | undefined {
  let start = 0;
  for (;;) {
    const end = buf.indexOf('\r\n\r\n', start);
    if (end < 0) {
      if (closed) throw new Error('connection closed before the response arrived');
      return undefined;
    }
    const head = parseHead(buf.toString('latin1', start, end));
    const rest = buf.subarray(end + 4);
    if (head.status === 100) {
      start = end + 4;
      continue;
    }
    if (method === 'HEAD' || head.status === 204 || head.status === 304) return { ...head, body: Buffer.alloc(0) };
    const te = head.headers['transfer-encoding'];
    if (te && te.toLowerCase().includes('chunked')) {
      const body = dechunk(rest);
      if (body) return { ...head, body };
      if (closed) throw new Error('connection closed in the middle of a chunked response');
      return undefined;
    }
    const cl = head.headers['content-length'];
    if (cl !== undefined) {
      const n = Number(cl);
      if (rest.length >= n) return { ...head, body: rest.subarray(0, n) };
      if (closed) throw new Error('connection closed before the whole response arrived');
      return undefined;
    }
    return closed ? { ...head, body: rest } : undefined;
  }
}

/**
 * How many bytes the whole response in `buf` takes: undefined while its head is incomplete,
 * Infinity when only the end of the connection tells (chunked or no length: the request
 * said Connection: close). 1xx heads before it count too.
 */
export function responseLength(method: string, buf: Buffer): number | undefined {
  let start = 0;
  for (;;) {
    const end = buf.indexOf('\r\n\r\n', start);
    if (end < 0) return undefined;
    const head = parseHead(buf.toString('latin1', start, end));
    if (head.status >= 100 && head.status < 200) {
      start = end + 4;
      continue;
    }
    if (method === 'HEAD' || head.status === 204 || head.status === 304) return end + 4;
    const cl = head.headers['content-length'];
    const te = head.headers['transfer-encoding'];
    return cl !== undefined && !te ? end + 4 + Number(cl) : Infinity;
  }
}

function viaBun(connect: BunConnect, ep: Endpoint, method: string, bytes: Buffer): Promise<BufferedResponse> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let total = 0;
    let need: number | undefined;
    let pending = bytes;
    let settled = false;
    const settle = (s: BunSocket, closed: boolean) => {
      if (settled) return;
      try {
        const all = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
        parts.splice(0, parts.length, all);
        need ??= responseLength(method, all);
        if (!closed && (need === undefined || total < need)) return;
        const r = parseResponse(method, all, closed);
        if (!r) return;
        settled = true;
        if (!closed) s.end();
        resolve(r);
      } catch (e) {
        settled = true;
        s.end();
        reject(e);
      }
    };
    const flush = (s: BunSocket) => {
      if (pending.length) pending = pending.subarray(Math.max(0, s.write(pending)));
    };
    const socket: BunHandlers = {
      open: flush,
      drain: flush,
      data(s, chunk) {
        parts.push(Buffer.from(chunk)); // a copy: the runtime may reuse its read buffer
        total += chunk.byteLength;
        // the whole buffer is looked at only until the head says how long the response is
        if (need === undefined || total >= need) settle(s, false);
      },
      close: (s) => settle(s, true),
      error(_s, e) {
        if (!settled) (settled = true), reject(e);
      },
    };
    const target = ep.kind === 'unix' ? { unix: ep.path } : { hostname: ep.host, port: ep.port };
    connect({ ...target, socket }).catch((e: unknown) => {
      if (!settled) (settled = true), reject(e);
    });
  });
}

async function viaNode(ep: Endpoint, method: string, path: string, o: RequestOptions): Promise<BufferedResponse> {
  const { rawRequest } = await import('./http.js');
  const r = await rawRequest(ep, method, path, o);
  const parts: Buffer[] = [];
  for await (const c of r.body) parts.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return { status: r.status, statusText: r.statusText, headers: r.headers, body: Buffer.concat(parts) };
}

/** Sends one request (a JSON, string or Buffer body) and resolves with the whole response. */
export function bufferedRequest(ep: Endpoint, method: string, path: string, o: RequestOptions = {}): Promise<BufferedResponse> {
  if (!bunConnect) return viaNode(ep, method, path, o);
  return viaBun(bunConnect, ep, method, requestBytes(ep, method, path, o));
}
