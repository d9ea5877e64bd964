/**
 * Answers shaped by the API version a client asked for (the /v1.NN prefix), where moby's
 * swagger and version history changed them and an older client could be confused by the
 * newer shape. Pure functions over the JSON an engine service returns.
 */

/** Whether `version` ("1.41") is older than maj.min. */
export function olderThan(version: string, maj: number, min: number): boolean {
  const [a = 0, b = 0] = version.split('.').map(Number);
  return a < maj || (a === maj && b < min);
}

/** Drops `DNSNames` from every endpoint of every `Networks` map below `x` (added in API 1.44). */
function stripDnsNames(x: unknown): void {
  if (Array.isArray(x)) { for (const v of x) stripDnsNames(v); return; }
  if (!x || typeof x !== 'object') return;
  for (const [k, v] of Object.entries(x as Record<string, unknown>)) {
    if (k === 'Networks' && v && typeof v === 'object' && !Array.isArray(v)) {
      for (const ep of Object.values(v as Record<string, unknown>)) if (ep && typeof ep === 'object') delete (ep as Record<string, unknown>).DNSNames;
    } else stripDnsNames(v);
  }
}

/** GET /containers/json, /containers/{id}/json, /system/df: no DNSNames before 1.44. */
export function containersForVersion<T>(body: T, version: string): T {
  if (olderThan(version, 1, 44)) stripDnsNames(body);
  return body;
}

/** GET /info: no CDISpecDirs before 1.44. */
export function infoForVersion(info: Record<string, unknown>, version: string): Record<string, unknown> {
  if (!olderThan(version, 1, 44)) return info;
  const { CDISpecDirs: _c, ...rest } = info;
  return rest;
}
