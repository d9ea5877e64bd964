/**
 * Mount changes for a container in a user namespace that joins a network namespace it
 * does not own (the daemon's netns, made before the container, or container:X): the
 * kernel refuses a new sysfs there (EPERM), so /sys becomes a read-only recursive bind
 * of the host's, as crun falls back to by itself and runc 1.1 does not.
 */
import type { OciMount } from './spec-types.js';

export function usernsMounts(mounts: OciMount[], netnsJoined: boolean): OciMount[] {
  if (!netnsJoined) return mounts;
  return mounts.map((m) => (m.type === 'sysfs'
    ? { destination: m.destination, type: 'bind', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] }
    : m));
}
