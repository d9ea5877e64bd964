/**
 * Local time as Go's time package (and so docker's CLI) finds it: $TZ unset means
 * /etc/localtime, empty or "UTC" means UTC, a leading ':' is dropped, an absolute path is
 * read as is and a name is looked up in the zoneinfo directories; the TZif file's
 * transitions, then its footer rule (a POSIX TZ string) for later times. Anything that
 * cannot be read or parsed is UTC, as in Go.
 *
 * JavaScript's own local time is not used: on Bun (build/hako) its first use loads ICU's
 * zone data, ~8 ms added to a `hako version` or `hako ps`.
 */
import { readFileSync } from 'node:fs';

/** The zone in effect at one instant: seconds east of UTC and its abbreviation. */
export interface ZoneInfo {
  offset: number;
  abbr: string;
}

export type Zone = (unixSec: number) => ZoneInfo;

const UTC: ZoneInfo = { offset: 0, abbr: 'UTC' };
const ZONEINFO_DIRS = ['/usr/share/zoneinfo/', '/usr/share/lib/zoneinfo/', '/usr/lib/locale/TZ/', '/etc/zoneinfo/'];

// ---- POSIX TZ strings (the TZif footer): "CET-1CEST,M3.5.0,M10.5.0/3" ----

interface Rule {
  kind: 'J' | 'N' | 'M';
  day: number;
  week: number;
  mon: number;
  /** Seconds after local midnight. */
  time: number;
}

/** A cursor over a TZ string; each read returns undefined on a syntax error. */
class TzReader {
  constructor(public s: string) {}

  name(): string | undefined {
    if (this.s.startsWith('<')) {
      const end = this.s.indexOf('>');
      if (end < 0) return undefined;
      const n = this.s.slice(1, end);
      this.s = this.s.slice(end + 1);
      return n;
    }
    let i = 0;
    while (i < this.s.length && !'0123456789,-+'.includes(this.s[i]!)) i++;
    if (i < 3) return undefined;
    const n = this.s.slice(0, i);
    this.s = this.s.slice(i);
    return n;
  }

  /** [+-]hh[:mm[:ss]] in seconds. */
  offset(): number | undefined {
    const m = /^([+-]?)(\d{1,3})(?::(\d{1,2})(?::(\d{1,2}))?)?/.exec(this.s);
    if (!m) return undefined;
    this.s = this.s.slice(m[0].length);
    const secs = Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
    if (Number(m[2]) > 24 * 7) return undefined;
    return m[1] === '-' ? -secs : secs;
  }

  rule(): Rule | undefined {
    let r: Rule;
    const m = /^(?:J(\d{1,3})|M(\d{1,2})\.(\d)\.(\d)|(\d{1,3}))/.exec(this.s);
    if (!m) return undefined;
    this.s = this.s.slice(m[0].length);
    if (m[1] !== undefined) r = { kind: 'J', day: Number(m[1]), week: 0, mon: 0, time: 7200 };
    else if (m[2] !== undefined) r = { kind: 'M', day: Number(m[4]), week: Number(m[3]), mon: Number(m[2]), time: 7200 };
    else r = { kind: 'N', day: Number(m[5]), week: 0, mon: 0, time: 7200 };
    if (r.kind === 'J' && (r.day < 1 || r.day > 365)) return undefined;
    if (r.kind === 'N' && r.day > 365) return undefined;
    if (r.kind === 'M' && (r.mon < 1 || r.mon > 12 || r.week < 1 || r.week > 5 || r.day > 6)) return undefined;
    if (this.s.startsWith('/')) {
      this.s = this.s.slice(1);
      const t = this.offset();
      if (t === undefined) return undefined;
      r.time = t;
    }
    return r;
  }
}

const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const dayMs = 86_400_000;

/** Seconds from the start of `year` (UTC) to when rule `r` fires, for a zone `off` seconds east. */
function ruleTime(year: number, r: Rule, off: number): number {
  let d: number; // day of the year, 0-based
  if (r.kind === 'J') d = r.day - 1 + (isLeap(year) && r.day >= 60 ? 1 : 0);
  else if (r.kind === 'N') d = r.day;
  else {
    const first = Date.UTC(year, r.mon - 1, 1);
    const inMonth = Math.round((Date.UTC(year, r.mon, 1) - first) / dayMs);
    let dom = (r.day - new Date(first).getUTCDay() + 7) % 7; // 0-based day of month
    for (let i = 1; i < r.week && dom + 7 < inMonth; i++) dom += 7;
    d = Math.round((first - Date.UTC(year, 0, 1)) / dayMs) + dom;
  }
  return d * 86_400 + r.time - off;
}

