/**
 * The container operations that read or change a record without touching the lifecycle:
 * inspect, list, pause/unpause, rename, live update, resize, top, stats, prune. Each takes
 * the service (containers.ts) as its first argument.
 */
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { EndpointSettings, HostConfig } from '../core/docker.js';
import { conflict, invalid } from '../core/errors.js';
import { resizeTerminal } from '../runtime/monitor.js';
import type { OciRuntime } from '../runtime/oci.js';
import { buildResources, cgroupsPath } from '../runtime/spec.js';
import { nameConflict, type ContainerRecord } from './containers-store.js';
import { inspectView, summaryView } from './containers-views.js';
import { listFilter, pruneFilter } from './containers-filters.js';
import { verifyCpuResources } from './containers-resources.js';
import { matchesHealth, withHealthStatus, type HealthMonitor } from './containers-health.js';
import type { ContainerListOptions } from './types.js';
import { dirSize } from './volumes.js';
import { topOf, type OpsHost } from './containers-ops.js';
import { statsStream } from './containers-stats.js';

/** What these operations need of the service. */
export interface AdminHost extends OpsHost {
  o: OpsHost['o'] & { dataRoot: string; runtime: string; images?: { resolveForContainer(name: string): Promise<{ id: string }> } };
  health: Pick<HealthMonitor, 'get'>;
  execs: { idsFor(id: string): string[] };
  runtimeFor(c: ContainerRecord): OciRuntime;
  event(c: ContainerRecord, action: string, attrs?: Record<string, string>): void;
  remove(id: string, opts: { force?: boolean }): Promise<void>;
}

export async function inspect(svc: AdminHost, idOrName: string, opts: { size?: boolean } = {}): Promise<Record<string, unknown>> {
  const c = svc.store.resolve(idOrName);
  const v = inspectView(c, svc.paths, svc.o.runtime, svc.execs.idsFor(c.id));
  return { ...v, State: { ...(v.State as object), Health: svc.health.get(c.id) }, ...opts.size ? await sizes(svc, c) : {} };
}

const layerSizes = new Map<string, number>();

/** SizeRw (the container's upper dir) and SizeRootFs (that plus its image layers, each counted once and cached). */
async function sizes(svc: AdminHost, c: ContainerRecord): Promise<{ SizeRw: number; SizeRootFs: number }> {
  const rw = Math.max(0, await dirSize(join(svc.paths.dir(c.id), 'upper')));
  let lower = 0;
  for (const l of c.layerDirs) {
    let n = layerSizes.get(l);
    if (n === undefined) layerSizes.set(l, (n = Math.max(0, await dirSize(l))));
    lower += n;
  }
  return { SizeRw: rw, SizeRootFs: rw + lower };
}

export async function list(svc: AdminHost, opts: ContainerListOptions): Promise<Record<string, unknown>[]> {
  const all = svc.store.all();
  const f = opts.filters ?? {};
  const filter = await listFilter(f, { all, resolve: (n) => svc.store.resolve(n),
    imageId: (ref) => svc.o.images ? svc.o.images.resolveForContainer(ref).then((i) => i.id, () => undefined) : Promise.resolve(undefined) });
  // like dockerd, a limit (ps -n, -l) or a status filter lists containers in every state
  let cs = all.filter((c) => opts.all || (opts.limit ?? 0) > 0 || c.state.Running || (f.status?.length ?? 0) > 0);
  let rows = cs.map((c) => summaryView(c, svc.o.dataRoot));
  const kept = cs.map((c, i) => filter(c, rows[i]!) && matchesHealth(f.health, svc.health.get(c.id)));
  cs = cs.filter((_, i) => kept[i]);
  rows = rows.filter((_, i) => kept[i]);
  if (opts.limit && opts.limit > 0) { cs = cs.slice(0, opts.limit); rows = rows.slice(0, opts.limit); }
  rows = rows.map((r, i) => withHealthStatus(r, cs[i]!, svc.health.get(cs[i]!.id)));
  if (opts.size) await Promise.all(rows.map(async (r, i) => Object.assign(r, await sizes(svc, cs[i]!))));
  return rows;
}

