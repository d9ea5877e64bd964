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

/** The container fields dockerd's image Config carries, empty, up to API 1.49 (and ContainerConfig up to 1.44). */
const EMPTY_CONTAINER_CONFIG = {
  Hostname: '', Domainname: '', User: '', AttachStdin: false, AttachStdout: false, AttachStderr: false, Tty: false,
  OpenStdin: false, StdinOnce: false, Env: null, Cmd: null, Image: '', Volumes: null, WorkingDir: '', Entrypoint: null,
  OnBuild: null, Labels: null,
};

/**
 * GET /images/{name}/json: `Config` with every container field (empty when unset) until 1.49
 * (1.50 sends only the set ones). dockerd dropped `Container` and `ContainerConfig` in 1.45,
 * but docker-compose 1.29 negotiates the newest version and then reads
 * image_config['ContainerConfig'] whenever it recreates a container (KeyError otherwise,
 * docker/compose#11742): hako keeps both, as dockerd 20.10 sends them, until 1.49.
 */
export function imageForVersion(img: Record<string, unknown>, version: string): Record<string, unknown> {
  const { Container, ContainerConfig, ...rest } = img;
  const out: Record<string, unknown> = olderThan(version, 1, 50)
    ? { ...rest, Container: Container ?? '', ContainerConfig: { ...EMPTY_CONTAINER_CONFIG, ...(ContainerConfig as object | undefined) } }
    : rest;
  if (olderThan(version, 1, 50) && out.Config && typeof out.Config === 'object') out.Config = { ...EMPTY_CONTAINER_CONFIG, ...out.Config };
  if (!olderThan(version, 1, 44)) delete out.VirtualSize;
  return out;
}

/** GET /images/json (and /system/df Images): VirtualSize only before 1.44. */
export function imagesForVersion<T extends Record<string, unknown>>(list: T[], version: string): T[] {
  if (olderThan(version, 1, 44)) return list;
  return list.map(({ VirtualSize: _v, ...rest }) => rest as T);
}

/** GET /info before 1.42 still says KernelMemory (hako sets no kernel memory limit). */
export function legacyInfo(info: Record<string, unknown>, version: string): Record<string, unknown> {
  return olderThan(version, 1, 42) ? { KernelMemory: false, ...info } : info;
}

/** GET /system/df: BuilderSize before 1.42 (hako keeps no build cache), VirtualSize of images before 1.44. */
export function legacyDf(df: Record<string, unknown>, version: string): Record<string, unknown> {
  const images = Array.isArray(df.Images) ? { Images: imagesForVersion(df.Images as Record<string, unknown>[], version) } : {};
  return olderThan(version, 1, 42) ? { ...df, ...images, BuilderSize: 0 } : { ...df, ...images };
}
