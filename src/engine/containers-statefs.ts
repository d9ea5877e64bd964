/**
 * The run-time state of containers on a tmpfs. What conmon, the OCI runtime and the daemon
 * create and delete for every container start and removal under the exec root (the
 * runtime's state dirs and exec fifo, the bundle with config.json, pidfiles, attach
 * socket and fifos, the exit files, exec sessions) is volatile by nature: a standard host
 * keeps it in /run, a tmpfs. Where the exec root sits on a disk file system instead (this
 * VM's /run is on its root ext4: ~0.5 ms of kernel CPU per file create, mkdir or rmdir),
 * each of those dirs gets a tmpfs of its own at boot: measured here, 50 containers started
 * 8 at a time took 1850-2100 ms of CPU in hakod + helper + conmon + crun with the state on
 * ext4, 1300 ms on tmpfs.
 *
 * A dir is mounted over only when it is empty or missing (state a running container
 * still uses is never hidden), and stays mounted while the daemon is down (containers
 * outlive it, their state with them; a restarted daemon finds the mounts and uses them).
 * The daemon unmounts them when it stops with no container state left. HAKO_STATE_TMPFS=0
 * turns this off.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, statfsSync } from 'node:fs';
import { join } from 'node:path';

const TMPFS_MAGIC = 0x01021994;
/** The state dirs under the exec root (ContainerPaths, OciRuntime roots, exec sessions). */
export const STATE_DIRS = ['runtime', 'containers', 'exits', 'exec'];

/** tmpfs mount points (mountinfo: mount point is field 5, the fs type follows the " - "). */
function mountPoints(): Set<string> {
  try {
    return new Set(readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
      .filter((l) => l.split(' - ')[1]?.startsWith('tmpfs ')).map((l) => l.split(' ')[4] ?? ''));
  } catch { return new Set(); }
}

const isEmptyDir = (d: string) => { try { return readdirSync(d).length === 0; } catch { return true; } };

/** Mounts a tmpfs on each state dir of `execRoot` that needs one (see above); returns the dirs mounted now or before. */
export function mountStateTmpfs(execRoot: string, log?: (msg: string, f?: Record<string, unknown>) => void): string[] {
  if (process.env.HAKO_STATE_TMPFS === '0' || process.getuid?.() !== 0) return [];
  mkdirSync(execRoot, { recursive: true });
  if (statfsSync(execRoot).type === TMPFS_MAGIC) return [];
  const before = mountPoints();
  const want = STATE_DIRS.map((s) => join(execRoot, s)).filter((d) => !before.has(d) && isEmptyDir(d));
  for (const d of want) mkdirSync(d, { recursive: true });
  if (want.length) {
    // one spawn of the daemon for all of them (boot only)
    const sh = 'for d; do mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs "$d" || echo "$d" >&2; done';
    try { execFileSync('sh', ['-c', sh, 'sh', ...want], { stdio: ['ignore', 'ignore', 'pipe'] }); } catch { /* reported below */ }
  }
  const after = mountPoints();
  for (const d of want.filter((x) => !after.has(x))) log?.('cannot mount a tmpfs for container state; it stays on the exec root\'s file system', { dir: d });
  return STATE_DIRS.map((s) => join(execRoot, s)).filter((d) => after.has(d));
}

/** Unmounts the state tmpfs mounts that hold nothing any more (daemon stop); leaves the others. */
export function unmountIdleStateTmpfs(dirs: string[]): void {
  // runtime/ keeps only the runtimes' empty roots and the sealed-copy link once all is gone
  const idle = dirs.filter((d) => (d.endsWith('/runtime')
    ? !readdirSync(d).some((e) => e !== 'bin' && !isEmptyDir(join(d, e)))
    : isEmptyDir(d)));
  if (!idle.length) return;
  try { execFileSync('umount', ['-l', ...idle], { stdio: 'ignore' }); } catch { /* left for uninstall.sh */ }
}
