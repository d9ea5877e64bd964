/**
 * The Docker Engine API server: node:http on a unix socket. Every response carries
 * dockerd's identity headers; `/v1.NN` prefixes are stripped and checked; errors
 * become `{"message": ...}` with the status of their code (api/errors.ts).
 * Requests with `Connection: Upgrade` (attach, exec start) arrive through the
 * server's 'upgrade' event and reach the same routes with `ctx.upgrade` set.
 */
import { createServer, ServerResponse, type IncomingMessage, type Server } from 'node:http';
import { Readable, type Duplex } from 'node:stream';
import { chmodSync, unlinkSync } from 'node:fs';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { API_VERSION } from '../core/docker.js';
import { EngineError } from '../core/errors.js';
import type { Engine } from '../engine/types.js';
import { sendError } from './errors.js';
import type { ApiLogger, Ctx, Router } from './router.js';
import { buildRouter } from './routes/index.js';
import { splitVersion } from './version.js';

export interface ApiServerOptions {
  engine: Partial<Engine>;
  /** hako's version, for the Server header and /version. */
  version: string;
  log: ApiLogger;
  router?: Router;
}

export class ApiServer {
  readonly http: Server;
  private readonly router: Router;
  private readonly sockets = new Set<Duplex>();
  private socketPath?: string;
  private tlsServers: TlsServer[] = [];

  constructor(private readonly opts: ApiServerOptions) {
    this.router = opts.router ?? buildRouter();
    this.http = createServer({ keepAlive: true }, (req, res) => void this.handle(req, res));
    this.http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const res = new ServerResponse(req);
      res.assignSocket(socket as never);
      res.shouldKeepAlive = false;
      res.on('finish', () => socket.end()); // routes that answer without hijacking
      const len = Number(req.headers['content-length'] ?? 0) || 0;
      void readExact(socket, head, len).then(
        ({ body, rest }) => this.handle(req, res, { socket, head: rest }, Readable.from(body.length ? [body] : [])),
        () => socket.destroy(),
      );
    });
    this.http.on('connection', (s: Duplex) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  /** Listens on a unix socket path (replacing a stale file) with mode 0660. */
  listen(path: string, mode = 0o660): Promise<void> {
    return new Promise((resolve, reject) => {
      try {
        unlinkSync(path);
      } catch {
        /* absent */
      }
      const onErr = (e: Error) => reject(e);
      this.http.once('error', onErr);
      this.http.listen(path, () => {
        this.http.off('error', onErr);
        this.socketPath = path;
        chmodSync(path, mode);
        resolve();
      });
    });
  }

  /**
   * Listens on TCP with TLS and required client certificates (dockerd's --tlsverify):
   * TLS connections are handed to the same HTTP server.
   */
  listenTls(host: string, port: number, tls: { ca: Buffer; cert: Buffer; key: Buffer }): Promise<void> {
    const srv = createTlsServer({ ...tls, requestCert: true, rejectUnauthorized: true }, (sock) => this.http.emit('connection', sock));
    this.tlsServers.push(srv);
    return new Promise((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, host, () => {
        srv.off('error', reject);
        resolve();
      });
    });
  }

  /** Stops accepting, ends idle and streaming connections, removes the socket file. */
  async close(): Promise<void> {
    for (const t of this.tlsServers) t.close();
    const closed = new Promise<void>((r) => this.http.close(() => r()));
    this.http.closeIdleConnections();
    for (const s of this.sockets) s.destroy();
    await closed;
    if (this.socketPath) {
      try {
        unlinkSync(this.socketPath);
      } catch {
        /* gone */
      }
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse, upgrade?: Ctx['upgrade'], body?: Readable): Promise<void> {
    const started = Date.now();
    this.setCommonHeaders(res);
    const url = new URL(req.url ?? '/', 'http://hako');
    try {
      const { version, path } = splitVersion(url.pathname);
      const m = this.router.match(req.method ?? 'GET', path);
      if (!m) throw new EngineError('NotFound', 'page not found');
      const ctx: Ctx = {
        req, res, body: body ?? req, params: m.params, query: url.searchParams, apiVersion: version,
        engine: this.opts.engine, log: this.opts.log, upgrade, server: { version: this.opts.version },
      };
      await m.handler(ctx);
    } catch (e) {
      if (!(e instanceof EngineError) || e.code === 'Internal') {
        this.opts.log.error('request failed', { method: req.method, url: req.url, err: String((e as Error)?.stack ?? e) });
      }
      if (upgrade && res.headersSent) upgrade.socket.destroy();
      else sendError(res, e);
    } finally {
      this.opts.log.debug('request', { method: req.method, url: req.url, status: res.statusCode, ms: Date.now() - started });
    }
  }

  private setCommonHeaders(res: ServerResponse): void {
    res.setHeader('Api-Version', API_VERSION);
    res.setHeader('Docker-Experimental', 'false');
    res.setHeader('Ostype', 'linux');
    res.setHeader('Server', `hako/${this.opts.version} (linux)`);
  }
}

/**
 * For an upgraded request, node hands over the socket right after the headers: the
 * request body (exec start's JSON) is the first `len` bytes of `head` + socket.
 */
function readExact(socket: Duplex, head: Buffer, len: number): Promise<{ body: Buffer; rest: Buffer }> {
  if (head.length >= len) return Promise.resolve({ body: head.subarray(0, len), rest: head.subarray(len) });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [head];
    let n = head.length;
    const onData = (c: Buffer) => {
      chunks.push(c);
      n += c.length;
      if (n < len) return;
      socket.off('data', onData).off('error', reject).off('end', onEnd);
      // Stop the flow but leave no explicit pause behind: the route's first 'data' listener
      // must start it again, as on a socket Node hands over untouched (an explicit pause()
      // kept the client's stdin buffered for ever when the body came in its own packet).
      socket.pause();
      (socket as { readableFlowing: boolean | null }).readableFlowing = null;
      const all = Buffer.concat(chunks);
      resolve({ body: all.subarray(0, len), rest: all.subarray(len) });
    };
    const onEnd = () => reject(new Error('connection closed before the request body'));
    socket.on('data', onData).on('error', reject).on('end', onEnd);
  });
}
