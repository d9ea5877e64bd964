import type { AttachSession, ExecCreateBody } from '../../engine/types.js';
import { invalid } from '../../core/errors.js';
import type { Ctx, Router } from '../router.js';
import { intParam, readJson } from '../query.js';
import { sendJson, sendNoContent } from '../respond.js';
import { need } from './common.js';
import { bridgeSession } from './streams.js';
import { hijack, streamContentType, type Hijacked } from '../hijack.js';

export function execRoutes(r: Router): void {
  r.add('POST', '/containers/{id}/exec', create);
  r.add('POST', '/exec/{id}/start', start);
  r.add('POST', '/exec/{id}/resize', async (ctx) => {
    await need(ctx, 'containers').execResize(ctx.params.id!, intParam(ctx.query, 'h', 0), intParam(ctx.query, 'w', 0));
    sendNoContent(ctx.res, 200);
  });
  r.add('GET', '/exec/{id}/json', async (ctx) => sendJson(ctx.res, 200, await need(ctx, 'containers').execInspect(ctx.params.id!)));
}

async function create(ctx: Ctx): Promise<void> {
  const body = await readJson<ExecCreateBody>(ctx.body);
  if (!body || !Array.isArray(body.Cmd) || body.Cmd.length === 0) throw invalid('No exec command specified');
  sendJson(ctx.res, 201, await need(ctx, 'containers').execCreate(ctx.params.id!, body));
}

async function start(ctx: Ctx): Promise<void> {
  const body = (await readJson<{ Detach?: boolean; Tty?: boolean; ConsoleSize?: [number, number] | null }>(ctx.body)) ?? {};
  // The connection is taken over before the process starts, as dockerd does (see execStart).
  let h: Hijacked | undefined;
  const beforeLaunch = body.Detach ? undefined : (tty: boolean) => { h = hijack(ctx, streamContentType(tty, ctx.apiVersion)); };
  let r: { tty: boolean; session?: AttachSession };
  try {
    r = await need(ctx, 'containers').execStart(ctx.params.id!, { ...body, beforeLaunch });
  } catch (e) {
    if (!h) throw e;
    ctx.log.warn('exec start failed after the connection was taken over', { err: String(e) });
    return h.close();
  }
  const { tty, session } = r;
  if (h && !session) return h.close();
  if (body.Detach || !session) return sendNoContent(ctx.res, 200);
  await bridgeSession(ctx, session, tty, undefined, h);
}
