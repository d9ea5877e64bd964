/** Go's %v printing and the template functions docker registers (plus Go's builtins). */

/** Marks a field that does not exist in a map: Go prints it as "<no value>". */
export const MISSING: unique symbol = Symbol('no value');

export function isTrue(v: unknown): boolean {
  if (v === MISSING || v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v as object).length > 0;
  return true;
}

function goNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  return String(n).replace(/e([+-])(\d)$/, 'e$10$2');
}

/** fmt's %v of a JSON-like value. */
export function goPrint(v: unknown): string {
  if (v === MISSING) return '<no value>';
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return goNumber(v);
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return `[${v.map(goPrint).join(' ')}]`;
  if (typeof v === 'function') return '<func>';
  if (v instanceof Date) return v.toISOString();
  const o = v as Record<string, unknown>;
  if (typeof o.toString === 'function' && o.toString !== Object.prototype.toString) return String(o);
  const keys = Object.keys(o).sort();
  return `map[${keys.map((k) => `${k}:${goPrint(o[k])}`).join(' ')}]`;
}

/**
 * Marks a list row (ps, images ...): docker marshals those with Go's json.Marshal, which
 * escapes <, > and & (`{{json .}}` shows "\u003e" in "8080->80/tcp"); other values not.
 */
export const GO_MARSHALLED = Symbol('goMarshalled');

function toJson(v: unknown): string {
  if (v === MISSING || v === undefined) return 'null';
  const s = JSON.stringify(v);
  if (!(v && typeof v === 'object' && GO_MARSHALLED in v)) return s;
  return s.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function quote(s: string): string {
  return JSON.stringify(s);
}

/** A printf with the verbs docker formats use: %s %v %d %q %f %x %t %%, width, precision, '-'. */
export function sprintf(format: string, args: unknown[]): string {
  let n = 0;
  return format.replace(/%([-+ 0#]*)(\d+)?(?:\.(\d+))?([svdqfxXtTgce%])/g, (_m, fl: string, w?: string, prec?: string, verb?: string) => {
    if (verb === '%') return '%';
    if (n >= args.length) return `%!${verb}(MISSING)`;
    const a = args[n++];
    let s: string;
    switch (verb) {
      case 'd':
        s = typeof a === 'number' ? String(Math.trunc(a)) : `%!d(${typeof a}=${goPrint(a)})`;
        break;
      case 'f':
      case 'e':
      case 'g':
        s = typeof a === 'number' ? (verb === 'f' ? a.toFixed(prec ? Number(prec) : 6) : verb === 'e' ? a.toExponential(prec ? Number(prec) : 6) : goPrint(a)) : goPrint(a);
        break;
      case 'q':
        s = quote(goPrint(a));
        break;
      case 'x':
      case 'X':
        s = typeof a === 'number' ? a.toString(16) : Buffer.from(goPrint(a)).toString('hex');
        if (verb === 'X') s = s.toUpperCase();
        break;
      default:
        s = goPrint(a);
        if (prec && verb === 's') s = s.slice(0, Number(prec));
    }
    const width = w ? Number(w) : 0;
    if (s.length < width) s = fl.includes('-') ? s.padEnd(width) : s.padStart(width, fl.includes('0') && verb !== 's' ? '0' : ' ');
    return s;
  });
}

function cmp(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = goPrint(a);
  const y = goPrint(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function index(v: unknown, ...keys: unknown[]): unknown {
  let cur = v;
  for (const k of keys) {
    if (cur === null || cur === undefined || cur === MISSING) return MISSING;
    if (Array.isArray(cur)) {
      if (typeof k !== 'number' || k < 0 || k >= cur.length) throw new Error(`error calling index: index out of range: ${goPrint(k)}`);
      cur = cur[k];
    } else if (typeof cur === 'object') {
      const o = cur as Record<string, unknown>;
      cur = Object.prototype.hasOwnProperty.call(o, String(k)) ? o[String(k)] : MISSING;
    } else throw new Error(`error calling index: can't index item of type ${typeof cur}`);
  }
  return cur;
}

function len(v: unknown): number {
  if (typeof v === 'string' || Array.isArray(v)) return v.length;
  if (v && typeof v === 'object') return Object.keys(v).length;
  throw new Error(`error calling len: len of type ${typeof v}`);
}

const title = (s: string) => s.replace(/(^|[^\p{L}\p{N}])(\p{L})/gu, (_m, p: string, c: string) => p + c.toUpperCase());

export const FUNCS: Record<string, (...a: any[]) => unknown> = {
  json: toJson,
  lower: (s: unknown) => goPrint(s).toLowerCase(),
  upper: (s: unknown) => goPrint(s).toUpperCase(),
  title: (s: unknown) => title(goPrint(s)),
  join: (a: unknown, sep: string) => (Array.isArray(a) ? a.map(goPrint).join(sep) : goPrint(a)),
  split: (s: unknown, sep: string) => goPrint(s).split(sep),
  pad: (s: unknown, before: number, after: number) => ' '.repeat(before) + goPrint(s) + ' '.repeat(after),
  truncate: (s: unknown, n: number) => [...goPrint(s)].slice(0, n).join(''),
  println: (...a: unknown[]) => a.map(goPrint).join(' ') + '\n',
  print: (...a: unknown[]) => a.map((x, i) => (i > 0 && typeof x !== 'string' && typeof a[i - 1] !== 'string' ? ' ' : '') + goPrint(x)).join(''),
  printf: (f: string, ...a: unknown[]) => sprintf(f, a),
  index,
  len,
  slice: (v: unknown, i = 0, j?: number) => (typeof v === 'string' || Array.isArray(v) ? v.slice(i, j) : v),
  not: (v: unknown) => !isTrue(v),
  and: (...a: unknown[]) => a.find((x) => !isTrue(x)) ?? a[a.length - 1],
  or: (...a: unknown[]) => a.find((x) => isTrue(x)) ?? a[a.length - 1],
  eq: (a: unknown, ...b: unknown[]) => b.some((x) => cmp(a, x) === 0 && typeof a === typeof x),
  ne: (a: unknown, b: unknown) => !(cmp(a, b) === 0 && typeof a === typeof b),
  lt: (a: unknown, b: unknown) => cmp(a, b) < 0,
  le: (a: unknown, b: unknown) => cmp(a, b) <= 0,
  gt: (a: unknown, b: unknown) => cmp(a, b) > 0,
  ge: (a: unknown, b: unknown) => cmp(a, b) >= 0,
  urlquery: (...a: unknown[]) => encodeURIComponent(a.map(goPrint).join('')),
};
