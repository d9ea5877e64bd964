/** POST /build (the classic builder's API) and the build-cache routes around it. */
import { invalid, notImplemented } from '../../core/errors.js';
import { BuildService } from '../../engine/build/service.js';
import { RunFailed } from '../../engine/build/run.js';
import type { BuildOptions } from '../../engine/build/state.js';
import { Images } from '../../engine/images.js';
import type { Engine } from '../../engine/types.js';
import { sendError } from '../errors.js';
import { boolParam } from '../query.js';
import { JsonLineStream, sendJson } from '../respond.js';
import type { Ctx, Router } from '../router.js';

const services = new WeakMap<Partial<Engine>, BuildService>();

/** The build service of this engine (made on first use over its image and container services). */
export function buildService(ctx: Ctx): BuildService {
  let s = services.get(ctx.engine);
  if (!s) {
    const images = ctx.engine.images;
    if (!(images instanceof Images)) throw notImplemented('build is not implemented yet in hako: this daemon has no local image store');
    const engine = ctx.engine;
    s = new BuildService({ images, containers: () => engine.containers });
    services.set(ctx.engine, s);
  }
  return s;
}

function jsonParam<T>(q: URLSearchParams, name: string): T | undefined {
  const v = q.get(name);
  if (!v) return undefined;
  try {
    return JSON.parse(v) as T;
  } catch (e) {
    throw invalid(`invalid ${name}: ${(e as Error).message}`);
  }
}

function options(q: URLSearchParams): BuildOptions {
  const remote = q.get('remote');
  if (remote) throw invalid(`remote build contexts are not supported by hako (remote=${remote}): send the context as a tar body`);
  if (q.get('version') === '2') throw notImplemented('BuildKit is not implemented in hako: build with DOCKER_BUILDKIT=0 (the classic builder)');
  return {
    dockerfile: q.get('dockerfile') || undefined,
    tags: q.getAll('t').filter(Boolean),
    buildArgs: jsonParam<Record<string, string | null>>(q, 'buildargs'),
    target: q.get('target') || undefined,
    noCache: boolParam(q, 'nocache'),
    labels: jsonParam<Record<string, string>>(q, 'labels'),
    quiet: boolParam(q, 'q'),
    rm: boolParam(q, 'rm', true),
    forceRm: boolParam(q, 'forcerm'),
    networkMode: q.get('networkmode') || undefined,
  };
}

async function build(ctx: Ctx): Promise<void> {
  const svc = buildService(ctx);
  const opts = options(ctx.query);
  const out = new JsonLineStream(ctx.res);
  try {
    await svc.build(ctx.req, opts, (m) => out.write(m));
    out.end();
  } catch (e) {
    ctx.req.resume();
    if (!out.started) return sendError(ctx.res, e);
    const message = (e as Error).message ?? String(e);
    const code = e instanceof RunFailed ? { code: e.exitCode } : {};
    out.write({ errorDetail: { ...code, message }, error: message });
    out.end();
  }
}

export function buildRoutes(r: Router): void {
  r.add('POST', '/build', build);
  r.add('POST', '/build/prune', (ctx) => sendJson(ctx.res, 200, { CachesDeleted: null, SpaceReclaimed: 0 }));
}
