/**
 * A small pflag-style parser (what docker's cobra commands accept): `-abc`
 * grouped booleans, `-p80:80` and `-p 80:80`, `--name=x` and `--name x`,
 * repeatable list flags, `--` to end flags, and optionally stopping at the first
 * positional (run, exec: the rest belongs to the container's command).
 */

export type FlagType = 'bool' | 'string' | 'list' | 'int';

export interface FlagSpec {
  name: string;
  short?: string;
  type: FlagType;
  desc: string;
  default?: string | number | boolean;
  /** Hidden from --help (accepted for compatibility). */
  hidden?: boolean;
  /** Placeholder in help, e.g. "string", "list", "int". */
  meta?: string;
  /** The default as --help shows it ("" for none), when it differs from `default`. */
  helpDefault?: string;
}

export type FlagValues = Record<string, string | number | boolean | string[] | undefined>;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface Parsed {
  flags: FlagValues;
  args: string[];
  help: boolean;
  /** Help was asked for with -h, which cobra answers with a deprecation line first. */
  helpShort?: boolean;
}

function setValue(spec: FlagSpec, out: FlagValues, raw: string, shown: string): void {
  if (spec.type === 'list') {
    ((out[spec.name] as string[] | undefined) ?? (out[spec.name] = [])).push(raw);
    return;
  }
  if (spec.type === 'int') {
    if (!/^-?\d+$/.test(raw.trim())) throw new UsageError(`invalid argument "${raw}" for "${shown}" flag: strconv.ParseInt: parsing "${raw}": invalid syntax`);
    out[spec.name] = Number(raw);
    return;
  }
  if (spec.type === 'bool') {
    if (!/^(true|false|1|0|t|f|TRUE|FALSE|True|False)$/.test(raw)) {
      throw new UsageError(`invalid argument "${raw}" for "${shown}" flag: strconv.ParseBool: parsing "${raw}": invalid syntax`);
    }
    out[spec.name] = /^(true|1|t|TRUE|True)$/.test(raw);
    return;
  }
  out[spec.name] = raw;
}

function defaults(specs: FlagSpec[]): FlagValues {
  const out: FlagValues = {};
  for (const s of specs) if (s.default !== undefined) out[s.name] = s.default;
  return out;
}

/** Parses argv against specs. `interspersed: false` stops at the first positional. */
export function parseFlags(argv: string[], specs: FlagSpec[], interspersed = true): Parsed {
  const byLong = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const flags = defaults(specs);
  const args: string[] = [];
  let help = false;
  let helpShort = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      if (name === 'help') {
        help = true;
        continue;
      }
      const spec = byLong.get(name);
      if (!spec) throw new UsageError(`unknown flag: --${name}`);
      const shown = spec.short ? `-${spec.short}, --${name}` : `--${name}`;
      if (eq >= 0) setValue(spec, flags, a.slice(eq + 1), shown);
      else if (spec.type === 'bool') flags[spec.name] = true;
      else if (i + 1 < argv.length) setValue(spec, flags, argv[++i]!, shown);
      else throw new UsageError(`flag needs an argument: --${name}`);
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      i = parseShorts(a, argv, i, byShort, flags, () => (help = helpShort = true));
      continue;
    }
    if (!interspersed) {
      args.push(...argv.slice(i));
      break;
    }
    args.push(a);
  }
  return { flags, args, help, helpShort };
}

function parseShorts(a: string, argv: string[], i: number, byShort: Map<string, FlagSpec>, flags: FlagValues, onHelp: () => void): number {
  for (let j = 1; j < a.length; j++) {
    const c = a[j]!;
    if (c === 'h' && !byShort.has('h')) {
      onHelp();
      continue;
    }
    const spec = byShort.get(c);
    if (!spec) throw new UsageError(`unknown shorthand flag: '${c}' in ${a}`);
    if (spec.type === 'bool') {
      if (a[j + 1] === '=') {
        setValue(spec, flags, a.slice(j + 2), `-${c}, --${spec.name}`);
        return i;
      }
      flags[spec.name] = true;
      continue;
    }
    let rest = a.slice(j + 1);
    if (rest.startsWith('=')) rest = rest.slice(1);
    if (rest) setValue(spec, flags, rest, `-${c}, --${spec.name}`);
    else if (i + 1 < argv.length) setValue(spec, flags, argv[++i]!, `-${c}, --${spec.name}`);
    else throw new UsageError(`flag needs an argument: '${c}' in -${c}`);
    return i;
  }
  return i;
}

/** pflag's wrapN: a cut at the last blank before i, with a few characters of slop. */
function wrapN(i: number, slop: number, s: string): [string, string] {
  if (i + slop > s.length) return [s, ''];
  const w = Math.max(s.lastIndexOf(' ', i - 1), s.lastIndexOf('\t', i - 1), s.lastIndexOf('\n', i - 1));
  if (w <= 0) return [s, ''];
  const nl = s.lastIndexOf('\n', i - 1);
  if (nl > 0 && nl < w) return [s.slice(0, nl), s.slice(nl + 1)];
  return [s.slice(0, w), s.slice(w + 1)];
}

/** pflag's wrap: text indented by i, wrapped to w columns. */
function wrap(i: number, w: number, s: string): string {
  let width = w - i;
  let r = '';
  if (width < 24) {
    i = 16;
    width = w - i;
    r += '\n' + ' '.repeat(i);
  }
  if (width < 24) return s.replace(/\n/g, r);
  const slop = 5;
  width -= slop;
  const indent = (t: string) => t.replace(/\n/g, '\n' + ' '.repeat(i));
  let [l, rest] = wrapN(width, slop, s);
  r += indent(l);
  while (rest !== '') {
    [l, rest] = wrapN(width, slop, rest);
    r += '\n' + ' '.repeat(i) + indent(l);
  }
  return r;
}

/** The width docker wraps help to: one less than the terminal's, else than 80. */
function helpColumns(): number {
  return (process.stdin.isTTY && process.stdout.columns ? process.stdout.columns : 80) - 1;
}

/** docker's option list for --help (pflag's FlagUsagesWrapped): sorted, wrapped, with defaults. */
export function flagHelp(specs: FlagSpec[], cols = helpColumns()): string {
  const all = specs.filter((s) => !s.hidden);
  // cobra lists its --help only where a command's own -h took the shorthand (run: --hostname)
  if (specs.some((s) => s.short === 'h')) all.push({ name: 'help', type: 'bool', desc: 'Print usage' });
  all.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const rows = all.map((s) => {
    const meta = s.type === 'bool' ? '' : ` ${s.meta ?? (s.type === 'list' ? 'list' : s.type)}`;
    const left = s.short ? `  -${s.short}, --${s.name}${meta}` : `      --${s.name}${meta}`;
    const shown = s.helpDefault ?? (s.default !== undefined && s.default !== false && s.default !== '' ? (typeof s.default === 'string' ? JSON.stringify(s.default) : String(s.default)) : '');
    const def = shown ? ` (default ${shown})` : '';
    return [left, s.desc + def] as const;
  });
  const max = Math.max(0, ...rows.map((r) => r[0].length));
  return rows.map(([l, d]) => `${l}${' '.repeat(max - l.length + 3)}${wrap(max + 3, cols, d)}`).join('\n');
}
