/**
 * The typed client of the Docker Engine API that the CLI uses. Paths are the
 * unversioned ones; every non-2xx answer becomes an ApiError carrying the
 * daemon's message and status.
 */
import type { Readable } from 'node:stream';
import { parseHost, type Endpoint } from './host.js';
import type { RawResponse, RequestOptions } from './http.js';
import { bufferedRequest, isStreamBody, type BufferedResponse } from './buffered.js';
import { ApiError, ConnectError, isConnectErrno } from './errors.js';
import { jsonLines } from './jsonlines.js';

export interface Response {
  status: number;
  headers: Record<string, string>;
  body: Readable;
}

export async function readAll(body: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of body) parts.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(parts);
}

async function toApiError(r: RawResponse): Promise<ApiError> {
  return apiError(r.status, r.statusText, (await readAll(r.body)).toString('utf8'));
}

function apiError(status: number, statusText: string, text: string): ApiError {
  let msg = text.trim();
  try {
    const j = JSON.parse(text) as { message?: string };
    if (typeof j.message === 'string') msg = j.message;
  } catch {
    /* not JSON: keep the text */
  }
  return new ApiError(status, msg || `${status} ${statusText}`);
}

export class Client {
  readonly endpoint: Endpoint;

  constructor(readonly host: string) {
    this.endpoint = parseHost(host);
  }

  /**
   * Runs one exchange with the daemon; not reaching it becomes a ConnectError. The one
   * place a subclass hooks in (the CLI's AutoStartClient starts hakod here).
   */
  protected async exchange<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (e) {
      if (isConnectErrno(e)) throw new ConnectError(this.host, e);
      throw e;
    }
  }

  /** Any status, the body as a stream; throws only when the daemon cannot be reached. */
  async raw(method: string, path: string, o: RequestOptions = {}): Promise<RawResponse> {
    // loaded on first use: node:net and node:stream cost the compiled CLI ~8 ms to start
    const { rawRequest } = await import('./http.js');
    return this.exchange(() => rawRequest(this.endpoint, method, path, o));
  }

  /** Any status, the whole body (no streamed request body, no upgrade). */
  fetch(method: string, path: string, o: RequestOptions = {}): Promise<BufferedResponse> {
    return this.exchange(() => bufferedRequest(this.endpoint, method, path, o));
  }

  /** A 2xx response (or 101 when upgrading), else ApiError. */
  async request(method: string, path: string, o: RequestOptions = {}): Promise<Response> {
    const r = await this.raw(method, path, o);
    if (r.status >= 200 && r.status < 400) return r; // as docker's client: 304 (already started/stopped) is no error
    if (o.upgrade && r.status === 101) return r;
    throw await toApiError(r);
  }

  /** Sends and parses a JSON answer (undefined for an empty body). */
  async json<T = any>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
    let text: string;
    if (o.upgrade || isStreamBody(o.body)) text = (await readAll((await this.request(method, path, o)).body)).toString('utf8');
    else {
      const r = await this.fetch(method, path, o);
      if (r.status < 200 || r.status >= 400) throw apiError(r.status, r.statusText, r.body.toString('utf8'));
      text = r.body.toString('utf8');
    }
    return (text.trim() ? JSON.parse(text) : undefined) as T;
  }

  get<T = any>(path: string, query?: RequestOptions['query']): Promise<T> {
    return this.json<T>('GET', path, { query });
  }

  post<T = any>(path: string, body?: unknown, query?: RequestOptions['query']): Promise<T> {
    return this.json<T>('POST', path, { body, query });
  }

  delete<T = any>(path: string, query?: RequestOptions['query']): Promise<T> {
    return this.json<T>('DELETE', path, { query });
  }

  /** A JSON-lines stream (/events, progress of load/import/pull). */
  async stream<T = Record<string, unknown>>(method: string, path: string, o: RequestOptions = {}): Promise<AsyncGenerator<T>> {
    const r = await this.request(method, path, o);
    return jsonLines<T>(r.body);
  }

  /**
   * Docker's hijack: sends `Connection: Upgrade` / `Upgrade: tcp`, expects 101 and
   * returns the raw socket as a duplex (write stdin, read output).
   */
  async hijack(path: string, o: RequestOptions = {}): Promise<RawResponse> {
    const r = await this.raw('POST', path, { ...o, upgrade: true, headers: { 'Content-Type': 'text/plain', ...(o.headers ?? {}) } });
    if (r.status === 101 || r.status === 200) return r;
    throw await toApiError(r);
  }

  async ping(): Promise<boolean> {
    return (await this.fetch('GET', '/_ping')).status === 200;
  }
}
