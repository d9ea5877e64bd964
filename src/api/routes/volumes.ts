import { EngineError, invalid } from '../../core/errors.js';
import type { VolumeCreateBody } from '../../engine/types.js';
import type { Ctx, Router } from '../router.js';
import { boolParam, parseFilters, readJson } from '../query.js';
import { sendJson, sendNoContent } from '../respond.js';
import { need } from './common.js';

const svc = (ctx: Ctx) => need(ctx, 'volumes');

/** API < 1.42 pruned every unused volume; 1.42 and later only anonymous ones unless all=true. */
function pruneFilters(ctx: Ctx): Record<string, string[]> {
  const f = parseFilters(ctx.query.get('filters'));
  const [maj = 0, min = 0] = ctx.apiVersion.split('.').map(Number);
  if (!f.all && (maj < 1 || (maj === 1 && min < 42))) f.all = ['true'];
  return f;
}

export function volumeRoutes(r: Router): void {
  r.add('GET', '/volumes', async (ctx) => sendJson(ctx.res, 200, await svc(ctx).list(parseFilters(ctx.query.get('filters')))));
  r.add('POST', '/volumes/create', async (ctx) => {
    const body = (await readJson<VolumeCreateBody>(ctx.body)) ?? {};
    if (typeof body !== 'object' || Array.isArray(body)) throw invalid('volume create needs a JSON object body');
    sendJson(ctx.res, 201, await svc(ctx).create(body));
  });
  r.add('POST', '/volumes/prune', async (ctx) => sendJson(ctx.res, 200, await svc(ctx).prune(pruneFilters(ctx))));
  r.add('GET', '/volumes/{name}', async (ctx) => sendJson(ctx.res, 200, await svc(ctx).inspect(ctx.params.name!)));
  r.add('DELETE', '/volumes/{name}', async (ctx) => {
    await svc(ctx).remove(ctx.params.name!, { force: boolParam(ctx.query, 'force') });
    sendNoContent(ctx.res, 204);
  });
  r.add('PUT', '/volumes/{name}', () => {
    throw new EngineError('Unavailable', 'volume update only valid for cluster volumes, but swarm is not enabled');
  });
}
