/** docker/go-units: human sizes, "2 weeks" durations, and size parsing for flags. */

const decimal = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const binary = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

/** Go's %.{p}g: shortest of %e/%f with p significant digits, trailing zeros removed. */
export function goG(x: number, p: number): string {
  if (x === 0) return '0';
  const exp = Math.floor(Math.log10(Math.abs(Number(x.toPrecision(p)))));
  if (exp < -4 || exp >= p) {
    const [m, e] = x.toExponential(p - 1).split('e');
    const mant = m!.includes('.') ? m!.replace(/\.?0+$/, '') : m!;
    const n = Number(e);
    return `${mant}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  const s = x.toFixed(Math.max(0, p - 1 - exp));
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

function custom(size: number, base: number, units: string[], precision: number): string {
  let i = 0;
  while (size >= base && i < units.length - 1) {
    size /= base;
    i++;
  }
  return `${goG(size, precision)}${units[i]}`;
}

/** "4.26MB" (docker images uses precision 3). */
export function humanSize(size: number, precision = 4): string {
  return custom(size, 1000, decimal, precision);
}

/** "1.5MiB" (docker stats). */
export function bytesSize(size: number): string {
  return custom(size, 1024, binary, 4);
}

/** go-units HumanDuration, in milliseconds. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(ms / 3600000);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(ms / 3600000 / 24 / 365)} years`;
}

/** "2 weeks ago" from a unix time in seconds (or an ISO string). */
export function ago(when: number | string, now = Date.now()): string {
  const t = typeof when === 'number' ? when * 1000 : Date.parse(when);
  if (!Number.isFinite(t) || t <= 0) return 'N/A';
  return `${humanDuration(now - t)} ago`;
}

const mult: Record<string, number> = { '': 0, k: 1, m: 2, g: 3, t: 4, p: 5 };

function parseUnit(s: string, base: number, what: string): number {
  const m = /^(\d+(?:\.\d+)?) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(s.trim());
  if (!m) throw new Error(`invalid size: '${s}'`);
  const n = Number(m[1]) * base ** mult[(m[2] ?? '').toLowerCase()]!;
  void what;
  return Math.trunc(n);
}

/** go-units RAMInBytes: "32m" -> 33554432 (binary multiples). */
export function ramInBytes(s: string): number {
  return parseUnit(s, 1024, 'ram');
}

/** go-units FromHumanSize: "64MB" -> 64000000 (decimal multiples). */
export function fromHumanSize(s: string): number {
  return parseUnit(s, 1000, 'size');
}

/** docker's sortorder.NaturalLess as a sort comparator: digit runs compare as numbers. */
export function naturalLess(a: string, b: string): number {
  const re = /(\d+|\D+)/g;
  const x = a.match(re) ?? [];
  const y = b.match(re) ?? [];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const p = x[i]!;
    const q = y[i]!;
    if (p === q) continue;
    if (/^\d/.test(p) && /^\d/.test(q)) return Number(p) - Number(q) || p.length - q.length;
    return p < q ? -1 : 1;
  }
  return x.length - y.length;
}
