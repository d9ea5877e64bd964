/**
 * One logical Dockerfile line -> a typed instruction, checked as docker checks it
 * (argument counts, flags, JSON forms). Values stay raw (quotes, $VARs) for the
 * builder to expand where docker expands them.
 */
import { EngineError, invalid } from '../../core/errors.js';
import { splitRawWords } from './expand.js';

/** One logical line: an instruction word and the rest, with its first line number. */
export interface Node {
  cmd: string;
  rest: string;
  /** The instruction as written, continuations joined. */
  original: string;
  line: number;
}

export function parseError(line: number, msg: string): EngineError {
  return invalid(`Dockerfile parse error on line ${line}: ${msg}`);
}

interface Base { line: number; original: string }
export interface FromCommand extends Base { kind: 'from'; image: string; stageName?: string; platform?: string }
/** RUN, CMD, ENTRYPOINT: exec form (JSON) or a shell string. */
export interface CmdLine { exec?: string[]; shell?: string }
export interface RunCommand extends Base, CmdLine { kind: 'run'; network?: string }
export interface CmdCommand extends Base, CmdLine { kind: 'cmd' | 'entrypoint' }
export interface CopyCommand extends Base {
  kind: 'copy' | 'add'; srcs: string[]; dest: string; from?: string; chown?: string; chmod?: string;
}
export interface KvCommand extends Base { kind: 'env' | 'label'; pairs: [string, string][] }
export interface ArgCommand extends Base { kind: 'arg'; args: { name: string; value?: string }[] }
export interface StrCommand extends Base { kind: 'workdir' | 'user' | 'stopsignal' | 'maintainer'; value: string }
export interface ListCommand extends Base { kind: 'expose' | 'volume'; raw: string[]; json: boolean }
export interface ShellCommand extends Base { kind: 'shell'; shell: string[] }
export interface HealthCommand extends Base {
  kind: 'healthcheck'; test: string[]; interval?: number; timeout?: number; startPeriod?: number;
  startInterval?: number; retries?: number;
}
export interface OnbuildCommand extends Base { kind: 'onbuild'; expression: string }

export type Command = FromCommand | RunCommand | CmdCommand | CopyCommand | KvCommand | ArgCommand | StrCommand
  | ListCommand | ShellCommand | HealthCommand | OnbuildCommand;

type Flags = Record<string, string | true>;

/** Leading `--name=value` / `--name` words. */
function takeFlags(rest: string, allowed: string[], bools: string[] = []): { flags: Flags; rest: string } {
  const flags: Flags = {};
  let r = rest;
  for (;;) {
    const m = /^--([A-Za-z][\w-]*)(?:=(\S*))?(?:\s+|$)/.exec(r);
    if (!m) break;
    const name = m[1]!.toLowerCase();
    if (!allowed.includes(name) && !bools.includes(name)) throw new Error(`Unknown flag: ${name}`);
    if (m[2] === undefined && !bools.includes(name)) throw new Error(`Missing a value on flag: ${name}`);
    flags[name] = m[2] === undefined ? true : m[2];
    r = r.slice(m[0].length);
  }
  return { flags, rest: r.trim() };
}

