/**
 * --log-driver and --log-opt checked at create as dockerd checks them: json-file (the
 * default), local and none are what hako writes (conmon's log file, or none); any other
 * driver is an unknown plugin; options a driver does not know and a max-size or max-file
 * it cannot parse are refused in dockerd's words.
 */
import type { HostConfig } from '../core/docker.js';
import { invalid } from '../core/errors.js';

const OPTS: Record<string, string[]> = {
  'json-file': ['max-file', 'max-size', 'compress', 'labels', 'labels-regex', 'env', 'env-regex', 'tag'],
  local: ['max-file', 'max-size', 'compress'],
  none: [],
};

export function validateLogConfig(lc: HostConfig['LogConfig']): void {
  const driver = lc?.Type || 'json-file';
  const known = OPTS[driver];
  if (!known) throw invalid(`error looking up logging plugin ${driver}: plugin "${driver}" not found`);
  const opts = lc?.Config ?? {};
  for (const k of Object.keys(opts)) if (!known.includes(k)) throw invalid(`unknown log opt '${k}' for ${driver} log driver`);
  const size = opts['max-size'];
  if (size !== undefined && !/^\d+(\.\d+)?\s*([kmgtp]i?)?b?$/i.test(size.trim())) throw invalid(`failed to initialize logging driver: invalid size: '${size}'`);
  const files = opts['max-file'];
  if (files !== undefined && !/^\d+$/.test(files)) throw invalid(`failed to initialize logging driver: strconv.Atoi: parsing "${files}": invalid syntax`);
  if (files !== undefined && Number(files) < 1) throw invalid('failed to initialize logging driver: max-file cannot be less than 1');
}

/** docker logs of a container whose driver keeps nothing. */
export function checkReadableLogs(lc: HostConfig['LogConfig']): void {
  if (lc?.Type === 'none') throw invalid('configured logging driver does not support reading');
}
