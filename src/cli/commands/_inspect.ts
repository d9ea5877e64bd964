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

async function findOne(ctx: Ctx, name: string, kinds: Kind[], size: boolean): Promise<unknown | undefined> {
  for (const k of kinds) {
    const [path, query] = PATHS[k](name, size);
    try {
      return await ctx.client.get(path, query);
    } catch (e) {
      const st = (e as { status?: number }).status;
      if (st !== 404 && st !== 501) throw e;
    }
  }
  return undefined;
}

/** docker's inspect: prints what it found, then "Error: No such ...: x" for the rest (exit 1). */
export async function inspectObjects(ctx: Ctx, names: string[], kinds: Kind[], format?: string, size = false): Promise<number> {
  const found: unknown[] = [];
  const missing: string[] = [];
  for (const n of names) {
    const v = await findOne(ctx, n, kinds, size);
    if (v === undefined) missing.push(n);
    else found.push(v);
  }
  if (found.length || !format) ctx.out.write(formatInspect(found, format));
  if (!missing.length) return 0;
  const noun = kinds.length === 1 ? NOUN[kinds[0]!] : 'object';
  const msg = missing.map((n) => `Error: No such ${noun}: ${n}`).join('\n');
  throw new ExitError(1, msg);
}
