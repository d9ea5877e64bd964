/**
 * Mount changes for a container in a user namespace that shares a namespace another user
 * namespace owns, where the kernel refuses the filesystem tied to it (EPERM):
 * - a network namespace it does not own (container:X of a container outside it): /sys
 *   becomes a read-only recursive bind of the host's, as crun falls back to by itself
 *   and runc 1.1 does not;
 * - the host's IPC namespace: no /dev/mqueue (a new mqueue mount belongs to the IPC
 *   namespace's owner, and the host may not have one mounted to bind).
 */
import type { OciMount } from './spec-types.js';

export function usernsMounts(mounts: OciMount[], o: { netnsJoined: boolean; hostIpc: boolean }): OciMount[] {
  return mounts.filter((m) => !(m.type === 'mqueue' && o.hostIpc)).map((m) => (m.type === 'sysfs' && o.netnsJoined
    ? { destination: m.destination, type: 'bind', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] }
    : m));
}
