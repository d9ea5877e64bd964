/**
 * Parsing of Docker API query parameters and request bodies, with Docker's rules and
 * error wording. Everything here throws EngineError InvalidArgument (400).
 */
import type { Readable } from 'node:stream';
import { invalid } from '../core/errors.js';

/** Docker's boolean: "1", "true", "True" (any case) are true; absent, "", "0", "false" are false. */
export function parseBool(v: string | null | undefined): boolean {
  if (v === null || v === undefined) return false;
  const s = v.trim().toLowerCase();
  return s === '1' || s === 'true' || s === 'yes';
}

export function boolParam(q: URLSearchParams, name: string, dflt = false): boolean {
  return q.has(name) ? parseBool(q.get(name)) : dflt;
}

/** An integer parameter; absent or empty gives `dflt`; anything not an integer is a 400. */
export function intParam(q: URLSearchParams, name: string): number | undefined;
export function intParam(q: URLSearchParams, name: string, dflt: number): number;
export function intParam(q: URLSearchParams, name: string, dflt?: number): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return dflt;
  if (!/^[-+]?\d+$/.test(v.trim())) throw invalid(`invalid value for ${name}: "${v}" is not an integer`);
  return Number.parseInt(v, 10);
}

/**
 * Docker's `filters` parameter: JSON of either {"name":["a","b"]} or the legacy
 * {"name":{"a":true,"b":true}}. Returns name -> values (empty object when absent).
 */
export function parseFilters(raw: string | null | undefined): Record<string, string[]> {
  if (raw === null || raw === undefined || raw.trim() === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (e) {
    throw invalid(`invalid filter: ${(e as Error).message}`);
  }
  if (v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw invalid(`invalid filter: expected a JSON object, got ${raw}`);
  const out: Record<string, string[]> = {};
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (Array.isArray(val)) out[k] = val.map((x) => String(x));
    else if (val && typeof val === 'object') {
      out[k] = Object.entries(val as Record<string, unknown>).filter(([, b]) => b === true).map(([x]) => x);
    } else throw invalid(`invalid filter: values of "${k}" must be a list or a map`);
  }
  return out;
}

/** Rejects filter names the endpoint does not know, as dockerd does. */
export function checkFilterNames(f: Record<string, string[]>, allowed: string[]): void {
  for (const k of Object.keys(f)) if (!allowed.includes(k)) throw invalid(`invalid filter '${k}'`);
}

/** Docker timestamps for since/until: unix seconds with optional fraction, or RFC 3339. Returns nanoseconds. */
export function parseTimestamp(v: string, now = Date.now()): bigint {
  const s = v.trim();
  if (/^\d+(\.\d{1,9})?$/.test(s)) {
    const [sec, frac = ''] = s.split('.');
    return BigInt(sec!) * 1_000_000_000n + BigInt(frac.padEnd(9, '0'));
  }
  const dur = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)$/.exec(s);
  if (dur) {
    const mult: Record<string, number> = { ns: 1e-6, us: 1e-3, ms: 1, s: 1e3, m: 6e4, h: 3.6e6 };
    return BigInt(Math.round(now - Number(dur[1]) * mult[dur[2]!]!)) * 1_000_000n;
  }
  const ms = Date.parse(s);
  if (Number.isNaN(ms)) throw invalid(`failed to parse value as time or duration: "${v}"`);
  return BigInt(ms) * 1_000_000n;
}

export const DEFAULT_BODY_LIMIT = 16 * 1024 * 1024;

/** Reads the whole body, refusing more than `limit` bytes. */
export async function readBody(req: Readable, limit = DEFAULT_BODY_LIMIT): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > limit) throw invalid(`request body is larger than ${limit} bytes`);
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

/** Reads a JSON body. An empty body gives `undefined`; bad JSON is a 400 with the parser's reason. */
export async function readJson<T = unknown>(req: Readable, limit = DEFAULT_BODY_LIMIT): Promise<T | undefined> {
  const b = await readBody(req, limit);
  const s = b.toString('utf8').trim();
  if (s === '') return undefined;
  try {
    return JSON.parse(s) as T;
  } catch (e) {
    throw invalid(`invalid JSON: ${(e as Error).message}`);
  }
}
