/** What a container holds on the host only while it runs, and its release after an exit or a removal. */
import type { ContainerNetworker, VolumeMounter } from './types.js';
import type { OciRuntime } from '../runtime/oci.js';
import { cgroupsPath } from '../runtime/spec.js';
import type { CgroupReader } from '../runtime/cgroups.js';
import { SpawnServer } from '../platform/spawn.js';
import { volumeNamesOf } from './volumes.js';
import type { ContainerRecord } from './containers-store.js';
import { ownPidNamespace, removeNetns, unmountRootfs, unmountRootfsArgv, type ContainerPaths, type HostBatch } from './containers-host.js';

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
  for (const v of volumeNamesOf(c.hostConfig)) await svc.o.volumes?.unmount(v, c.id);
  const net = svc.o.networker;
  const down = (async () => { if (net) await net.teardown(c.id).catch(() => {}); await removeNetns(svc.paths, c.id); })();
  // A quick restart waits for it (wireNetwork): it would unmount the new netns otherwise.
  svc.netTeardowns.set(c.id, down);
  void down.finally(() => { if (svc.netTeardowns.get(c.id) === down) svc.netTeardowns.delete(c.id); });
}
