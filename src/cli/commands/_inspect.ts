/** Shared by inspect, image inspect, container inspect, volume/network inspect. */
import type { Ctx } from '../command.js';
import { ExitError } from '../command.js';
import { formatInspect } from '../format/formatter.js';

export type Kind = 'container' | 'image' | 'network' | 'volume';

const PATHS: Record<Kind, (n: string, size: boolean) => [string, Record<string, string | undefined>]> = {
  container: (n, size) => [`/containers/${encodeURIComponent(n)}/json`, { size: size ? '1' : undefined }],
  image: (n) => [`/images/${encodeURIComponent(n)}/json`, {}],
  network: (n) => [`/networks/${encodeURIComponent(n)}`, {}],
  volume: (n) => [`/volumes/${encodeURIComponent(n)}`, {}],
};

const NOUN: Record<Kind, string> = { container: 'container', image: 'image', network: 'network', volume: 'volume' };

/** The object, or the daemon's message when it has none of that name. */
async function findOne(ctx: Ctx, name: string, kinds: Kind[], size: boolean): Promise<{ found: unknown } | { missing: string }> {
  let message = '';
  for (const k of kinds) {
    const [path, query] = PATHS[k](name, size);
    try {
      return { found: await ctx.client.get(path, query) };
    } catch (e) {
      const st = (e as { status?: number }).status;
      if (st !== 404 && st !== 501) throw e;
      message = (e as Error).message;
    }
  }
  return { missing: message };
}

/**
 * docker's inspect: prints what it found, then one line per missing name (exit 1): `inspect`
 * says "Error: No such object: x", the typed ones (`image inspect` ...) relay the daemon.
 */
export async function inspectObjects(ctx: Ctx, names: string[], kinds: Kind[], format?: string, size = false): Promise<number> {
  const found: unknown[] = [];
  const missing: string[] = [];
  for (const n of names) {
    const v = await findOne(ctx, n, kinds, size);
    if ('found' in v) found.push(v.found);
    else missing.push(kinds.length === 1 && v.missing ? `Error response from daemon: ${v.missing}` : `Error: No such ${kinds.length === 1 ? NOUN[kinds[0]!] : 'object'}: ${n}`);
  }
  if (found.length || !format) ctx.out.write(formatInspect(found, format));
  if (!missing.length) return 0;
  throw new ExitError(1, missing.join('\n'));
}
