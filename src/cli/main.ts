/**
 * hako's entry point: global flags, command lookup, and the one place errors
 * become messages and exit statuses (125 daemon errors, 1 usage errors).
 */
import { AutoStartClient } from './autostart.js';
import { ExitError, errorText, type Command, type Ctx } from './command.js';
import { parseFlags, flagHelp, UsageError } from './flags.js';
import { GROUPS, GROUP_SUMMARY, TOP } from './registry.js';
import { resolveHost } from '../client/host.js';
import { CLI_VERSION, CLI_COMMIT } from './version-info.js';
import { mainUsage, groupUsage } from './usage.js';
import { processStreams } from './stdio.js';

/** stdout/stderr/stdin, created only when a command needs more than to write text. */
const std = processStreams();

interface Globals {
  host?: string;
  debug: boolean;
  rest: string[];
}

function parseGlobals(argv: string[]): Globals | number {
  const g: Globals = { debug: false, rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const val = () => (a.startsWith('--') && eq > 0 ? a.slice(eq + 1) : a.length > 2 && !a.startsWith('--') ? a.slice(2) : argv[++i]);
    if (name === '-H' || name === '--host' || (a.startsWith('-H') && !a.startsWith('--'))) g.host = val();
    else if (name === '--log-level' || name === '-l' || name === '--config' || name === '--context' || name === '-c') val();
    else if (name === '-D' || name === '--debug') g.debug = true;
    else if (name.startsWith('--tls')) { if (eq < 0 && name !== '--tls' && name !== '--tlsverify') i++; }
    else if (name === '-v' || name === '--version') {
      std.out.write(`hako version ${CLI_VERSION}, build ${CLI_COMMIT}\n`);
      return 0;
    } else if (name === '-h' || name === '--help') {
      return -1;
    } else if (a.startsWith('-')) {
      const msg = a.startsWith('--') ? `unknown flag: ${name}` : `unknown shorthand flag: '${a[1]}' in ${a}`;
      std.err.write(`${msg}\n\nUsage:  hako [OPTIONS] COMMAND [ARG...]\n\nRun 'hako --help' for more information\n`);
      return 125;
    } else {
      g.rest = argv.slice(i);
      break;
    }
  }
  return g;
}

async function resolveCommand(rest: string[]): Promise<{ cmd: Command; path: string; args: string[] } | number> {
  const [first, second] = rest;
  if (!first) {
    std.out.write(await mainUsage());
    return 0;
  }
  const group = GROUPS[first];
  if (group) {
    const sub = second && !second.startsWith('-') ? group[second] : undefined;
    if (!sub) {
      if (second && !second.startsWith('-')) {
        std.err.write(`hako: unknown command: hako ${first} ${second}\n\nUsage:  hako ${first}\n\nRun 'hako ${first} --help' for more information\n`);
        return 1;
      }
      // docker: the bare group prints its usage on stderr, `GROUP --help` on stdout; both exit 0
      const help = second === '--help' || second === '-h';
      (help ? std.out : std.err).write(await groupUsage(first, GROUP_SUMMARY[first] ?? '', group));
      return 0;
    }
    return { cmd: (await sub()).default, path: `${first} ${second}`, args: rest.slice(2) };
  }
  const top = TOP[first];
  if (!top) {
    std.err.write(`hako: unknown command: hako ${first}\n\nRun 'hako --help' for more information\n`);
    return 1;
  }
  return { cmd: (await top()).default, path: first, args: rest.slice(1) };
}

function commandHelp(cmd: Command, path: string): string {
  const opts = cmd.flags.filter((f) => !f.hidden).length ? `\nOptions:\n${flagHelp(cmd.flags)}\n` : '';
  const aliases = cmd.aliases?.length ? `\nAliases:\n  ${cmd.aliases.join(', ')}\n` : '';
  return `Usage:  hako ${path} ${cmd.usage}\n\n${cmd.summary}\n${aliases}${opts}`;
}

