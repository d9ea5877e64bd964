// Test images, built locally (no registry is reachable) and cached under build/images/.
//
//   busyboxTar()     docker-archive of busybox:latest (scripts/build-busybox-image.mjs), ~2 MB
//   ociBusyboxTar()  the same image as an OCI-layout tarball (skopeo copy), gzip layers
//   debianTar()      docker-archive of debian:bookworm (mmdebstrap --variant=minbase); slow,
//                    opt-in: tests that need it should skip unless HAKO_TEST_DEBIAN=1
//
// Each builds the file when missing and returns its absolute path. Concurrent test
// files may race to build: builders write to a temporary name and rename.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The repository root: the nearest ancestor of this file holding scripts/build-busybox-image.mjs. */
export const repoRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'scripts', 'build-busybox-image.mjs'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the repository root above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
})();

export const imagesDir: string = join(repoRoot, 'build', 'images');

const pending = new Map<string, Promise<string>>();

function once(path: string, build: (tmp: string) => Promise<void>, isStale?: () => boolean): Promise<string> {
  if (existsSync(path) && !isStale?.()) return Promise.resolve(path);
  let p = pending.get(path);
  if (!p) {
    p = (async () => {
      mkdirSync(dirname(path), { recursive: true });
      const tmp = `${path}.tmp-${process.pid}`;
      try {
        await build(tmp);
        renameSync(tmp, path);
      } finally {
        rmSync(tmp, { force: true });
      }
      return path;
    })();
    pending.set(path, p);
    p.finally(() => pending.delete(path)).catch(() => {});
  }
  return p;
}

/** Path of build/images/busybox.tar (docker-archive, tag busybox:latest), built if missing. */
export function busyboxTar(): Promise<string> {
  const out = join(imagesDir, 'busybox.tar');
  return once(out, async (tmp) => {
    await run(process.execPath, [join(repoRoot, 'scripts', 'build-busybox-image.mjs'), '--out', tmp]);
  });
}

/**
 * Path of build/images/busybox-oci.tar: busybox:latest as an OCI image layout tarball
 * (index.json annotation org.opencontainers.image.ref.name = "busybox:latest").
 * Needs skopeo (scripts/install-deps.sh installs it).
 */
export async function ociBusyboxTar(): Promise<string> {
  const src = await busyboxTar();
  const out = join(imagesDir, 'busybox-oci.tar');
  const stale = () => statSync(out).mtimeMs < statSync(src).mtimeMs;
  return once(out, async (tmp) => {
    await run('skopeo', ['copy', '--quiet', `docker-archive:${src}`, `oci-archive:${tmp}:busybox:latest`]);
  }, stale);
}

/** Path of build/images/debian.tar (docker-archive, tag debian:bookworm). Slow on first use (minutes). */
export function debianTar(): Promise<string> {
  const out = join(imagesDir, 'debian.tar');
  return once(out, async (tmp) => {
    await run(join(repoRoot, 'scripts', 'build-debian-image.sh'), ['--out', tmp], { maxBuffer: 64 << 20 });
  });
}

/** True when the opt-in Debian image tests should run. */
export function debianWanted(): boolean {
  return process.env.HAKO_TEST_DEBIAN === '1';
}
