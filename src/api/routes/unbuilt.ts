/**
 * Docker routes hako knows but has not built: 501 with what is missing. Swarm-family
 * routes answer as dockerd does on a node that is not in a swarm (503).
 */
import { EngineError } from '../../core/errors.js';
import type { Router } from '../router.js';
import { notYet } from './common.js';

const NOT_MANAGER =
  'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';
const NOT_IN_SWARM = 'This node is not part of a swarm';

const swarmFamily: [string, string][] = [
  ['GET', '/swarm'], ['GET', '/swarm/unlockkey'], ['POST', '/swarm/update'],
  ['GET', '/services'], ['GET', '/services/{id}'], ['GET', '/services/{id}/logs'], ['POST', '/services/create'],
  ['POST', '/services/{id}/update'], ['DELETE', '/services/{id}'],
  ['GET', '/nodes'], ['GET', '/nodes/{id}'], ['POST', '/nodes/{id}/update'], ['DELETE', '/nodes/{id}'],
  ['GET', '/tasks'], ['GET', '/tasks/{id}'], ['GET', '/tasks/{id}/logs'],
  ['GET', '/secrets'], ['GET', '/secrets/{id}'], ['POST', '/secrets/create'], ['POST', '/secrets/{id}/update'], ['DELETE', '/secrets/{id}'],
  ['GET', '/configs'], ['GET', '/configs/{id}'], ['POST', '/configs/create'], ['POST', '/configs/{id}/update'], ['DELETE', '/configs/{id}'],
];

/** [method, pattern, feature] for every other Docker route. */
const unbuilt: [string, string, string][] = [
  ['POST', '/swarm/init', 'swarm mode'], ['POST', '/swarm/join', 'swarm mode'],
  ['GET', '/plugins', 'plugins'], ['GET', '/plugins/privileges', 'plugins'], ['GET', '/plugins/{name*}/json', 'plugins'],
  ['POST', '/plugins/pull', 'plugins'], ['POST', '/plugins/create', 'plugins'], ['POST', '/plugins/{name*}/enable', 'plugins'],
  ['POST', '/plugins/{name*}/disable', 'plugins'], ['POST', '/plugins/{name*}/push', 'plugins'],
  ['POST', '/plugins/{name*}/upgrade', 'plugins'], ['POST', '/plugins/{name*}/set', 'plugins'], ['DELETE', '/plugins/{name*}', 'plugins'],
  ['POST', '/build/cancel', 'build'], ['POST', '/auth', 'registry login'],
  ['GET', '/distribution/{name*}/json', 'distribution'], ['POST', '/session', 'build session'], ['POST', '/grpc', 'build session'],
  ['GET', '/containers/{id}/attach/ws', 'attach over websocket'],
];

export function unbuiltRoutes(r: Router): void {
  r.add('POST', '/swarm/leave', () => {
    throw new EngineError('Unavailable', NOT_IN_SWARM);
  });
  r.add('POST', '/swarm/unlock', () => {
    throw new EngineError('Unavailable', NOT_IN_SWARM);
  });
  for (const [method, pattern] of swarmFamily) {
    r.add(method, pattern, () => {
      throw new EngineError('Unavailable', NOT_MANAGER);
    });
  }
  for (const [method, pattern, feature] of unbuilt) {
    r.add(method, pattern, (ctx) => {
      throw notYet(feature, `${method} ${ctx.req.url?.split('?')[0] ?? pattern}`);
    });
  }
}
