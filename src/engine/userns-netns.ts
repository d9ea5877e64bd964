/**
 * A user namespace and a network namespace owned by it, each held by a bind mount
 * (<execRoot>/userns/<id>, <execRoot>/netns/<id>), for a remapped container whose network
 * the daemon wires before the runtime starts it. The container joins both (podman holds
 * them the same way): a netns owned by the container's own user namespace is what lets
 * it mount sysfs and lets `runc exec` enter it (runc joins the user namespace first, and
 * then may only join namespaces that one owns).
 *
 * Recipe: `unshare -U -n` a process that waits on stdin; write its uid_map/gid_map from
 * here (host root may map any ids; newuidmap would want root in /etc/subuid); bind-mount
 * its two ns files; bring lo up from the host side (host root is privileged over every
 * child user namespace); let the process go. With `joinUser` (the user namespace of a
 * container whose pid/ipc/uts namespace this one shares) the process enters that one
 * (`nsenter --user`, as its root) and only the network namespace is new.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { internal } from '../core/errors.js';
import { run } from '../platform/exec.js';
import type { IdRange } from '../image/snapshots-idmap.js';

export const usernsFile = (execRoot: string, id: string) => join(execRoot, 'userns', id);

const mapText = (m: IdRange[]) => m.map((r) => `${r.containerID} ${r.hostID} ${r.size}\n`).join('');

export async function createUsernsNetns(execRoot: string, id: string, m: { uids: IdRange[]; gids: IdRange[] }, joinUser?: string): Promise<{ user: string; net: string }> {
  const user = usernsFile(execRoot, id);
  const net = join(execRoot, 'netns', id);
  // What a crash may have left of an earlier run (the normal path finds nothing: no spawn).
  if (existsSync(user)) await removeUsernsNetns(execRoot, id);
  if (existsSync(net)) await run('umount', [net], { allowFailure: true });
  for (const f of [user, net]) {
    mkdirSync(join(f, '..'), { recursive: true });
    closeSync(openSync(f, 'w'));
  }
  const waiter = ['sh', '-c', 'echo ready; read _'];
  const argv = joinUser ? ['nsenter', `--user=${joinUser}`, 'unshare', '--net', ...waiter] : ['unshare', '--user', '--net', ...waiter];
  const holder = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'ignore'] });
  const exited = new Promise<void>((r) => holder.on('exit', () => r()));
  try {
    await new Promise<void>((resolve, reject) => {
      holder.stdout!.once('data', () => resolve());
      holder.once('error', reject);
      holder.once('exit', () => reject(internal('unshare --user --net exited early')));
    });
    const pid = holder.pid!;
    if (!joinUser) {
      writeFileSync(`/proc/${pid}/uid_map`, mapText(m.uids));
      writeFileSync(`/proc/${pid}/gid_map`, mapText(m.gids));
    }
    await run('sh', ['-c', 'mount --bind "$1" "$2" && mount --bind "$3" "$4" && nsenter --net="$4" ip link set lo up', 'sh',
      `/proc/${pid}/ns/user`, user, `/proc/${pid}/ns/net`, net]);
  } catch (e) {
    await removeUsernsNetns(execRoot, id);
    throw e;
  } finally {
    holder.stdin!.end('\n');
    await exited;
  }
  return { user, net };
}

/** Unmounts and removes the user namespace file (the netns file goes with removeNetns). */
export async function removeUsernsNetns(execRoot: string, id: string): Promise<void> {
  const user = usernsFile(execRoot, id);
  if (!existsSync(user)) return;
  await run('umount', [user], { allowFailure: true });
  rmSync(user, { force: true });
}
