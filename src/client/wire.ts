/**
 * HTTP/1.1 on the wire, without Node's stream layer: the request head, the query
 * string, the response head and a whole chunked body. http.ts (streaming) and
 * buffered.ts (whole answers) both use these.
 */
import type { Endpoint } from './host.js';

export type Query = Record<string, string | number | boolean | undefined | null | string[]>;

export interface ResponseHead {
  status: number;
  statusText: string;
  headers: Record<string, string>;
}

export function buildQuery(q?: Query): string {
  if (!q) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null) continue;
    const vals = Array.isArray(v) ? v : [v];
    for (const one of vals) parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(one))}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

export function requestHead(method: string, path: string, ep: Endpoint, headers: Record<string, string>): string {
  const host = ep.kind === 'tcp' ? `${ep.host}:${ep.port}` : 'api.hako';
  let s = `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: hako-cli\r\n`;
  for (const [k, v] of Object.entries(headers)) s += `${k}: ${v}\r\n`;
  return s + '\r\n';
}

/** A JSON-serialisable value, a string or a Buffer as the bytes to send and their Content-Type. */
export function encodeBody(b: unknown): { payload?: Buffer; type?: string } {
  if (b === undefined) return {};
  if (typeof b === 'string' || Buffer.isBuffer(b)) return { payload: Buffer.from(b) };
  return { payload: Buffer.from(JSON.stringify(b)), type: 'application/json' };
}

export function parseHead(text: string): ResponseHead {
  const lines = text.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(lines[0] ?? '');
  if (!m) throw new Error(`malformed HTTP response: ${JSON.stringify(lines[0])}`);
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  return { status: Number(m[1]), statusText: m[2] ?? '', headers };
}

/**
 * The payload of a whole `Transfer-Encoding: chunked` body, or undefined while the last
 * chunk has not arrived yet. Chunk extensions and trailers are skipped.
 */
export function dechunk(buf: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let i = 0;
  for (;;) {
    const nl = buf.indexOf('\r\n', i);
    if (nl < 0) return undefined;
    const size = parseInt(buf.toString('latin1', i, nl).split(';')[0]!.trim(), 16);
    if (Number.isNaN(size)) throw new Error(`invalid chunk size line "${buf.toString('latin1', i, nl)}"`);
    i = nl + 2;
    if (size === 0) break;
    if (buf.length < i + size + 2) return undefined;
    parts.push(buf.subarray(i, i + size));
    i += size + 2;
  }
  // trailer fields, then an empty line
  for (;;) {
    const nl = buf.indexOf('\r\n', i);
    if (nl < 0) return undefined;
    if (nl === i) return Buffer.concat(parts);
    i = nl + 2;
  }
}
