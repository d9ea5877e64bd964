/**
 * Taking over the connection for attach and exec start, as dockerd does. With
 * `Connection: Upgrade` + `Upgrade: tcp` the answer is `101 UPGRADED` and the socket
 * then carries raw bytes both ways; without it, `200 OK` and a raw body (output only,
 * the connection closes at the end). Content-Type says whether output is stdcopy
 * framed (multiplexed-stream, no TTY) or raw (raw-stream, TTY).
 */
import type { Readable, Writable } from 'node:stream';
import type { Ctx } from './router.js';

export const RAW_STREAM = 'application/vnd.docker.raw-stream';
export const MULTIPLEXED_STREAM = 'application/vnd.docker.multiplexed-stream';

export interface Hijacked {
  /** Bytes from the client (stdin); empty and ended in the non-upgrade form. */
  input: Readable;
  /** Bytes to the client. */
  output: Writable;
  /** True when the client upgraded (101) and may half-close its side. */
  upgraded: boolean;
  close(): void;
}

export function streamContentType(tty: boolean, apiVersion: string): string {
  // Clients before API 1.42 only know raw-stream, framed or not.
  const [maj = 1, min = 0] = apiVersion.split('.').map(Number);
  return tty || maj < 1 || (maj === 1 && min < 42) ? RAW_STREAM : MULTIPLEXED_STREAM;
}

export function hijack(ctx: Ctx, contentType: string): Hijacked {
  if (ctx.upgrade) {
    const { socket, head } = ctx.upgrade;
    const extra = Object.entries(ctx.res.getHeaders())
      .map(([k, v]) => `${headerName(k)}: ${Array.isArray(v) ? v.join(', ') : String(v)}\r\n`)
      .join('');
    socket.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n${extra}\r\n`);
    if (head.length) socket.unshift(head);
    // Let the server's response object forget this socket; the route owns it now.
    ctx.res.detachSocket(socket as never);
    return { input: socket, output: socket, upgraded: true, close: () => socket.destroy() };
  }
  const { res, req } = ctx;
  res.useChunkedEncodingByDefault = false;
  res.shouldKeepAlive = false;
  res.writeHead(200, { 'Content-Type': contentType });
  res.flushHeaders();
  return { input: req, output: res, upgraded: false, close: () => res.end() };
}

const canonical: Record<string, string> = { 'api-version': 'Api-Version', ostype: 'Ostype', 'docker-experimental': 'Docker-Experimental' };
function headerName(k: string): string {
  return canonical[k] ?? k.replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => d + c.toUpperCase());
}
