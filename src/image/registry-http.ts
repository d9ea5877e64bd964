/**
 * The HTTP transport of the registry client: one keep-alive agent per endpoint,
 * requests with streamed bodies, redirects for GET/HEAD (Authorization is dropped
 * when a redirect leaves the registry's host), and the distribution error body
 * (`{"errors":[{"code","message"}]}`) turned into a RegistryError.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { EngineError, type ErrorCode } from '../core/errors.js';
import type { RegistryEndpoint } from './registry-hosts.js';

export interface RegistryErrorItem {
  code: string;
  message: string;
}

/** A failure the registry reported (status and error codes) or a transport failure (status 0). */
export class RegistryError extends EngineError {
  constructor(code: ErrorCode, message: string, readonly status: number, readonly errors: RegistryErrorItem[] = [],
    options?: { cause?: unknown }) {
    super(code, message, options);
  }
  has(code: string): boolean {
    return this.errors.some((e) => e.code === code);
  }
}

export interface HttpOptions {
  method: string;
  headers?: Record<string, string>;
  body?: Buffer | Readable;
  /** Follow redirects (GET/HEAD). */
  follow?: boolean;
}

const TIMEOUT_MS = 60_000;

/** docker's errcode text: "MANIFEST_UNKNOWN" + "manifest unknown" -> "manifest unknown: manifest unknown". */
export function errcodeText(items: RegistryErrorItem[]): string {
  return items.map((e) => `${e.code.toLowerCase().replace(/_/g, ' ')}: ${e.message}`).join(', ');
}

function codeForStatus(status: number): ErrorCode {
  if (status === 401 || status === 403) return 'PermissionDenied';
  if (status === 404) return 'NotFound';
  if (status === 400 || status === 405 || status === 413 || status === 416) return 'InvalidArgument';
  if (status === 429 || status >= 500) return 'Unavailable';
  return 'Internal';
}

export async function readBody(res: IncomingMessage, limit = 8 << 20): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of res) {
    n += (c as Buffer).length;
    if (n > limit) {
      res.destroy();
      throw new RegistryError('InvalidArgument', `response body larger than ${limit} bytes`, 0);
    }
    parts.push(c as Buffer);
  }
  return Buffer.concat(parts);
}

/** Reads an error response into a RegistryError with docker's wording. */
export async function responseError(res: IncomingMessage, what: string): Promise<RegistryError> {
  const status = res.statusCode ?? 0;
  let items: RegistryErrorItem[] = [];
  const text = (await readBody(res, 1 << 20).catch(() => Buffer.alloc(0))).toString();
  try {
    const j = JSON.parse(text) as { errors?: RegistryErrorItem[]; details?: string };
    if (Array.isArray(j.errors)) items = j.errors.filter((e) => e && typeof e.code === 'string');
  } catch { /* not JSON */ }
  const msg = items.length ? errcodeText(items)
    : status === 401 ? 'unauthorized: authentication required'
    : `${what}: unexpected status ${status} ${res.statusMessage ?? ''}`.trim();
  return new RegistryError(codeForStatus(status), msg, status, items);
}

/** A keep-alive connection pool to one endpoint. */
export class RegistryTransport {
  private readonly agent: HttpAgent | HttpsAgent;
  readonly https: boolean;

  constructor(readonly ep: RegistryEndpoint) {
    this.https = ep.base.startsWith('https:');
    this.agent = this.https
      ? new HttpsAgent({ keepAlive: true, maxSockets: 8, ca: ep.tls?.ca, cert: ep.tls?.cert, key: ep.tls?.key,
        rejectUnauthorized: ep.tls?.rejectUnauthorized ?? true })
      : new HttpAgent({ keepAlive: true, maxSockets: 8 });
  }

  url(path: string): URL {
    return new URL(path, this.ep.base);
  }

  close(): void {
    this.agent.destroy();
  }

  /** One request; resolves with the response whatever its status (after redirects when asked). */
  async send(target: URL, o: HttpOptions, hops = 0): Promise<IncomingMessage> {
    const res = await this.once(target, o);
    const loc = res.headers.location;
    if (o.follow && loc && [301, 302, 303, 307, 308].includes(res.statusCode ?? 0) && hops < 5) {
      res.resume();
      const next = new URL(loc, target);
      const headers = { ...(o.headers ?? {}) };
      if (next.host !== target.host) delete headers.Authorization;
      return this.send(next, { ...o, headers }, hops + 1);
    }
    return res;
  }

  private once(target: URL, o: HttpOptions): Promise<IncomingMessage> {
    const sameOrigin = target.origin === new URL(this.ep.base).origin;
    const isHttps = target.protocol === 'https:';
    const fn = isHttps ? httpsRequest : httpRequest;
    const headers: Record<string, string> = { 'User-Agent': 'hako (linux)', ...(o.headers ?? {}) };
    if (Buffer.isBuffer(o.body)) headers['Content-Length'] = String(o.body.length);
    return new Promise((resolve, reject) => {
      const req = fn(target, {
        method: o.method, headers, timeout: TIMEOUT_MS,
        ...(sameOrigin ? { agent: this.agent } : isHttps && this.ep.tls ? { rejectUnauthorized: this.ep.tls.rejectUnauthorized } : {}),
      }, resolve);
      req.on('timeout', () => req.destroy(new Error(`timeout after ${TIMEOUT_MS / 1000}s`)));
      req.on('error', (e) => reject(new RegistryError('Unavailable',
        `${o.method === 'HEAD' ? 'Head' : o.method === 'GET' ? 'Get' : o.method} "${target.href}": ${tlsHint(e)}`, 0, [], { cause: e })));
      if (!o.body) req.end();
      else if (Buffer.isBuffer(o.body)) req.end(o.body);
      else {
        o.body.on('error', (e) => req.destroy(e));
        o.body.pipe(req);
      }
    });
  }
}

function tlsHint(e: Error & { code?: string }): string {
  if (e.code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' || e.code === 'SELF_SIGNED_CERT_IN_CHAIN' || e.code === 'DEPTH_ZERO_SELF_SIGNED_CERT') {
    return `tls: failed to verify certificate: x509: certificate signed by unknown authority (${e.message})`;
  }
  return e.message;
}

/** True when an error means "this endpoint does not speak this protocol / is not there" (try the next). */
export function isTransportError(e: unknown): boolean {
  return e instanceof RegistryError && e.status === 0;
}
