import { Router } from '../router.js';
import { authRoutes } from './auth.js';
import { buildRoutes } from './build.js';
import { commitRoutes } from './commit.js';
import { containerRoutes } from './containers.js';
import { execRoutes } from './exec.js';
import { imageRoutes } from './images.js';
import { networkRoutes } from './networks.js';
import { pluginRoutes } from './plugins.js';
import { systemRoutes } from './system.js';
import { unbuiltRoutes } from './unbuilt.js';
import { volumeRoutes } from './volumes.js';

/** Every route of the API, specific patterns before greedy ones. */
export function buildRouter(): Router {
  const r = new Router();
  systemRoutes(r);
  imageRoutes(r);
  authRoutes(r);
  containerRoutes(r);
  execRoutes(r);
  buildRoutes(r);
  commitRoutes(r);
  networkRoutes(r);
  volumeRoutes(r);
  pluginRoutes(r);
  unbuiltRoutes(r);
  return r;
}
