/**
 * The capabilities this daemon itself holds in its bounding set. `--privileged` and
 * `--cap-add ALL` grant these, as dockerd does (caps.GetAllCapabilities): asking the
 * runtime for one the daemon lacks fails the start with "capset: Operation not permitted"
 * (this VM runs without CAP_SYS_RESOURCE, for instance).
 */
import { readFileSync } from 'node:fs';
import { ALL_CAPS } from './spec-defaults.js';

let cached: string[] | undefined;

/** ALL_CAPS (indexed by capability number) filtered by a CapBnd hex mask. */
export function capsInMask(hex: string): string[] {
  const mask = BigInt(`0x${hex}`);
  return ALL_CAPS.filter((_, i) => (mask >> BigInt(i)) & 1n);
}

export function hostBoundingCaps(): string[] {
  if (!cached) {
    let hex: string | undefined;
    try {
      hex = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    } catch { /* not Linux: keep every capability */ }
    cached = hex ? capsInMask(hex) : [...ALL_CAPS];
  }
  return cached;
}
