import { EngineError } from '../../core/errors.js';
import type { Engine } from '../../engine/types.js';
import type { Ctx } from '../router.js';

/** The message of every 501 for a part of Docker's API hako has not built yet. */
export function notYet(feature: string, detail: string): EngineError {
  return new EngineError('NotImplemented', `${feature} is not implemented yet in hako: ${detail}`);
}

/** Returns the engine service or throws a 501 naming what is missing. */
export function need<K extends keyof Engine>(ctx: Ctx, key: K): NonNullable<Engine[K]> {
  const s = ctx.engine[key];
  if (!s) throw new EngineError('NotImplemented', `${key} is not implemented yet in hako: this daemon has no ${key} service`);
  return s as NonNullable<Engine[K]>;
}
