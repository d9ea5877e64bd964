import type { ContainerCreateBody, HostConfig } from '../../core/docker.js';
import { EngineError, invalid, isEngineError, notFound } from '../../core/errors.js';
import type { Ctx, Router } from '../router.js';
import { boolParam, intParam, parseFilters, parseTimestamp, readJson } from '../query.js';
import { sendJson, sendNoContent } from '../respond.js';
import { need } from './common.js';
import { bridgeSession, sendOutput, sendStream } from './streams.js';
import { containersForVersion } from '../versions.js';

const id = (ctx: Ctx) => ctx.params.id!;
const svc = (ctx: Ctx) => need(ctx, 'containers');
const stopOpts = (ctx: Ctx) => ({ timeout: intParam(ctx.query, 't'), signal: ctx.query.get('signal') || undefined });

export function containerRoutes(r: Router): void {
  r.add('GET', '/containers/json', list);
  r.add('POST', '/containers/create', create);
  r.add('POST', '/containers/prune', async (ctx) => sendJson(ctx.res, 200, await svc(ctx).prune(parseFilters(ctx.query.get('filters')))));
  r.add('GET', '/containers/{id}/json', async (ctx) => sendJson(ctx.res, 200, containersForVersion(await svc(ctx).inspect(id(ctx), { size: boolParam(ctx.query, 'size') }), ctx.apiVersion)));
  r.add('GET', '/containers/{id}/top', async (ctx) => sendJson(ctx.res, 200, await svc(ctx).top(id(ctx), ctx.query.get('ps_args') || undefined)));
  r.add('GET', '/containers/{id}/changes', async (ctx) => sendJson(ctx.res, 200, await svc(ctx).changes(id(ctx))));
  r.add('GET', '/containers/{id}/export', async (ctx) => sendStream(ctx, await svc(ctx).export(id(ctx)), 'application/x-tar'));
  r.add('GET', '/containers/{id}/logs', logs);
  r.add('GET', '/containers/{id}/stats', stats);
  r.add('POST', '/containers/{id}/start', simple((ctx) => svc(ctx).start(id(ctx))));
  r.add('POST', '/containers/{id}/stop', simple((ctx) => svc(ctx).stop(id(ctx), stopOpts(ctx))));
  r.add('POST', '/containers/{id}/restart', simple((ctx) => svc(ctx).restart(id(ctx), stopOpts(ctx))));
  r.add('POST', '/containers/{id}/kill', simple((ctx) => svc(ctx).kill(id(ctx), ctx.query.get('signal') || undefined).catch((e: unknown) => {
    // dockerd: "Cannot kill container: nosuch: No such container: nosuch".
    throw e instanceof EngineError && e.code === 'NotFound' ? notFound(`Cannot kill container: ${id(ctx)}: ${e.message}`) : e;
  })));
  r.add('POST', '/containers/{id}/pause', simple((ctx) => svc(ctx).pause(id(ctx))));
  r.add('POST', '/containers/{id}/unpause', simple((ctx) => svc(ctx).unpause(id(ctx))));
  r.add('POST', '/containers/{id}/rename', simple((ctx) => {
    const name = ctx.query.get('name');
    if (!name) throw invalid('Error when allocating new name: Invalid container name ()');
    return svc(ctx).rename(id(ctx), name);
  }));
  r.add('POST', '/containers/{id}/resize', simple((ctx) => svc(ctx).resize(id(ctx), intParam(ctx.query, 'h', 0), intParam(ctx.query, 'w', 0)), 200));
  r.add('POST', '/containers/{id}/update', async (ctx) => {
    const hc = (await readJson<HostConfig>(ctx.body)) ?? {};
    sendJson(ctx.res, 200, await svc(ctx).update(id(ctx), hc));
  });
  r.add('POST', '/containers/{id}/wait', wait);
  r.add('POST', '/containers/{id}/attach', attach);
  r.add('DELETE', '/containers/{id}', simple((ctx) => svc(ctx).remove(id(ctx), {
    force: boolParam(ctx.query, 'force'), volumes: boolParam(ctx.query, 'v'), link: boolParam(ctx.query, 'link'),
  })));
  r.add(['GET', 'HEAD'], '/containers/{id}/archive', archiveGet);
  r.add('PUT', '/containers/{id}/archive', archivePut);
}

/** An action answered 204 (or `status`); NotModified becomes 304 through the error map. */
function simple(op: (ctx: Ctx) => Promise<void>, status = 204) {
  return async (ctx: Ctx) => {
    await op(ctx);
    sendNoContent(ctx.res, status);
  };
}

