/**
 * What every command file exports: its usage line, flags and a `run` that only
 * parses, calls the client and renders. `run` returns the exit status (0 when void).
 */
import type { Client } from '../client/client.js';
import { UsageError, type FlagSpec, type FlagValues } from './flags.js';

export interface Ctx {
  /** The daemon client (auto-starting hakod on first use when that applies). */
  client: Client;
  host: string;
  out: NodeJS.WriteStream;
  err: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  debug: boolean;
  /** The command path as typed, e.g. "image ls", for messages. */
  path: string;
}

export interface Command {
  usage: string;
  summary: string;
  flags: FlagSpec[];
  /** Stop flag parsing at the first positional (run, exec, create). */
  stopAtPositional?: boolean;
  minArgs?: number;
  maxArgs?: number;
  aliases?: string[];
  run(ctx: Ctx, args: string[], f: FlagValues): Promise<number | void>;
}

/** An error that ends the CLI with a given status and message (docker's StatusError). */
export class ExitError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'ExitError';
  }
}

export const str = (f: FlagValues, k: string): string | undefined => (f[k] === undefined ? undefined : String(f[k]));
export const list = (f: FlagValues, k: string): string[] => (f[k] as string[] | undefined) ?? [];
export const bool = (f: FlagValues, k: string): boolean => f[k] === true;
export const int = (f: FlagValues, k: string): number | undefined => (f[k] === undefined ? undefined : Number(f[k]));

/** Docker's filter flags (`-f k=v`) as the API's `filters` JSON: {"k": {"v": true}}... we send {"k":["v"]}. */
export function filtersJson(values: string[], flag = '-f, --filter'): string | undefined {
  if (!values.length) return undefined;
  const out: Record<string, string[]> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    if (i <= 0) throw new UsageError(`invalid argument "${v}" for "${flag}" flag: bad format of filter (expected name=value)`);
    (out[v.slice(0, i).trim().toLowerCase()] ??= []).push(v.slice(i + 1));
  }
  return JSON.stringify(out);
}

/** Runs fn for each name, printing errors like docker and returning 1 if any failed. */
export async function forEach(ctx: Ctx, names: string[], fn: (n: string) => Promise<void>): Promise<number> {
  let status = 0;
  for (const n of names) {
    try {
      await fn(n);
    } catch (e) {
      ctx.err.write(`${errorText(e)}\n`);
      status = 1;
    }
  }
  return status;
}

/** A failed open in Go's words: "open F: no such file or directory". */
export function openErrorText(file: string, e: unknown): string {
  const why: Record<string, string> = { ENOENT: 'no such file or directory', EACCES: 'permission denied', EISDIR: 'is a directory', ENOTDIR: 'not a directory' };
  const code = (e as NodeJS.ErrnoException)?.code ?? '';
  return `open ${file}: ${why[code] ?? (e as Error)?.message ?? String(e)}`;
}

export function errorText(e: unknown): string {
  const err = e as { name?: string; message?: string; status?: number };
  if (err?.name === 'ApiError') return `Error response from daemon: ${err.message}`;
  return err?.message ?? String(e);
}

export const formatFlag: FlagSpec = {
  name: 'format', type: 'string', meta: 'string',
  desc: "Format output using a custom template:\n'table':            Print output in table format with column headers (default)\n'table TEMPLATE':   Print output in table format using the given Go template\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates",
};
/** The --format of inspect, version, info and events: no table. */
export const TEMPLATE_FORMAT_DESC = "Format output using a custom template:\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates";
export const templateFormatFlag: FlagSpec = { name: 'format', type: 'string', meta: 'string', desc: TEMPLATE_FORMAT_DESC };
export const filterFlag: FlagSpec = { name: 'filter', short: 'f', type: 'list', desc: 'Filter output based on conditions provided', meta: 'filter' };
export const quietFlag = (what: string, verb = 'display'): FlagSpec => ({ name: 'quiet', short: 'q', type: 'bool', desc: `Only ${verb} ${what}` });
export const noTruncFlag: FlagSpec = { name: 'no-trunc', type: 'bool', desc: "Don't truncate output" };
