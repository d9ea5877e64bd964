import { invalid } from '../../core/errors.js';
import { RegistryError, registryOf, type AuthConfig } from '../../engine/images-registry.js';
import { readJson } from '../query.js';
import { sendJson } from '../respond.js';
import type { Ctx, Router } from '../router.js';
import { need, notYet } from './common.js';

/** POST /auth: checks credentials against the registry, as `docker login` asks. */
export function authRoutes(r: Router): void {
  r.add('POST', '/auth', login);
}

async function login(ctx: Ctx): Promise<void> {
  const reg = registryOf(need(ctx, 'images'));
  if (!reg) throw notYet('login', 'this daemon\'s image service has no registry client');
  const body = (await readJson(ctx.body)) as AuthConfig | undefined;
  if (!body || typeof body !== 'object') throw invalid('invalid auth configuration: expected a JSON object');
  try {
    sendJson(ctx.res, 200, await reg.login(body));
  } catch (e) {
    // dockerd answers a refused login with 401 (its errdefs.Unauthorized), not 403.
    if (e instanceof RegistryError && e.status === 401) return sendJson(ctx.res, 401, { message: e.message });
    throw e;
  }
}
