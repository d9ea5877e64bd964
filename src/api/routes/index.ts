import { Router } from '../router.js';
import { containerRoutes } from './containers.js';
import { execRoutes } from './exec.js';
import { imageRoutes } from './images.js';
import { networkRoutes } from './networks.js';
import { systemRoutes } from './system.js';
import { unbuiltRoutes, volumeRoutes } from './unbuilt.js';

/** Every route of the API, specific patterns before greedy ones. */
export function buildRouter(): Router {
  const r = new Router();
  systemRoutes(r);
  imageRoutes(r);
  containerRoutes(r);
  execRoutes(r);
  networkRoutes(r);
  volumeRoutes(r);
  unbuiltRoutes(r);
  return r;
}