/** Docker's two shapes: a flag error exits 125 ("Run ..."), a wrong argument count 1 ("See ..."). */
function usageFail(msg: string, cmd: Command, path: string, status = 125, verb: 'Run' | 'See' = 'Run'): number {
  std.err.write(`${msg}\n\nUsage:  hako ${path} ${cmd.usage}\n\n${verb} 'hako ${path} --help' for more information\n`);
  return status;
}

/** docker's cli/required.go wordings; exact counts and ranges say "Run", at-least counts "See". */
function argCountError(cmd: Command, path: string, n: number): { msg: string; verb: 'Run' | 'See' } | undefined {
  const { minArgs: min = 0, maxArgs: max = Infinity } = cmd;
  if (n >= min && n <= max) return undefined;
  const plural = (k: number) => (k === 1 ? 'argument' : 'arguments');
  const head = `hako: 'hako ${path}'`;
  if (min === max) return { msg: max === 0 ? `${head} accepts no arguments` : `${head} requires ${min} ${plural(min)}`, verb: 'Run' };
  if (max === Infinity) return { msg: `${head} requires at least ${min} ${plural(min)}`, verb: 'See' };
  if (min === 0) return { msg: `${head} requires at most ${max} ${plural(max)}`, verb: 'Run' };
  return { msg: `${head} requires at least ${min} and at most ${max} ${plural(max)}`, verb: 'Run' };
}

async function runCommand(g: Globals): Promise<number> {
  const found = await resolveCommand(g.rest);
  if (typeof found === 'number') return found;
  const { cmd, path, args } = found;
  let parsed;
  try {
    parsed = parseFlags(args, cmd.flags, !cmd.stopAtPositional);
  } catch (e) {
    if (e instanceof UsageError) return usageFail(e.message, cmd, path);
    throw e;
  }
  if (parsed.help) {
    if (parsed.helpShort) std.out.write('Flag shorthand -h has been deprecated, use --help\n');
    std.out.write(commandHelp(cmd, path));
    return 0;
  }
  const countErr = argCountError(cmd, path, parsed.args.length);
  if (countErr) return usageFail(countErr.msg, cmd, path, 1, countErr.verb);
  const host = resolveHost(g.host);
  const ctx: Ctx = {
    client: new AutoStartClient(host, std.err),
    host,
    out: std.out,
    err: std.err,
    stdin: std.stdin,
    debug: g.debug,
    path,
  };
  try {
    return (await cmd.run(ctx, parsed.args, parsed.flags)) ?? 0;
  } catch (e) {
    if (e instanceof UsageError) return usageFail(e.message, cmd, path);
    throw e;
  }
}

function exitStatus(e: unknown): number {
  if (e instanceof ExitError) return e.status;
  if (e instanceof UsageError) return 125;
  // docker exits 1 for any other error; run and create say 125 themselves (ExitError)
  return 1;
}

export async function main(argv: string[]): Promise<number> {
  const g = parseGlobals(argv);
  if (g === -1) {
    std.out.write(await mainUsage());
    return 0;
  }
  if (typeof g === 'number') return g;
  try {
    return await runCommand(g);
  } catch (e) {
    const msg = errorText(e);
    if (msg) std.err.write(`${msg}\n`);
    if (g.debug && e instanceof Error && e.stack) std.err.write(`${e.stack}\n`);
    return exitStatus(e);
  }
}

/**
 * Exits once stdout and stderr took what was written to them: process.exit alone drops
 * what a pipe whose reader is slower (`hako inspect … | less`) had not taken yet. Text
 * written before a stream was needed is out already (stdio.ts writes it synchronously).
 * Node counts what it still holds in writableLength; bun (build/hako) does not (0 with
 * data pending) but calls end()'s callback once all is out.
 */
function exitFlushed(code: number): void {
  const streams = std.opened();
  let left = streams.length;
  if (!left) return void process.exit(code);
  const done = () => --left === 0 && process.exit(code);
  for (const s of streams) {
    if (process.versions.bun) s.end(done);
    else if (s.writableLength > 0) s.write('', done);
    else done();
  }
}

main(process.argv.slice(2)).then(
  (code) => exitFlushed(code),
  (e) => {
    std.err.write(`${(e as Error)?.stack ?? e}\n`);
    exitFlushed(1);
  },
);