/** A POSIX TZ string as a Zone, or undefined when it does not parse. */
export function posixZone(tz: string): Zone | undefined {
  const rd = new TzReader(tz);
  const stdName = rd.name();
  const stdOff = stdName === undefined ? undefined : rd.offset();
  if (stdName === undefined || stdOff === undefined) return undefined;
  const std: ZoneInfo = { offset: -stdOff || 0, abbr: stdName };
  if (!rd.s) return () => std;
  const dstName = rd.name();
  if (dstName === undefined) return undefined;
  let dstOffset = std.offset + 3600;
  if (rd.s && !rd.s.startsWith(',')) {
    const o = rd.offset();
    if (o === undefined) return undefined;
    dstOffset = -o || 0;
  }
  if (!rd.s) rd.s = ',M3.2.0,M11.1.0';
  if (!rd.s.startsWith(',')) return undefined;
  rd.s = rd.s.slice(1);
  const start = rd.rule();
  if (!start || !rd.s.startsWith(',')) return undefined;
  rd.s = rd.s.slice(1);
  const end = rd.rule();
  if (!end || rd.s) return undefined;
  const dst: ZoneInfo = { offset: dstOffset, abbr: dstName };
  return (sec) => {
    const year = new Date(sec * 1000).getUTCFullYear();
    const ysec = sec - Date.UTC(year, 0, 1) / 1000;
    const a = ruleTime(year, start, std.offset);
    const b = ruleTime(year, end, dst.offset);
    // southern hemisphere: DST spans the new year
    if (b < a) return ysec >= b && ysec < a ? std : dst;
    return ysec >= a && ysec < b ? dst : std;
  };
}

// ---- TZif files (RFC 8536) ----

/** A TZif file's contents as a Zone, or undefined when it is not one. */
export function tzifZone(buf: Buffer): Zone | undefined {
  if (buf.length < 44 || buf.toString('latin1', 0, 4) !== 'TZif') return undefined;
  const counts = (at: number) => [0, 1, 2, 3, 4, 5].map((i) => buf.readUInt32BE(at + 20 + i * 4)) as [number, number, number, number, number, number];
  let [isut, isstd, leap, timecnt, typecnt, charcnt] = counts(0);
  let at = 44;
  let wide = false;
  if (buf[4]! >= 0x32) {
    // skip the 32-bit block: the 64-bit one follows with its own header
    at += timecnt * 5 + typecnt * 6 + charcnt + leap * 8 + isstd + isut;
    if (buf.length < at + 44 || buf.toString('latin1', at, at + 4) !== 'TZif') return undefined;
    [isut, isstd, leap, timecnt, typecnt, charcnt] = counts(at);
    at += 44;
    wide = true;
  }
  const tsize = wide ? 8 : 4;
  const end = at + timecnt * (tsize + 1) + typecnt * 6 + charcnt + leap * (tsize + 4) + isstd + isut;
  if (typecnt === 0 || buf.length < end) return undefined;
  const when: number[] = [];
  for (let i = 0; i < timecnt; i++) when.push(wide ? Number(buf.readBigInt64BE(at + i * 8)) : buf.readInt32BE(at + i * 4));
  const idx = buf.subarray(at + timecnt * tsize, at + timecnt * (tsize + 1));
  const typesAt = at + timecnt * (tsize + 1);
  const charsAt = typesAt + typecnt * 6;
  const types: ZoneInfo[] = [];
  for (let i = 0; i < typecnt; i++) {
    const p = typesAt + i * 6;
    const a = charsAt + buf[p + 5]!;
    const z = buf.indexOf(0, a);
    types.push({ offset: buf.readInt32BE(p), abbr: buf.toString('latin1', a, z < 0 || z > charsAt + charcnt ? charsAt + charcnt : z) });
  }
  const footer = wide ? buf.toString('latin1', end).split('\n')[1] ?? '' : '';
  const extend = footer ? posixZone(footer) : undefined;
  return (sec) => {
    if (!when.length || sec < when[0]!) return !when.length && extend ? extend(sec) : types[0]!;
    let lo = 0;
    let hi = when.length;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (sec < when[mid]!) hi = mid;
      else lo = mid;
    }
    if (lo === when.length - 1 && extend) return extend(sec);
    return types[idx[lo]!] ?? types[0]!;
  };
}

/** The zone Go would use for `tz` (the TZ variable; undefined when unset). */
export function loadZone(tz: string | undefined, read: (path: string) => Buffer = readFileSync): Zone {
  const tryFile = (path: string) => {
    try {
      return tzifZone(read(path));
    } catch {
      return undefined;
    }
  };
  let z: Zone | undefined;
  if (tz === undefined) z = tryFile('/etc/localtime');
  else {
    const name = tz.startsWith(':') ? tz.slice(1) : tz;
    if (name.startsWith('/')) z = tryFile(name);
    else if (name && name !== 'UTC') for (const d of ZONEINFO_DIRS) if ((z = tryFile(d + name))) break;
  }
  return z ?? (() => UTC);
}

let local: Zone | undefined;

/** The local zone's offset and abbreviation at `ms` (milliseconds since the epoch). */
export function localZoneAt(ms: number): ZoneInfo {
  local ??= loadZone(process.env.TZ);
  return local(Math.floor(ms / 1000));
}

/** `ms` as a Date whose getUTC* fields read the local wall clock, with the zone in effect. */
export function localClock(ms: number): { clock: Date; zone: ZoneInfo } {
  const zone = localZoneAt(ms);
  return { clock: new Date(ms + zone.offset * 1000), zone };
}
