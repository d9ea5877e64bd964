import { Router } from '../router.js';
import { authRoutes } from './auth.js';
import { containerRoutes } from './containers.js';
import { execRoutes } from './exec.js';
import { imageRoutes } from './images.js';
import { networkRoutes } from './networks.js';
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
  networkRoutes(r);
  volumeRoutes(r);
  unbuiltRoutes(r);
  return r;
}
