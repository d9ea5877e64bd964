import { invalid } from '../../core/errors.js';
import type { Ctx, Router } from '../router.js';
import { boolParam, parseFilters, readJson } from '../query.js';
import { sendJson, sendNoContent } from '../respond.js';
import { need } from './common.js';

const svc = (ctx: Ctx) => need(ctx, 'networks');

export function networkRoutes(r: Router): void {
  r.add('GET', '/networks', async (ctx) => sendJson(ctx.res, 200, await svc(ctx).list(parseFilters(ctx.query.get('filters')))));
  r.add('POST', '/networks/create', async (ctx) => {
    const body = await readJson<Record<string, unknown>>(ctx.body);
    if (!body || typeof body !== 'object') throw invalid('network create needs a JSON body with at least a Name');
    sendJson(ctx.res, 201, await svc(ctx).create(body));
  });
  r.add('POST', '/networks/prune', async (ctx) => sendJson(ctx.res, 200, await svc(ctx).prune(parseFilters(ctx.query.get('filters')))));
  r.add('GET', '/networks/{id}', async (ctx) => {
    const opts = { verbose: boolParam(ctx.query, 'verbose'), scope: ctx.query.get('scope') || undefined };
    sendJson(ctx.res, 200, await svc(ctx).inspect(ctx.params.id!, opts));
  });
  r.add('POST', '/networks/{id}/connect', async (ctx) => {
    const body = await readJson<{ Container: string }>(ctx.body);
    if (!body?.Container) throw invalid('a container name or id is required to connect it to a network');
    await svc(ctx).connect(ctx.params.id!, body);
    sendNoContent(ctx.res, 200);
  });
  r.add('POST', '/networks/{id}/disconnect', async (ctx) => {
    const body = await readJson<{ Container: string; Force?: boolean }>(ctx.body);
    if (!body?.Container) throw invalid('a container name or id is required to disconnect it from a network');
    await svc(ctx).disconnect(ctx.params.id!, body);
    sendNoContent(ctx.res, 200);
  });
  r.add('DELETE', '/networks/{id}', async (ctx) => {
    await svc(ctx).remove(ctx.params.id!);
    sendNoContent(ctx.res, 204);
  });
}
