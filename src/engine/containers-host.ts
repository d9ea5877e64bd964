/** Host-side pieces of a container: its dirs, overlay rootfs, etc files, netns file. */
import { mkdirSync, readFileSync, rmSync, existsSync, closeSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { run } from '../platform/exec.js';
import { nativeMount, nativeUnmount } from '../platform/spawn.js';
import type { ContainerRecord } from './containers-store.js';
import { removeUsernsNetns } from './userns-netns.js';

export class ContainerPaths {
  constructor(readonly dataRoot: string, readonly execRoot: string) {}
  dir(id: string) { return join(this.dataRoot, 'containers', id); }
  rootfs(id: string) { return join(this.dir(id), 'merged'); }
  logPath(id: string) { return join(this.dir(id), `${id}-json.log`); }
  bundle(id: string) { return join(this.execRoot, 'containers', id); }
  persist(id: string) { return join(this.bundle(id), 'persist'); }
  get exitDir() { return join(this.execRoot, 'exits'); }
  netns(id: string) { return join(this.execRoot, 'netns', id); }
}

/*
 * File work on a container's start and removal goes through fs/promises: on a slow file
 * system (this VM's unjournalled ext4: ~1-2 ms per create or unlink) synchronous calls
 * would hold the event loop, and with it every other request, for milliseconds each.
 */
async function isMounted(path: string): Promise<boolean> {
  const mounts = await readFile('/proc/self/mountinfo', 'utf8');
  return mounts.split('\n').some((l) => l.split(' ')[4] === path);
}

/** Mounts the overlay rootfs (lowerdir is top layer first, so the list is reversed). Idempotent. `layers`: other lower dirs (a user namespace's shifted copies). */
export async function mountRootfs(p: ContainerPaths, c: ContainerRecord, layers = c.layerDirs): Promise<string> {
  const dir = p.dir(c.id);
  const merged = p.rootfs(c.id);
  if (await isMounted(merged)) return merged;
  const dirs = ['upper', 'work', 'merged', ...layers.length ? [] : ['empty']];
  await Promise.all(dirs.map((d) => mkdir(join(dir, d), { recursive: true })));
  const lower = layers.length ? [...layers].reverse().join(':') : join(dir, 'empty');
  const opts = `lowerdir=${lower},upperdir=${dir}/upper,workdir=${dir}/work`;
  // mount(2) in the spawn helper; mount(8) when that fails, for its error message
  if (!(await nativeMount('overlay', merged, 'overlay', opts))) await run('mount', ['-t', 'overlay', 'overlay', '-o', opts, merged]);
  return merged;
}

export async function unmountRootfs(p: ContainerPaths, id: string): Promise<void> {
  const merged = p.rootfs(id);
  if (!(await isMounted(merged)) || (await nativeUnmount(merged, true))) return;
  await run('umount', ['-l', merged], { allowFailure: true });
}

export function readRootfsFile(rootfs: string, path: string): string {
  try { return readFileSync(join(rootfs, path), 'utf8'); } catch { return ''; }
}

/** /etc/hosts, /etc/hostname, /etc/resolv.conf for the container (bind-mounted by the spec). */
export async function writeEtcFiles(p: ContainerPaths, c: ContainerRecord, hostname: string, net?: { hosts: string; resolvConf: string }): Promise<void> {
  const dir = p.dir(c.id);
  await mkdir(dir, { recursive: true });
  const hosts = net?.hosts ?? `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n`;
  await Promise.all([writeFile(join(dir, 'hosts'), hosts), writeFile(join(dir, 'hostname'), `${hostname}\n`),
    writeFile(join(dir, 'resolv.conf'), net?.resolvConf ?? hostResolvConf(c))]);
}

function hostResolvConf(c: ContainerRecord): string {
  const hc = c.hostConfig;
  if (hc.Dns?.length || hc.DnsSearch?.length || hc.DnsOptions?.length) {
    return [...(hc.Dns ?? []).map((d) => `nameserver ${d}`), ...(hc.DnsSearch?.length ? [`search ${hc.DnsSearch.join(' ')}`] : []),
      ...(hc.DnsOptions?.length ? [`options ${hc.DnsOptions.join(' ')}`] : [])].join('\n') + '\n';
  }
  const host = readRootfsFile('/', 'etc/resolv.conf');
  return host.split('\n').filter((l) => !/^nameserver\s+127\./.test(l)).join('\n');
}

/** A new network namespace held by a bind mount on <execRoot>/netns/<id>. */
export async function createNetns(p: ContainerPaths, id: string): Promise<string> {
  const path = p.netns(id);
  if (existsSync(path) && (await isMounted(path))) return path;
  mkdirSync(join(p.execRoot, 'netns'), { recursive: true });
  closeSync(openSync(path, 'w'));
  await run('unshare', [`--net=${path}`, 'ip', 'link', 'set', 'lo', 'up']);
  return path;
}

export async function removeNetns(p: ContainerPaths, id: string): Promise<void> {
  await removeUsernsNetns(p.execRoot, id);
  const path = p.netns(id);
  if (!existsSync(path)) return;
  if (!(await nativeUnmount(path))) await run('umount', [path], { allowFailure: true });
  rmSync(path, { force: true });
}

export function removeDirs(p: ContainerPaths, id: string): void {
  rmSync(p.bundle(id), { recursive: true, force: true });
  rmSync(p.dir(id), { recursive: true, force: true });
  rmSync(join(p.exitDir, id), { force: true });
}

/** removeDirs without blocking the event loop (the upper dir can hold many files). */
export async function removeDirsAsync(p: ContainerPaths, id: string): Promise<void> {
  await Promise.all([p.bundle(id), p.dir(id), join(p.exitDir, id)].map((d) => rm(d, { recursive: true, force: true }).catch(() => {})));
}

const ID = /^[0-9a-f]{64}$/;

/**
 * Container ids that still have host objects under this daemon's dirs: a container dir,
 * a bundle, a netns file, or an overlay mounted on <dir>/merged. A removed container's
 * host clean-up runs after its record is gone; the boot reconcile sweeps what a crash left.
 */
export async function hostLeftovers(p: ContainerPaths): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const d of [join(p.dataRoot, 'containers'), join(p.execRoot, 'containers'), join(p.execRoot, 'netns')]) {
    for (const e of await readdir(d).catch(() => [] as string[])) if (ID.test(e)) ids.add(e);
  }
  const prefix = join(p.dataRoot, 'containers') + '/';
  for (const l of (await readFile('/proc/self/mountinfo', 'utf8').catch(() => '')).split('\n')) {
    const mp = l.split(' ')[4] ?? '';
    if (mp.startsWith(prefix) && mp.endsWith('/merged')) ids.add(mp.slice(prefix.length, -'/merged'.length));
  }
  return ids;
}

