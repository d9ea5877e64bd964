/** Time rendering and parsing as docker's CLI does it. */

const pad = (n: number, w = 2) => String(Math.trunc(Math.abs(n))).padStart(w, '0');

function offset(d: Date, colon: boolean): string {
  const off = -d.getTimezoneOffset();
  if (colon && off === 0) return 'Z';
  const s = `${off >= 0 ? '+' : '-'}${pad(off / 60)}${colon ? ':' : ''}${pad(off % 60)}`;
  return s;
}

function zoneName(d: Date): string {
  const m = /\(([^)]+)\)$/.exec(d.toString());
  const name = m?.[1] ?? '';
  if (d.getTimezoneOffset() === 0) return 'UTC';
  return /^[A-Z]{2,5}$/.test(name) ? name : offset(d, false);
}

function ymdhms(d: Date, sep: string): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}${sep}${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Go's time.Time String(): "2024-01-02 15:04:05 +0000 UTC". */
export function goTimeString(t: number | string): string {
  const d = new Date(typeof t === 'number' ? t * 1000 : t);
  if (Number.isNaN(d.getTime())) return '';
  return `${ymdhms(d, ' ')} ${offset(d, false)} ${zoneName(d)}`;
}

/** jsonmessage.RFC3339NanoFixed in local time: "2024-01-02T15:04:05.000000000+01:00". */
export function rfc3339NanoFixed(timeNano: bigint | number): string {
  const ns = BigInt(timeNano);
  const d = new Date(Number(ns / 1000000n));
  const frac = String(ns % 1000000000n).padStart(9, '0');
  return `${ymdhms(d, 'T')}.${frac}${offset(d, true)}`;
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
