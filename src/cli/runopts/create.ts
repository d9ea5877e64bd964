/** POST /containers/create as docker's CLI does it: pull when missing, cidfile, warnings. */
import { existsSync, writeFileSync } from 'node:fs';
import { parseNormalizedNamed, familiarName, familiarString } from '../../core/reference.js';
import { jsonLines } from '../../client/jsonlines.js';
import { ExitError, errorText, type Ctx } from '../command.js';
import { UsageError } from '../flags.js';
import { displayJSONMessages } from '../render/progress.js';
import type { CreateRequest } from './create-body.js';

async function pull(ctx: Ctx, image: string, platform: string | undefined, quiet: boolean): Promise<void> {
  const ref = parseNormalizedNamed(image);
  const r = await ctx.client.request('POST', '/images/create', {
    query: { fromImage: familiarName(ref), tag: ref.digest ?? ref.tag, platform },
  });
  await displayJSONMessages(jsonLines(r.body), quiet ? ctx.err : ctx.err, !!ctx.err.isTTY && !quiet);
}

export async function createContainer(ctx: Ctx, req: CreateRequest, quiet = false): Promise<string> {
  if (req.cidfile && existsSync(req.cidfile)) throw new ExitError(1, `container ID file found, make sure the other container isn't running or delete ${req.cidfile}`);
  const query = { name: req.name, platform: req.platform };
  if (req.pull === 'always') await pull(ctx, req.image, req.platform, quiet);
  let res: { Id: string; Warnings?: string[] | null };
  try {
    res = await ctx.client.post('/containers/create', req.body, query);
  } catch (e) {
    const err = e as { status?: number; message?: string };
    if (err.status !== 404 || !/No such image/i.test(err.message ?? '') || req.pull === 'never') throw e;
    ctx.err.write(`Unable to find image '${familiarString(parseNormalizedNamed(req.image))}' locally\n`);
    await pull(ctx, req.image, req.platform, quiet);
    res = await ctx.client.post('/containers/create', req.body, query);
  }
  for (const w of res.Warnings ?? []) ctx.err.write(`WARNING: ${w}\n`);
  if (req.cidfile) writeFileSync(req.cidfile, res.Id);
  return res.Id;
}

/** An error of run's create or start step, as docker's toStatusError shows it. */
export function runError(e: unknown, path: string): ExitError {
  const msg = e instanceof ExitError ? e.message : errorText(e);
  return withHelp(msg, path, startErrorStatus(msg));
}

/** docker's runStartContainerErr: 127 not found, 126 cannot execute, else 125. */
export function startErrorStatus(message: string): number {
  if (/executable file not found|no such file or directory|system cannot find the file specified/.test(message)) return 127;
  if (/permission denied|is a directory/.test(message)) return 126;
  return 125;
}

/**
 * docker's run/create option errors: a flag value it cannot parse is a usage error (pflag's
 * wording, the usage line); any other is "docker: MSG" with a pointer to --help, status 125.
 */
export function optionError(e: unknown, path: string): Error {
  const msg = (e as Error).message;
  if (msg.startsWith('invalid argument "')) return new UsageError(msg);
  return withHelp(msg, path);
}

/** docker's withHelp: "hako: MSG\n\nRun 'hako PATH --help' for more information", status 125 unless given. */
export function withHelp(msg: string, path: string, status = 125): ExitError {
  return new ExitError(status, `hako: ${msg}\n\nRun 'hako ${path} --help' for more information`);
}