/** The `umount -l` of the rootfs when it is mounted, else null (for a HostBatch). */
export async function unmountRootfsArgv(p: ContainerPaths, id: string): Promise<string[] | null> {
  return (await isMounted(p.rootfs(id))) ? ['umount', '-l', p.rootfs(id)] : null;
}

const shq = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;

/**
 * Runs host commands queued by concurrent callers in one `sh` spawn per batch: each spawn
 * forks the daemon, which blocks its event loop for milliseconds, and 8 parallel
 * removals would otherwise fork 16 times. Commands run in order, failures ignored
 * (callers use it for best-effort clean-up that the boot sweep retries).
 */
export class HostBatch {
  private pending: { argvs: string[][]; done: () => void }[] = [];
  private running = false;

  run(argvs: string[][]): Promise<void> {
    if (!argvs.length) return Promise.resolve();
    return new Promise((done) => {
      this.pending.push({ argvs, done });
      if (!this.running) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.running = true;
    while (this.pending.length) {
      const batch = this.pending.splice(0);
      const script = batch.flatMap((b) => b.argvs).map((a) => `${a.map(shq).join(' ')} >/dev/null 2>&1`).join('\n');
      await run('/bin/sh', ['-c', script], { allowFailure: true }).catch(() => {});
      for (const b of batch) b.done();
    }
    this.running = false;
  }
}

/** Like Promise.all, but waits for every promise before throwing the first error (nothing left running behind a failure). */
export async function settled<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [ra, rb] = await Promise.allSettled([a, b]);
  if (ra.status === 'rejected') throw ra.reason;
  if (rb.status === 'rejected') throw rb.reason;
  return [ra.value, rb.value];
}

/** How long ago conmon wrote <exitDir>/<id> (exit detection latency, for the exit channel). */
export function exitFileAge(exitDir: string, id: string): number {
  try { return Date.now() - statSync(join(exitDir, id)).mtimeMs; } catch { return -1; }
}

/**
 * When the container exited: conmon's exit file time (long ago when a restarted daemon
 * reads it), else now; never before `startedAt` (a quick exit can beat the start record).
 */
export function exitTime(exitDir: string, id: string, startedAt: string): string {
  let t = Date.now();
  try { t = statSync(join(exitDir, id)).mtimeMs; } catch { /* no exit file: now */ }
  return new Date(Math.max(t, Date.parse(startedAt) || 0)).toISOString();
}

/** Whether the container has a pid namespace of its own (its processes die with its init). */
export function ownPidNamespace(c: ContainerRecord): boolean {
  const pidMode = c.hostConfig.PidMode ?? '';
  return pidMode !== 'host' && !pidMode.startsWith('container:');
}

/**
 * SIGKILL to the init of a container with its own pid namespace, which takes every
 * process of the namespace with it: what `<runtime> kill --all KILL` achieves, without
 * a spawn. Only when /proc/<pid>/cgroup still names the container (no recycled pid) and
 * it is not paused (a frozen cgroup holds the signal); false means "use the runtime".
 */
export function killInit(c: ContainerRecord): boolean {
  if (c.state.Paused || c.state.Pid <= 1 || !ownPidNamespace(c)) return false;
  try {
    if (!readFileSync(`/proc/${c.state.Pid}/cgroup`, 'utf8').includes(c.id)) return false;
    process.kill(c.state.Pid, 'SIGKILL');
    return true;
  } catch { return false; }
}
