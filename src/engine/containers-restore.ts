/**
 * Boot-time reconcile of the container service: conmon outlives hakod, so a new daemon
 * finds every container again (live ones re-monitored, exits recorded) and sweeps the
 * host objects of containers whose record is gone.
 */
import { readExitCode, type ExitWatcher } from '../runtime/monitor.js';
import type { OciRuntime } from '../runtime/oci.js';
import { hostLeftovers, removeDirsAsync, removeNetns, unmountRootfs, type ContainerPaths } from './containers-host.js';
import { ZERO_TIME, type ContainerRecord, type ContainerStore } from './containers-store.js';

/** What the reconcile needs of the container service (containers.ts). */
export interface RestoreHost {
  store: ContainerStore;
  paths: ContainerPaths;
  runtimes: Record<string, OciRuntime>;
  exits: ExitWatcher;
  health: { start(c: ContainerRecord): void };
  runtimeFor(c: ContainerRecord): OciRuntime;
  onExit(id: string, code: number): Promise<void>;
  remove(id: string, opts: { force?: boolean }): Promise<void>;
  releaseResources(c: ContainerRecord): Promise<void>;
}

/** Boot-time reconcile: re-monitor live containers, record exits that happened while down, drop half-created ones. */
export async function restoreContainers(svc: RestoreHost): Promise<void> {
  for (const rt of Object.values(svc.runtimes)) void rt.execPath; // starts making the sealed copy (oci.ts)
  for (const c of svc.store.all()) {
    const st = await svc.runtimeFor(c).state(c.id).catch(() => null);
    const alive = st && (st.status === 'running' || st.status === 'paused');
    if (alive) {
      c.state = { ...c.state, Status: st.status === 'paused' ? 'paused' : 'running', Running: true, Paused: st.status === 'paused', Pid: st.pid };
      svc.store.save(c);
      svc.exits.watch(c.id, (code) => void svc.onExit(c.id, code));
      svc.health.start(c);
      continue;
    }
    if (c.state.Running || c.state.Status === 'restarting') {
      const code = readExitCode(svc.paths.exitDir, c.id) ?? 255;
      await svc.onExit(c.id, code);
    } else if (c.state.Status === 'removing') {
      await svc.remove(c.id, { force: true }).catch(() => {});
    } else if (st) {
      await svc.releaseResources(c);
    }
  }
  await sweepRemoved(svc);
}

/**
 * dockerd's rule when it starts (restartmanager.ShouldRestart on the recorded exit): a
 * container that was started once and is now stopped comes back with `always` even after
 * a manual stop, with `on-failure` after a non-zero exit below its retry count (a manual
 * stop's 137 counts), with `unless-stopped` unless it was stopped by hand.
 */
export function restartsAtBoot(c: ContainerRecord): boolean {
  if (c.state.Status !== 'exited' || c.state.StartedAt === ZERO_TIME || c.hostConfig.AutoRemove) return false;
  const rp = c.hostConfig.RestartPolicy;
  switch (rp?.Name) {
    case 'always': return true;
    case 'unless-stopped': return !c.manuallyStopped;
    case 'on-failure': return c.state.ExitCode !== 0 && (!rp.MaximumRetryCount || c.restartCount < rp.MaximumRetryCount);
    default: return false;
  }
}

/** Starts what the restart policies bring back at daemon start (after the network reconcile), 4 at a time; failures are logged. */
export async function startAtBoot(svc: { store: ContainerStore; start(id: string): Promise<void> }, log?: (msg: string, fields: Record<string, unknown>) => void): Promise<void> {
  const todo = svc.store.all().filter(restartsAtBoot);
  for (let i = 0; i < todo.length; i += 4) {
    await Promise.all(todo.slice(i, i + 4).map((c) => svc.start(c.id)
      .catch((e) => log?.('restart at daemon start failed', { id: c.id, error: (e as Error).message }))));
  }
}

/** Host objects of containers whose record is gone (a crash during a deferred clean-up). */
async function sweepRemoved(svc: RestoreHost): Promise<void> {
  const ids = new Set(svc.store.all().map((c) => c.id));
  const rts = Object.values(svc.runtimes);
  const orphans = new Set([...await hostLeftovers(svc.paths), ...rts.flatMap((r) => r.knownIds())]);
  for (const id of orphans) {
    if (ids.has(id)) continue;
    for (const r of rts) if (r.known(id)) await r.delete(id).catch(() => {});
    await unmountRootfs(svc.paths, id);
    await removeNetns(svc.paths, id);
    await removeDirsAsync(svc.paths, id);
  }
}