export async function pause(svc: AdminHost, idOrName: string): Promise<void> {
  const c = svc.store.resolve(idOrName);
  if (!c.state.Running) throw conflict(`Container ${c.id} is not running`);
  if (c.state.Paused) throw conflict(`Container ${c.id} is already paused`);
  await svc.runtimeFor(c).pause(c.id);
  c.state = { ...c.state, Status: 'paused', Paused: true };
  svc.store.save(c);
  svc.event(c, 'pause');
}

export async function unpause(svc: AdminHost, idOrName: string): Promise<void> {
  const c = svc.store.resolve(idOrName);
  if (!c.state.Paused) throw conflict(`Container ${c.id} is not paused`);
  await svc.runtimeFor(c).resume(c.id);
  c.state = { ...c.state, Status: 'running', Paused: false };
  svc.store.save(c);
  svc.event(c, 'unpause');
}

export function rename(svc: AdminHost, idOrName: string, newName: string): void {
  const c = svc.store.resolve(idOrName);
  const name = newName.replace(/^\//, '');
  // dockerd's words: "Error when allocating new name: ..." around the name checks
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(name)) throw invalid(`Error when allocating new name: Invalid container name (/${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  if (name === c.name) throw invalid('Renaming a container with the same name as its current name');
  const other = svc.store.byName(name);
  if (other) { const e = nameConflict(name, other.id); e.message = `Error when allocating new name: ${e.message}`; throw e; }
  const old = c.name;
  c.name = name;
  // dockerd renames the container's DNS names on its networks too
  svc.o.networker?.rename?.(c.id, name);
  for (const ep of Object.values(c.network?.networks ?? {}) as EndpointSettings[]) if (ep.DNSNames?.[0] === old) ep.DNSNames = [name, ...ep.DNSNames.slice(1)];
  svc.store.save(c);
  svc.event(c, 'rename', { oldName: `/${old}` });
}

export async function update(svc: AdminHost, idOrName: string, hc: HostConfig): Promise<{ Warnings: string[] }> {
  const c = svc.store.resolve(idOrName);
  const next = { ...c.hostConfig, ...Object.fromEntries(Object.entries(hc).filter(([, v]) => v !== undefined && v !== 0 && v !== '')) } as HostConfig;
  if (hc.RestartPolicy?.Name && c.hostConfig.AutoRemove) throw invalid('Restart policy cannot be updated because AutoRemove is enabled for the container');
  verifyCpuResources(hc);
  const swap = c.hostConfig.MemorySwap ?? 0;
  if (hc.Memory && !hc.MemorySwap && swap > 0 && hc.Memory > swap) {
    throw conflict(`Cannot update container ${c.id}: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time`);
  }
  if (c.state.Running) await svc.runtimeFor(c).update(c.id, buildResources(next, false));
  c.hostConfig = next;
  svc.store.save(c);
  svc.event(c, 'update');
  return { Warnings: [] };
}

export function resize(svc: AdminHost, idOrName: string, h: number, w: number): void {
  const c = svc.store.resolve(idOrName);
  if (!c.state.Running) throw conflict(`Container ${c.id} is not running`);
  if (c.config.Tty) resizeTerminal(svc.paths.bundle(c.id), h, w);
}

export function top(svc: AdminHost, idOrName: string, psArgs?: string): Promise<{ Titles: string[]; Processes: string[][] }> {
  const c = svc.store.resolve(idOrName);
  if (!c.state.Running) throw conflict(`Container ${c.id} is not running`);
  return topOf(svc.cgroups.pids(cgroupsPath(svc.o.instance, c.id, c.hostConfig.CgroupParent)), psArgs);
}

export function stats(svc: AdminHost, idOrName: string, opts: { stream: boolean; oneShot?: boolean }): Readable {
  return statsStream(svc, svc.store.resolve(idOrName), opts);
}

export async function prune(svc: AdminHost, filters: Record<string, string[]>): Promise<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }> {
  const gone: string[] = [];
  const wanted = pruneFilter(filters);
  for (const c of svc.store.all()) {
    if (c.state.Running || !wanted(c)) continue;
    await svc.remove(c.id, {}).then(() => gone.push(c.id), () => {});
  }
  return { ContainersDeleted: gone.length ? gone : null, SpaceReclaimed: 0 };
}
