/** Time rendering and parsing as docker's CLI does it. */

import { localClock, type ZoneInfo } from './localtime.js';

const pad = (n: number, w = 2) => String(Math.trunc(Math.abs(n))).padStart(w, '0');

/** Go's -0700 / Z07:00 layouts of an offset in seconds east of UTC. */
function offset(secs: number, colon: boolean): string {
  if (colon && secs === 0) return 'Z';
  const off = Math.trunc(secs / 60);
  return `${off >= 0 ? '+' : '-'}${pad(off / 60)}${colon ? ':' : ''}${pad(off % 60)}`;
}

/** Go's MST layout: the zone's abbreviation, its offset when it has none. */
function zoneName(z: ZoneInfo): string {
  return z.abbr || offset(z.offset, false);
}

/** d holds the local wall clock in its UTC fields (localtime.ts). */
function ymdhms(d: Date, sep: string): string {
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}${sep}${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** Go's time.Time String(): "2024-01-02 15:04:05 +0000 UTC". */
export function goTimeString(t: number | string): string {
  const ms = typeof t === 'number' ? t * 1000 : new Date(t).getTime();
  if (Number.isNaN(ms)) return '';
  const { clock, zone } = localClock(ms);
  return `${ymdhms(clock, ' ')} ${offset(zone.offset, false)} ${zoneName(zone)}`;
}

/** jsonmessage.RFC3339NanoFixed in local time: "2024-01-02T15:04:05.000000000+01:00". */
export function rfc3339NanoFixed(timeNano: bigint | number): string {
  const ns = BigInt(timeNano);
  const { clock, zone } = localClock(Number(ns / 1000000n));
  const frac = String(ns % 1000000000n).padStart(9, '0');
  return `${ymdhms(clock, 'T')}.${frac}${offset(zone.offset, true)}`;
}

/** Go duration "1h30m", "10m", "45s", "1.5h" to milliseconds, or undefined. */
export function parseGoDuration(s: string): number | undefined {
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 };
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) {
    total += Number(m[1]) * unit[m[2]!]!;
    matched = re.lastIndex;
  }
  return matched === s.length && s.length > 0 ? total : undefined;
}

/** docker's GetTimestamp: unix seconds, a duration back from now, or an RFC 3339 date; as "secs[.nanos]". */
export function apiTimestamp(value: string, now = Date.now()): string {
  if (/^\d+(\.\d+)?$/.test(value)) return value;
  const d = parseGoDuration(value);
  if (d !== undefined) return String(Math.trunc((now - d) / 1000));
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new Error(`failed to parse value as time or duration: "${value}"`);
  return String(Math.trunc(t / 1000));
}