/** A JSON array of strings, or undefined when the text is not one (then it is shell form). */
export function parseJsonArray(s: string): string[] | undefined {
  if (!s.startsWith('[')) return undefined;
  try {
    const v = JSON.parse(s) as unknown;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch { /* shell form */ }
  return undefined;
}

function cmdLine(rest: string): CmdLine {
  const exec = parseJsonArray(rest);
  return exec ? { exec } : { shell: rest };
}

function nameVals(kind: 'env' | 'label', rest: string, escape: string): [string, string][] {
  const upper = kind.toUpperCase();
  const words = splitRawWords(rest, escape);
  if (words.length === 0) throw new Error(`${upper} requires at least one argument`);
  if (!words[0]!.includes('=')) {
    const m = /^(\S+)\s+([\s\S]+)$/.exec(rest);
    if (!m) throw new Error(`${upper} must have two arguments`);
    return [[m[1]!, m[2]!.trim()]];
  }
  return words.map((w) => {
    const i = w.indexOf('=');
    if (i < 0) throw new Error(`Syntax error - can't find = in "${w}". Must be of the form: name=value`);
    if (i === 0) throw new Error(`${upper} names can not be blank`);
    return [w.slice(0, i), w.slice(i + 1)];
  });
}

const DURATION_UNITS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** A Go duration ("30s", "1m30s", "500ms") in nanoseconds. */
export function parseDuration(flag: string, v: string): number {
  if (v === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
  let total = 0;
  let used = 0;
  for (const m of v.matchAll(re)) {
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    used += m[0].length;
  }
  if (!v || used !== v.length) throw new Error(`invalid duration for --${flag}: time: invalid duration "${v}"`);
  return Math.round(total);
}

function healthcheck(n: Node, rest: string): HealthCommand {
  const { flags, rest: r } = takeFlags(rest, ['interval', 'timeout', 'start-period', 'start-interval', 'retries']);
  const m = /^(\S+)\s*([\s\S]*)$/.exec(r);
  if (!m) throw new Error('HEALTHCHECK requires at least one argument');
  const type = m[1]!.toUpperCase();
  const base = { kind: 'healthcheck' as const, line: n.line, original: n.original };
  if (type === 'NONE') {
    if (m[2] || Object.keys(flags).length) throw new Error('HEALTHCHECK NONE takes no arguments');
    return { ...base, test: ['NONE'] };
  }
  if (type !== 'CMD') throw new Error(`Unknown type "${type}" in HEALTHCHECK (try CMD)`);
  if (!m[2]) throw new Error('Missing command after HEALTHCHECK CMD');
  const c = cmdLine(m[2]);
  const test = c.exec ? ['CMD', ...c.exec] : ['CMD-SHELL', c.shell!];
  const dur = (k: string) => (typeof flags[k] === 'string' ? parseDuration(k, flags[k] as string) : undefined);
  let retries: number | undefined;
  if (typeof flags.retries === 'string') {
    retries = Number(flags.retries);
    if (!Number.isInteger(retries) || retries < 0) throw new Error(`--retries must be a non-negative integer: "${flags.retries}"`);
  }
  return { ...base, test, interval: dur('interval'), timeout: dur('timeout'), startPeriod: dur('start-period'),
    startInterval: dur('start-interval'), retries };
}

function from(n: Node, rest: string, escape: string): FromCommand {
  const { flags, rest: r } = takeFlags(rest, ['platform']);
  const words = splitRawWords(r, escape);
  if (words.length !== 1 && words.length !== 3) throw new Error('FROM requires either one or three arguments');
  let stageName: string | undefined;
  if (words.length === 3) {
    if (words[1]!.toLowerCase() !== 'as') throw new Error(`Expected "AS" as the second argument of FROM, got "${words[1]}"`);
    stageName = words[2]!.toLowerCase();
    if (!/^[a-z][a-z0-9-_.]*$/.test(stageName)) {
      throw new Error(`invalid name for build stage: "${words[2]}", name can't start with a number or contain symbols`);
    }
  }
  return { kind: 'from', line: n.line, original: n.original, image: words[0]!, stageName, platform: flags.platform as string | undefined };
}

function copy(n: Node, kind: 'copy' | 'add', rest: string, escape: string): CopyCommand {
  const allowed = kind === 'copy' ? ['from', 'chown', 'chmod'] : ['chown', 'chmod', 'checksum'];
  const { flags, rest: r } = takeFlags(rest, allowed, ['link']);
  const json = parseJsonArray(r);
  const words = json ?? splitRawWords(r, escape);
  const up = kind.toUpperCase();
  if (words.length < 2) {
    throw new Error(words.length === 1
      ? `${up} requires at least two arguments, but only one was provided. Destination could not be determined.`
      : `${up} requires at least two arguments`);
  }
  const str = (k: string) => (typeof flags[k] === 'string' ? (flags[k] as string) : undefined);
  return { kind, line: n.line, original: n.original, srcs: words.slice(0, -1), dest: words[words.length - 1]!,
    from: str('from'), chown: str('chown'), chmod: str('chmod') };
}

function onbuild(rest: string): string {
  const m = /^(\S+)/.exec(rest);
  if (!m) throw new Error('ONBUILD requires at least one argument');
  const trigger = m[1]!.toUpperCase();
  if (trigger === 'ONBUILD') throw new Error('Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
  if (trigger === 'FROM' || trigger === 'MAINTAINER') throw new Error(`${trigger} isn't allowed as an ONBUILD trigger`);
  if (!KNOWN.has(trigger.toLowerCase())) throw new Error(`unknown instruction: ${trigger}`);
  return trigger + rest.slice(m[1]!.length);
}

const KNOWN = new Set(['from', 'run', 'cmd', 'entrypoint', 'copy', 'add', 'env', 'label', 'arg', 'workdir', 'user',
  'stopsignal', 'maintainer', 'expose', 'volume', 'shell', 'healthcheck', 'onbuild']);

function one(n: Node, kind: StrCommand['kind'], rest: string): StrCommand {
  if (!rest) throw new Error(`${kind.toUpperCase()} requires exactly one argument`);
  return { kind, line: n.line, original: n.original, value: rest };
}

function build(n: Node, escape: string): Command {
  const base = { line: n.line, original: n.original };
  const rest = n.rest;
  switch (n.cmd) {
    case 'from': return from(n, rest, escape);
    case 'run': {
      const { flags, rest: r } = takeFlags(rest, ['network']);
      if (!r) throw new Error('RUN requires at least one argument');
      return { kind: 'run', ...base, ...cmdLine(r), network: flags.network as string | undefined };
    }
    case 'cmd': case 'entrypoint': return { kind: n.cmd, ...base, ...cmdLine(rest) };
    case 'copy': case 'add': return copy(n, n.cmd, rest, escape);
    case 'env': case 'label': return { kind: n.cmd, ...base, pairs: nameVals(n.cmd, rest, escape) };
    case 'arg': {
      const words = splitRawWords(rest, escape);
      if (!words.length) throw new Error('ARG requires exactly one argument');
      return { kind: 'arg', ...base, args: words.map((w) => {
        const i = w.indexOf('=');
        return i < 0 ? { name: w } : { name: w.slice(0, i), value: w.slice(i + 1) };
      }) };
    }
    case 'workdir': case 'user': case 'stopsignal': case 'maintainer': return one(n, n.cmd, rest);
    case 'expose': case 'volume': {
      const json = n.cmd === 'volume' ? parseJsonArray(rest) : undefined;
      const raw = json ?? splitRawWords(rest, escape);
      if (!raw.length) throw new Error(`${n.cmd.toUpperCase()} requires at least one argument`);
      if (raw.some((v) => v.trim() === '')) throw new Error('VOLUME specified can not be an empty string');
      return { kind: n.cmd, ...base, raw, json: !!json };
    }
    case 'shell': {
      const shell = parseJsonArray(rest);
      if (!shell) throw new Error('SHELL requires the arguments to be in JSON form');
      if (!shell.length) throw new Error('SHELL requires at least one argument');
      return { kind: 'shell', ...base, shell };
    }
    case 'healthcheck': return healthcheck(n, rest);
    case 'onbuild': return { kind: 'onbuild', ...base, expression: onbuild(rest) };
    default: throw new Error(`unknown instruction: ${n.cmd.toUpperCase()}`);
  }
}

/** Parses one logical line; errors carry its line number. */
export function parseInstruction(n: Node, escape: string): Command {
  try {
    return build(n, escape);
  } catch (e) {
    if (e instanceof EngineError) throw parseError(n.line, e.message);
    throw parseError(n.line, (e as Error).message);
  }
}