async function list(ctx: Ctx): Promise<void> {
  const q = ctx.query;
  const opts = { all: boolParam(q, 'all'), limit: intParam(q, 'limit'), size: boolParam(q, 'size'), filters: parseFilters(q.get('filters')) };
  sendJson(ctx.res, 200, containersForVersion(await svc(ctx).list(opts), ctx.apiVersion));
}

async function create(ctx: Ctx): Promise<void> {
  const body = await readJson<ContainerCreateBody>(ctx.body);
  if (!body || typeof body !== 'object') throw invalid('config cannot be empty in order to create a container');
  sendJson(ctx.res, 201, await svc(ctx).create(body, ctx.query.get('name') || undefined));
}

async function logs(ctx: Ctx): Promise<void> {
  const q = ctx.query;
  const stdout = boolParam(q, 'stdout');
  const stderr = boolParam(q, 'stderr');
  if (!stdout && !stderr) throw invalid('Bad parameters: you must choose at least one stream');
  const tailRaw = q.get('tail');
  const tail = !tailRaw || tailRaw === 'all' ? 'all' : intParam(q, 'tail', 0);
  const { tty, output } = await svc(ctx).logs(id(ctx), {
    follow: boolParam(q, 'follow'), stdout, stderr, timestamps: boolParam(q, 'timestamps'), tail,
    since: q.get('since') ? parseTimestamp(q.get('since')!) : undefined, until: q.get('until') ? parseTimestamp(q.get('until')!) : undefined,
  });
  await sendOutput(ctx, output, tty);
}

async function stats(ctx: Ctx): Promise<void> {
  const stream = boolParam(ctx.query, 'stream', true);
  const src = await svc(ctx).stats(id(ctx), { stream, oneShot: boolParam(ctx.query, 'one-shot') });
  ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
  ctx.req.on('close', () => src.destroy());
  try {
    for await (const s of src) {
      ctx.res.write(JSON.stringify(s) + '\n');
      if (!stream) break;
    }
  } finally {
    src.destroy();
    ctx.res.end();
  }
}

/** Headers go out once the wait is registered, the body when the condition holds. */
async function wait(ctx: Ctx): Promise<void> {
  const s = svc(ctx);
  const condition = ctx.query.get('condition') || 'not-running';
  if (!['not-running', 'next-exit', 'removed'].includes(condition)) throw invalid(`invalid condition: "${condition}"`);
  await s.inspect(id(ctx));
  const p = s.wait(id(ctx), condition);
  ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
  ctx.res.flushHeaders();
  try {
    ctx.res.end(JSON.stringify(await p) + '\n');
  } catch (e) {
    ctx.res.end(JSON.stringify({ StatusCode: -1, Error: { Message: (e as Error).message } }) + '\n');
  }
}

async function attach(ctx: Ctx): Promise<void> {
  const q = ctx.query;
  const { tty, session } = await svc(ctx).attach(id(ctx), {
    stream: boolParam(q, 'stream'), logs: boolParam(q, 'logs'), stdin: boolParam(q, 'stdin'),
    stdout: boolParam(q, 'stdout'), stderr: boolParam(q, 'stderr'), detachKeys: q.get('detachKeys') || undefined,
  });
  await bridgeSession(ctx, session, tty, q.get('detachKeys') || undefined);
}

function archivePath(ctx: Ctx): string {
  const p = ctx.query.get('path');
  if (!p) throw invalid('path is required: give the path in the container with ?path=');
  return p;
}

async function archiveGet(ctx: Ctx): Promise<void> {
  const s = svc(ctx);
  const path = archivePath(ctx);
  if (ctx.req.method === 'HEAD') {
    const stat = await s.archiveStat(id(ctx), path);
    ctx.res.writeHead(200, { 'X-Docker-Container-Path-Stat': statHeader(stat), 'Content-Type': 'application/x-tar' });
    return void ctx.res.end();
  }
  const { stat, tar } = await s.archiveGet(id(ctx), path);
  await sendStream(ctx, tar, 'application/x-tar', { 'X-Docker-Container-Path-Stat': statHeader(stat) });
}

async function archivePut(ctx: Ctx): Promise<void> {
  const q = ctx.query;
  try {
    await svc(ctx).archivePut(id(ctx), archivePath(ctx), ctx.req, {
      noOverwriteDirNonDir: boolParam(q, 'noOverwriteDirNonDir'), copyUIDGID: boolParam(q, 'copyUIDGID'),
    });
  } catch (e) {
    if (!isEngineError(e) || e.code !== 'NotModified') ctx.req.resume();
    throw e;
  }
  sendNoContent(ctx.res, 200);
}

function statHeader(stat: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(stat)).toString('base64');
}
