/**
 * A small router for Docker's routes. Patterns name their parameters with `{name}`
 * (one path segment) or `{name*}` (greedy, may contain slashes, as image names do:
 * /images/127.0.0.1:5000/foo/bar:tag/json). Routes match in registration order.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import type { Engine } from '../engine/types.js';

export interface ApiLogger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  /** The request body: `req` itself, or for upgraded requests the bytes read before the hijack. */
  body: Readable;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The API version the client asked for (its path prefix), else the server's. */
  apiVersion: string;
  engine: Partial<Engine>;
  log: ApiLogger;
  /** Set when the client asked for `Connection: Upgrade` (attach, exec start). */
  upgrade?: { socket: Duplex; head: Buffer };
  /** Facts about this server for /version, /_ping and headers. */
  server: { version: string };
}

export type Handler = (ctx: Ctx) => Promise<void> | void;

interface Route {
  methods: string[];
  re: RegExp;
  names: string[];
  handler: Handler;
}

export class Router {
  private readonly routes: Route[] = [];

  add(method: string | string[], pattern: string, handler: Handler): this {
    const names: string[] = [];
    const src = pattern
      .split('/')
      .map((seg) =>
        seg.replace(/\{(\w+)(\*?)\}|[^{}]+/g, (m, name?: string, greedy?: string) => {
          if (!name) return m.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
          names.push(name);
          return greedy ? '(.+)' : '([^/]+)';
        }),
      )
      .join('/');
    const methods = Array.isArray(method) ? method : [method];
    this.routes.push({ methods, re: new RegExp(`^${src}/?$`), names, handler });
    return this;
  }

  /** The handler and decoded parameters for a request; undefined when nothing matches (404). */
  match(method: string, path: string): { handler: Handler; params: Record<string, string> } | undefined {
    for (const r of this.routes) {
      if (!r.methods.includes(method)) continue;
      const m = r.re.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      r.names.forEach((n, i) => (params[n] = safeDecode(m[i + 1]!)));
      return { handler: r.handler, params };
    }
    return undefined;
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
