import type { ServerResponse } from 'node:http';
import type { ProgressMessage } from '../engine/types.js';

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const s = JSON.stringify(body) + '\n';
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(s) });
  res.end(s);
}

export function sendText(res: ServerResponse, status: number, text: string, head = false): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': head ? 0 : Buffer.byteLength(text) });
  res.end(head ? undefined : text);
}

export function sendNoContent(res: ServerResponse, status = 204): void {
  res.writeHead(status);
  res.end();
}

/**
 * A chunked stream of JSON objects, one a line, as docker sends for load, import,
 * pull and build progress. Headers go out with the first message (or `open()`), so
 * an error before that can still be answered with a proper status by the caller.
 */
export class JsonLineStream {
  private opened = false;
  constructor(private readonly res: ServerResponse, private readonly eol = '\r\n') {}

  get started(): boolean {
    return this.opened || this.res.headersSent;
  }

  open(): void {
    if (this.started) return;
    this.opened = true;
    this.res.writeHead(200, { 'Content-Type': 'application/json' });
    this.res.flushHeaders();
  }

  write(m: ProgressMessage | Record<string, unknown>): void {
    this.open();
    if (!this.res.writableEnded && !this.res.destroyed) this.res.write(JSON.stringify(m) + this.eol);
  }

  /** The in-band error docker's clients read once the stream has started. */
  error(message: string): void {
    this.write({ errorDetail: { message }, error: message });
  }

  end(): void {
    this.open();
    if (!this.res.writableEnded) this.res.end();
  }
}
