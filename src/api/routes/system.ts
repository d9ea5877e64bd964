import type { EventMessage } from '../../core/docker.js';
import type { Ctx, Router } from '../router.js';
import { parseFilters, parseTimestamp } from '../query.js';
import { sendJson, sendText } from '../respond.js';
import { need } from './common.js';
import { containersForVersion, infoForVersion, legacyDf, legacyInfo } from '../versions.js';

export function systemRoutes(r: Router): void {
  r.add(['GET', 'HEAD'], '/_ping', ping);
  r.add('GET', '/version', (ctx) => sendJson(ctx.res, 200, need(ctx, 'system').version()));
  r.add('GET', '/info', async (ctx) => sendJson(ctx.res, 200, legacyInfo(infoForVersion(await need(ctx, 'system').info(), ctx.apiVersion), ctx.apiVersion)));
  r.add('GET', '/system/df', async (ctx) => sendJson(ctx.res, 200, legacyDf(containersForVersion(await need(ctx, 'system').df(), ctx.apiVersion), ctx.apiVersion)));
  r.add('GET', '/events', events);
}

function ping(ctx: Ctx): void {
  const { res, req } = ctx;
  res.setHeader('Builder-Version', '1');
  res.setHeader('Swarm', 'inactive');
  res.setHeader('Cache-Control', 'no-cache, no-store, must-revalidate');
  res.setHeader('Pragma', 'no-cache');
  sendText(res, 200, 'OK', req.method === 'HEAD');
}

const toSeconds = (ns: bigint) => Number(ns / 1000n) / 1e6;

/**
 * GET /events: past events from `since`, then live ones, one JSON object a line,
 * until `until` passes or the client goes away.
 */
async function events(ctx: Ctx): Promise<void> {
  const svc = need(ctx, 'events');
  const { query, res, req } = ctx;
  const now = Date.now();
  const since = query.get('since') ? toSeconds(parseTimestamp(query.get('since')!, now)) : undefined;
  const until = query.get('until') ? toSeconds(parseTimestamp(query.get('until')!, now)) : undefined;
  const filters = parseFilters(query.get('filters'));
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.flushHeaders();
  await new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const write = (e: EventMessage) => {
      if (!res.writableEnded && !res.destroyed) res.write(JSON.stringify(e) + '\n');
    };
    const sub = svc.subscribe({ since, until, filters }, write);
    const finish = () => {
      if (timer) clearTimeout(timer);
      sub.close();
      if (!res.writableEnded) res.end();
      resolve();
    };
    for (const e of sub.past) write(e);
    if (until !== undefined) {
      const wait = until * 1000 - Date.now();
      if (wait <= 0) return finish();
      timer = setTimeout(finish, wait);
    }
    req.on('close', finish);
    res.on('close', finish);
  });
}
