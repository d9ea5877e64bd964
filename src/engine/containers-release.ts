/** What a container holds on the host only while it runs, and its release after an exit or a removal. */
import type { ContainerNetworker, VolumeMounter } from './types.js';
import type { OciRuntime } from '../runtime/oci.js';
import { cgroupsPath } from '../runtime/spec.js';
import type { CgroupReader } from '../runtime/cgroups.js';
import { SpawnServer, idleCleanup, type CleanupOp } from '../platform/spawn.js';
import { volumeNamesOf } from './volumes.js';
import type { ContainerRecord } from './containers-store.js';
import { join } from 'node:path';
import { ownPidNamespace, removeDirsAsync, removeNetns, unmountRootfs, unmountRootfsArgv, type ContainerPaths, type HostBatch } from './containers-host.js';

export interface ReleaseHost {
  o: { instance: string; volumes?: VolumeMounter; networker?: ContainerNetworker };
  paths: ContainerPaths;
  cgroups: CgroupReader;
  hostBatch: HostBatch;
  netTeardowns: Map<string, Promise<void>>;
  runtimeFor(c: ContainerRecord): OciRuntime;
}

/**
 * Everything that lives only while the container runs: the runtime's state and cgroup
 * (`<runtime> delete`, skipped when it holds none) concurrently with the rootfs unmount
 * (`batched` without the spawn helper: both in one HostBatch spawn shared with concurrent removals), then the
 * volumes. Network teardown is off the critical path.
 */
export async function releaseResources(svc: ReleaseHost, c: ContainerRecord, batched = false): Promise<void> {
  const rt = svc.runtimeFor(c);
  const cgroup = cgroupsPath(svc.o.instance, c.id, c.hostConfig.CgroupParent);
  let known = rt.known(c.id);
  // init gone with its own pid namespace, so nothing is left in the cgroup: no `delete` spawn
  if (known && ownPidNamespace(c) && rt.initGone(c.id)) { svc.cgroups.remove(cgroup); await rt.forgetExited(c.id); known = false; }
  // one `sh` for several commands spares forks of the daemon; the spawn helper's are cheap
  if (batched && !SpawnServer.get()) {
    const um = await unmountRootfsArgv(svc.paths, c.id);
    await svc.hostBatch.run([...known ? [rt.deleteArgv(c.id)] : [], ...um ? [um] : []]);
  } else {
    await Promise.all([known ? rt.delete(c.id).catch(() => {}) : undefined, unmountRootfs(svc.paths, c.id)]);
  }
  svc.cgroups.remove(cgroup);
  await releaseVolumesAndNetwork(svc, c);
}

async function releaseVolumesAndNetwork(svc: ReleaseHost, c: ContainerRecord): Promise<void> {
  for (const v of volumeNamesOf(c.hostConfig)) await svc.o.volumes?.unmount(v, c.id);
  const net = svc.o.networker;
  const down = (async () => { if (net) await net.teardown(c.id).catch(() => {}); await removeNetns(svc.paths, c.id); })();
  // A quick restart waits for it (wireNetwork): it would unmount the new netns otherwise.
  svc.netTeardowns.set(c.id, down);
  void down.finally(() => { if (svc.netTeardowns.get(c.id) === down) svc.netTeardowns.delete(c.id); });
}

/**
 * The whole host clean-up of a removed container (its record already gone): what
 * releaseResources does, then its dirs. The unmount, the cgroup rmdirs and the file
 * removals go to one child of the spawn helper at idle priority (idleCleanup), so that
 * under load they take only CPU and disk time nobody else wants; without the helper
 * (or with HAKO_IDLE_CLEANUP=0), in the daemon as before. A crash midway leaves what the boot sweep finds (hostLeftovers).
 */
export async function removeHostObjects(svc: ReleaseHost, c: ContainerRecord): Promise<void> {
  const rt = svc.runtimeFor(c);
  const cgroup = cgroupsPath(svc.o.instance, c.id, c.hostConfig.CgroupParent);
  const dirs = svc.cgroups.dirs?.(cgroup);
  if (!SpawnServer.get() || !dirs || process.env.HAKO_IDLE_CLEANUP === '0') {
    await releaseResources(svc, c, true);
    await svc.o.networker?.forget?.(c.id).catch(() => {});
    await removeDirsAsync(svc.paths, c.id);
    return;
  }
  // init gone with its own pid namespace: nothing left in the cgroup, its state dir goes with the rest
  const forget = rt.known(c.id) && ownPidNamespace(c) && rt.initGone(c.id);
  if (rt.known(c.id) && !forget) await rt.delete(c.id).catch(() => {});
  const ops: CleanupOp[] = [{ umount: svc.paths.rootfs(c.id) }, ...dirs.map((d) => ({ cgroup: d })),
    ...forget ? [{ remove: rt.stateDir(c.id) }] : [],
    ...[svc.paths.bundle(c.id), svc.paths.dir(c.id), join(svc.paths.exitDir, c.id)].map((d) => ({ remove: d }))];
  const [errno] = await Promise.all([idleCleanup(ops), releaseVolumesAndNetwork(svc, c)]);
  await svc.o.networker?.forget?.(c.id).catch(() => {});
  if (errno) throw new Error(`host clean-up: errno ${errno}`);
}
