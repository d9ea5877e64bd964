import { pipeline } from 'node:stream/promises';
import { invalid } from '../../core/errors.js';
import type { Ctx, Router } from '../router.js';
import { boolParam, parseFilters } from '../query.js';
import { JsonLineStream, sendJson, sendNoContent } from '../respond.js';
import type { ProgressMessage } from '../../engine/types.js';
import { sendError } from '../errors.js';
import { need, notYet } from './common.js';
import { decodeAuthHeader, registryOf, type RegistryImageService } from '../../engine/images-registry.js';
import { imageForVersion, imagesForVersion } from '../versions.js';

/** Image routes. Names may hold slashes and colons, so `{name*}` matches greedily. */
export function imageRoutes(r: Router): void {
  r.add('GET', '/images/json', list);
  r.add('GET', '/images/search', () => {
    throw notYet('image search', 'GET /images/search needs a registry');
  });
  r.add('GET', '/images/get', (ctx) => save(ctx, ctx.query.getAll('names').flatMap((n) => n.split(',')).filter(Boolean)));
  r.add('POST', '/images/load', load);
  r.add('POST', '/images/create', create);
  r.add('POST', '/images/prune', async (ctx) => sendJson(ctx.res, 200, await need(ctx, 'images').prune(parseFilters(ctx.query.get('filters')))));
  r.add('GET', '/images/{name*}/get', (ctx) => save(ctx, [ctx.params.name!]));
  r.add('GET', '/images/{name*}/history', async (ctx) => sendJson(ctx.res, 200, await need(ctx, 'images').history(ctx.params.name!)));
  r.add('GET', '/images/{name*}/json', async (ctx) => sendJson(ctx.res, 200, imageForVersion(await need(ctx, 'images').inspect(ctx.params.name!), ctx.apiVersion)));
  r.add('POST', '/images/{name*}/tag', tag);
  r.add('POST', '/images/{name*}/push', push);
  r.add('DELETE', '/images/{name*}', async (ctx) => {
    const opts = { force: boolParam(ctx.query, 'force'), noprune: boolParam(ctx.query, 'noprune') };
    sendJson(ctx.res, 200, await need(ctx, 'images').remove(ctx.params.name!, opts));
  });
}

async function list(ctx: Ctx): Promise<void> {
  const q = ctx.query;
  const filters = parseFilters(q.get('filters'));
  const legacy = q.get('filter');
  if (legacy) filters.reference = [...(filters.reference ?? []), legacy];
  const all = boolParam(q, 'all');
  sendJson(ctx.res, 200, imagesForVersion(await need(ctx, 'images').list({ all, digests: boolParam(q, 'digests'), filters }), ctx.apiVersion));
}

async function tag(ctx: Ctx): Promise<void> {
  const repo = ctx.query.get('repo') ?? '';
  if (!repo) throw invalid('repository name must have at least one component');
  await need(ctx, 'images').tag(ctx.params.name!, repo, ctx.query.get('tag') || undefined);
  sendNoContent(ctx.res, 201);
}

async function save(ctx: Ctx, names: string[]): Promise<void> {
  if (!names.length) throw invalid('no image names given');
  const tar = await need(ctx, 'images').save(names);
  ctx.res.writeHead(200, { 'Content-Type': 'application/x-tar' });
  try {
    await pipeline(tar, ctx.res);
  } catch (e) {
    ctx.log.warn('image save stream ended early', { err: String(e) });
    ctx.res.destroy();
  }
}

/**
 * Runs a body-consuming image operation that reports progress as JSON lines. A failure
 * before the first line is an ordinary error response; after it, an in-band errorDetail.
 * With `holdMs`, lines are held back until the operation has run that long (then they
 * flow live), so a tarball refused early is answered with a status, not a 200 stream.
 */
async function progressOp(ctx: Ctx, op: (write: (m: ProgressMessage) => void) => Promise<void>, holdMs = 0): Promise<void> {
  const out = new JsonLineStream(ctx.res);
  let held: ProgressMessage[] | undefined = holdMs > 0 ? [] : undefined;
  const release = () => {
    const q = held;
    held = undefined;
    for (const m of q ?? []) out.write(m);
  };
  const timer = holdMs > 0 ? setTimeout(release, holdMs) : undefined;
  timer?.unref();
  try {
    await op((m) => (held ? held.push(m) : out.write(m)));
    clearTimeout(timer);
    release();
    out.end();
  } catch (e) {
    clearTimeout(timer);
    held = undefined;
    ctx.req.resume();
    if (!out.started) return sendError(ctx.res, e);
    out.error((e as Error).message ?? String(e));
    out.end();
  }
}

/** How long load and import hold their progress back (see progressOp). */
const HOLD_MS = 1500;

async function load(ctx: Ctx): Promise<void> {
  const images = need(ctx, 'images');
  const quiet = boolParam(ctx.query, 'quiet');
  await progressOp(ctx, (write) => images.load(ctx.req, write, { quiet }).then(() => {}), HOLD_MS);
}

async function create(ctx: Ctx): Promise<void> {
  const q = ctx.query;
  const fromImage = q.get('fromImage');
  const fromSrc = q.get('fromSrc');
  if (fromImage) return pull(ctx, fromImage);
  if (!fromSrc) throw invalid('fromImage or fromSrc is required');
  if (fromSrc !== '-') throw notYet('import from a URL', `fromSrc=${fromSrc}; send the tar as the request body with fromSrc=-`);
  const images = need(ctx, 'images');
  await progressOp(ctx, async (write) => {
    const opts = {
      repo: q.get('repo') || undefined,
      tag: q.get('tag') || undefined,
      changes: q.getAll('changes'),
      message: q.get('message') || undefined,
      platform: q.get('platform') || undefined,
    };
    // The service reports the new image id as the last {"status": id} line itself.
    await images.importRootfs(ctx.req, opts, write);
  }, HOLD_MS);
}

function registry(ctx: Ctx): RegistryImageService {
  const r = registryOf(need(ctx, 'images'));
  if (!r) throw notYet('pull and push', 'this daemon\'s image service has no registry client');
  return r;
}

function authHeader(ctx: Ctx) {
  const h = ctx.req.headers['x-registry-auth'];
  return decodeAuthHeader(Array.isArray(h) ? h[0] : h);
}

async function pull(ctx: Ctx, fromImage: string): Promise<void> {
  const q = ctx.query;
  const reg = registry(ctx);
  const auth = authHeader(ctx);
  ctx.req.resume();
  await progressOp(ctx, async (write) => {
    await reg.pull({ fromImage, tag: q.get('tag') || undefined, platform: q.get('platform') || undefined, auth }, write);
  });
}

async function push(ctx: Ctx): Promise<void> {
  const reg = registry(ctx);
  const auth = authHeader(ctx);
  ctx.req.resume();
  await progressOp(ctx, async (write) => {
    await reg.push(ctx.params.name!, { tag: ctx.query.get('tag') || undefined, auth }, write);
  });
}
