/**
 * Plugins: hako has no plugin system, so it answers as a dockerd with no plugin
 * installed: an empty list, and "not found" for any name (`docker inspect x` asks
 * here last and must get a 404, not a 501). Installing one stays 501 (unbuilt.ts).
 */
import { notFound } from '../../core/errors.js';
import type { Router } from '../router.js';
import { sendJson } from '../respond.js';

export function pluginRoutes(r: Router): void {
  r.add('GET', '/plugins', async (ctx) => sendJson(ctx.res, 200, []));
  const missing = (name: string) => notFound(`plugin "${name}" not found`);
  r.add('GET', '/plugins/{name*}/json', async (ctx) => { throw missing(ctx.params.name!); });
  r.add('DELETE', '/plugins/{name*}', async (ctx) => { throw missing(ctx.params.name!); });
  for (const verb of ['enable', 'disable', 'push', 'set', 'upgrade']) {
    r.add('POST', `/plugins/{name*}/${verb}`, async (ctx) => { throw missing(ctx.params.name!); });
  }
}
