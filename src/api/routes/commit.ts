/** POST /commit: a container's changes as a new image (docker commit). */
import type { ContainerConfig } from '../../core/docker.js';
import { invalid } from '../../core/errors.js';
import { boolParam, readJson } from '../query.js';
import { sendJson } from '../respond.js';
import type { Ctx, Router } from '../router.js';
import { buildService } from './build.js';

async function commit(ctx: Ctx): Promise<void> {
  const q = ctx.query;
  const container = q.get('container');
  if (!container) throw invalid('container is required: give the container with ?container=');
  const config = await readJson<ContainerConfig>(ctx.body);
  const id = await buildService(ctx).commit(container, {
    repo: q.get('repo') || undefined, tag: q.get('tag') || undefined, comment: q.get('comment') || undefined,
    author: q.get('author') || undefined, pause: boolParam(q, 'pause', true),
    changes: q.getAll('changes').flatMap((c) => c.split('\n')).filter((c) => c.trim()), config: config ?? undefined,
  });
  ctx.engine.events?.emit({ Type: 'container', Action: 'commit', Actor: { ID: container, Attributes: { comment: q.get('comment') ?? '', imageID: id } } });
  sendJson(ctx.res, 201, { Id: id });
}

export function commitRoutes(r: Router): void {
  r.add('POST', '/commit', commit);
}
