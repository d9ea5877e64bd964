/**
 * ContainerService over the OCI runtime (crun/runc) and conmon. One record per
 * container in SQLite; conmon outlives the daemon, and restore() finds containers
 * again at boot. Lifecycle and exit handling live here; views, create merge, host
 * pieces, bundle + conmon launch, record-only operations (containers-admin.ts) and the
 * runtime bits in containers-*.ts.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { ContainerCreateBody, HostConfig } from '../core/docker.js';
import { EngineError, conflict, invalid } from '../core/errors.js';
import type { Db } from '../platform/sqlite.js';
import { OciRuntime, type RuntimeName } from '../runtime/oci.js';
import { ExitWatcher, wasOomKilled } from '../runtime/monitor.js';
import { readLog } from '../runtime/logs.js';
import { hostCgroups, type CgroupReader } from '../runtime/cgroups.js';
import { cgroupsPath, hostnameOf } from '../runtime/spec.js';
import type { DaemonSeccomp } from '../runtime/seccomp.js';
import { SeccompBpfCache } from '../runtime/seccomp-cache.js';
import type { AttachOptions, AttachSession, ContainerListOptions, ContainerNetworker, ContainerService, EventService, ExecCreateBody, ImageResolver, LogsOptions, VolumeMounter } from './types.js';
import { volumeNamesOf } from './volumes.js';
import { ContainerStore, nameConflict, type ContainerRecord, ZERO_TIME } from './containers-store.js';
import { writeBundle, launch } from './containers-bundle.js';
import * as admin from './containers-admin.js';
import { mountStateTmpfs, unmountIdleStateTmpfs } from './containers-statefs.js';
import { ContainerPaths, mountRootfs, writeEtcFiles, HostBatch, settled, exitFileAge, exitTime, killInit } from './containers-host.js';
import { buildRecord, shouldRestart } from './containers-create.js';
import { planNamespaces, connectNetwork, attachSession, signalNumber } from './containers-ops.js';
import { ExecManager } from './containers-exec.js';
import { HealthMonitor } from './containers-health.js';
import * as archive from './containers-archive.js';
import { restoreContainers } from './containers-restore.js';
import { UsernsRemapper, prepareRemappedStorage, type IdMapping } from './userns.js';
import { prepareNetworks } from './containers-networks.js';
import { checkReadableLogs } from './containers-logconfig.js';
import { copyUpVolumes, createBindSources, prepareVolumes, removeAnonymousVolumes } from './containers-volumes.js';
import { Steps, startChannel, exitChannel, removeChannel } from './containers-trace.js';
import { Waiters, type WaitResult } from './containers-waiters.js';
import { releaseResources, removeHostObjects } from './containers-release.js';

export interface ContainerServiceOptions {
  db: Db;
  dataRoot: string;
  execRoot: string;
  /** Daemon instance name: the cgroup parent and prefix of host objects. */
  instance: string;
  runtime: RuntimeName;
  images: ImageResolver;
  events: EventService;
  networker?: ContainerNetworker;
  volumes?: VolumeMounter;
  cgroups?: CgroupReader;
  /** `hakod --seccomp-profile`: builtin (default), unconfined, or a decoded profile file. */
  seccomp?: DaemonSeccomp;
  /** User namespace remapping (daemon-wide --userns-remap and per-container UsernsMode "remap"). */
  userns?: UsernsRemapper;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  /** Containers' run-time state on tmpfs mounts when the exec root is on a disk (containers-statefs.ts). */
  stateTmpfs?: boolean;
}

export class OciContainerService implements ContainerService {
  readonly store: ContainerStore;
  readonly paths: ContainerPaths;
  /** The daemon's default runtime; runtimeFor() gives a container's own (HostConfig.Runtime). */
  readonly runtime: OciRuntime;
  readonly runtimes: Record<RuntimeName, OciRuntime>;
  readonly cgroups: CgroupReader;
  readonly exits: ExitWatcher;
  private readonly waiters = new Waiters();
  /** Network teardowns still running after an exit, by container id. */
  readonly netTeardowns = new Map<string, Promise<void>>();
  private readonly pendingAttach = new Map<string, ((bundle: string) => Promise<void>)[]>();
  /** Ids being force-removed: their exit skips the host release, which remove() defers. */
  private readonly removing = new Set<string>();
  private readonly cleanups = new Set<Promise<void>>();
  readonly hostBatch = new HostBatch();
  readonly execs: ExecManager;
  readonly health: HealthMonitor;
  readonly seccompBpf = new SeccompBpfCache();
  readonly userns: UsernsRemapper;
  private readonly stateMounts: string[];

  constructor(readonly o: ContainerServiceOptions) {
    this.stateMounts = o.stateTmpfs ? mountStateTmpfs(o.execRoot, o.log) : []; // before anything is written there
    this.store = new ContainerStore(o.db);
    this.paths = new ContainerPaths(o.dataRoot, o.execRoot);
    const rt = (name: RuntimeName) => new OciRuntime({ name, root: join(o.execRoot, 'runtime', name) });
    this.runtimes = { crun: rt('crun'), runc: rt('runc') };
    this.runtime = this.runtimes[o.runtime];
    this.cgroups = o.cgroups ?? hostCgroups();
    this.exits = new ExitWatcher(this.paths.exitDir);
    this.execs = new ExecManager(this);
    this.health = new HealthMonitor(this);
    this.userns = o.userns ?? new UsernsRemapper();
  }

  /** The OCI runtime that runs (or will run) `c`: HostConfig.Runtime, else the daemon's default. */
  runtimeFor(c: ContainerRecord): OciRuntime {
    return this.runtimes[c.hostConfig.Runtime as RuntimeName] ?? this.runtime;
  }

  close(): void { this.exits.close(); unmountIdleStateTmpfs(this.stateMounts); }

  event(c: ContainerRecord, Action: string, attrs: Record<string, string> = {}): void {
    this.o.events.emit({ Type: 'container', Action, Actor: { ID: c.id, Attributes: { name: c.name, image: c.config.Image ?? '', ...c.config.Labels, ...attrs } } });
  }

  async create(body: ContainerCreateBody, name?: string): Promise<{ Id: string; Warnings: string[] }> {
    if (name && this.store.byName(name)) throw nameConflict(name.replace(/^\//, ''), this.store.byName(name)!.id);
    const image = await this.o.images.resolveForContainer(body.Image ?? '');
    const rtName = body.HostConfig?.Runtime;
    if (rtName && !(rtName in this.runtimes)) throw invalid(`Unknown runtime specified ${rtName}`);
    this.userns.validate(body.HostConfig);
    const c = buildRecord(body, name || this.store.freeRandomName(), image);
    await prepareNetworks(this.store, this.o.networker, c);
    prepareVolumes(this.store, this.o.volumes, c);
    for (const v of volumeNamesOf(c.hostConfig)) this.o.volumes?.ensure(v);
    this.store.insert(c);
    await mkdir(this.paths.dir(c.id), { recursive: true });
    this.event(c, 'create');
    const hostPorts = c.hostConfig.NetworkMode === 'host' && Object.keys(c.hostConfig.PortBindings ?? {}).length > 0;
    return { Id: c.id, Warnings: hostPorts ? ['Published ports are discarded when using host network mode'] : [] };
  }

  /** The recipe: rootfs, namespaces, network, etc files, bundle, conmon + runtime create, attach, start. */
  async start(idOrName: string): Promise<void> {
    const c = this.store.resolve(idOrName);
    if (c.state.Running) throw new EngineError('NotModified', 'container already started');
    if (c.state.Status === 'removing') throw conflict(`cannot start container ${c.id}: container is marked for removal`);
    c.hostConfig.Runtime ||= this.o.runtime; // dockerd records the runtime at the first start
    const t = new Steps(startChannel, c.id);
    try {
      if (this.runtimeFor(c).known(c.id)) await this.runtimeFor(c).delete(c.id);
      t.step('runtimeDelete');
      const idmap = await this.userns.mappingFor(c.hostConfig);
      // the etc files (they need the network's hosts and resolv.conf) are written while the rootfs mounts
      const netAndEtc = t.timed('network', this.wireNetwork(c)).then(async (r) => {
        await t.timed('writeEtcFiles', writeEtcFiles(this.paths, c, hostnameOf(c.config, c.id), r.net));
        return r;
      });
      const [rootfs, { ns }] = await settled(t.timed('storage', this.mountStorage(c)), netAndEtc);
      t.step('storageNetworkEtc');
      const bpfKey = await writeBundle(this, c, rootfs, ns, idmap); t.step('writeBundle');
      const { pid } = await launch(this, c); t.step('conmonCreate');
      if (bpfKey) this.seccompBpf.learn(bpfKey, this.runtimeFor(c).root, c.id);
      await this.connectPendingAttach(c); t.step('attach');
      await this.runtimeFor(c).start(c.id); t.step('runtimeStart');
      this.markStarted(c, pid); t.step('markStarted');
      t.done();
    } catch (e) {
      await this.failStart(c, e);
      t.done(e);
      throw e;
    }
  }

  /** The overlay rootfs and the container's volumes. */
  private async mountStorage(c: ContainerRecord): Promise<string> {
    const rootfs = await mountRootfs(this.paths, c, await this.rootfsLayers(c));
    for (const v of volumeNamesOf(c.hostConfig)) await this.o.volumes?.mount(v, c.id);
    createBindSources(c.hostConfig);
    await copyUpVolumes(rootfs, c, (v) => join(this.o.dataRoot, 'volumes', v, '_data'));
    return rootfs;
  }

  /** Namespaces to join or create, and the network wired into a new netns (concurrent with mountStorage). */
  private async wireNetwork(c: ContainerRecord) {
    await this.netTeardowns.get(c.id);
    const ns = await planNamespaces(this, c);
    return { ns, net: await connectNetwork(this, c, ns) };
  }

  private async connectPendingAttach(c: ContainerRecord): Promise<void> {
    const pending = this.pendingAttach.get(c.id) ?? [];
    this.pendingAttach.delete(c.id);
    await Promise.all(pending.map((f) => f(this.paths.bundle(c.id)).catch(() => {})));
  }

  private markStarted(c: ContainerRecord, pid: number): void {
    c.state = { ...c.state, Status: 'running', Running: true, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: pid, ExitCode: 0, Error: '', StartedAt: new Date().toISOString(), FinishedAt: ZERO_TIME };
    c.manuallyStopped = false;
    this.store.save(c);
    // start before watch: a process that already exited is reported by watch at once, and
    // its die (and an AutoRemove destroy) must not come before the start in the events
    this.event(c, 'start');
    this.exits.watch(c.id, (code) => void this.onExit(c.id, code));
    this.health.start(c);
  }

  private async failStart(c: ContainerRecord, e: unknown): Promise<void> {
    await this.releaseResources(c);
    const cur = this.store.resolve(c.id);
    cur.state = { ...cur.state, Status: cur.state.StartedAt === ZERO_TIME ? 'created' : 'exited', Running: false, Pid: 0, ExitCode: (e as { exitCode?: number }).exitCode ?? 128, Error: (e as Error).message };
    this.store.save(cur);
    this.pendingAttach.delete(c.id);
    // dockerd removes an AutoRemove container whose start failed (`run --rm` waits for that).
    if (cur.hostConfig.AutoRemove) await this.remove(c.id, { force: true, volumes: true }).catch(() => {});
  }

  /** The runtime's state and cgroup, the rootfs, the volumes; the network off the critical path (containers-release.ts). */
  releaseResources(c: ContainerRecord, batched = false): Promise<void> { return releaseResources(this, c, batched); }

  /**
   * Host clean-up of a removed container, after its record is gone (so `wait?condition=removed`
   * does not wait for it): runtime state, mounts, network, dirs. Keyed by id, which is never
   * reused; a crash midway leaves what hostLeftovers() finds and restore() sweeps.
   */
  private cleanupRemoved(c: ContainerRecord, dying = false): void {
    const p = (async () => {
      // After the replies already resolved (wait, DELETE) are written.
      await new Promise((r) => setImmediate(r));
      if (dying) await this.exitOf(c.id, 10_000);
      await removeHostObjects(this, c);
    })().catch((e) => this.o.log?.('clean-up after remove failed', { id: c.id, error: (e as Error).message }));
    this.cleanups.add(p);
    void p.finally(() => this.cleanups.delete(p));
  }

  /** Resolves once conmon wrote the exit file of `id` (or after `ms`: the runtime's delete then kills what is left). */
  private exitOf(id: string, ms: number): Promise<void> {
    return new Promise<void>((done) => {
      const timer = setTimeout(done, ms);
      this.exits.watch(id, () => { clearTimeout(timer); done(); });
    }).finally(() => this.exits.unwatch(id));
  }

  /** Resolves once the clean-ups of removed containers have finished (daemon shutdown, tests). */
  async settle(): Promise<void> {
    while (this.cleanups.size) await Promise.all([...this.cleanups]);
  }

  async onExit(id: string, code: number): Promise<void> {
    let c: ContainerRecord;
    try { c = this.store.resolve(id); } catch { return; }
    const t = new Steps(exitChannel, id);
    if (exitChannel.hasSubscribers) t.set('exitFileAge', exitFileAge(this.paths.exitDir, id));
    const oom = wasOomKilled(this.paths.persist(id)) || this.cgroups.oomKilled(cgroupsPath(this.o.instance, id, c.hostConfig.CgroupParent));
    t.step('oom');
    if (!c.hostConfig.AutoRemove && !this.removing.has(id)) await this.releaseResources(c);
    t.step('release');
    c = this.store.resolve(id);
    c.state = { ...c.state, Status: 'exited', Running: false, Paused: false, Pid: 0, ExitCode: code, OOMKilled: oom, FinishedAt: exitTime(this.paths.exitDir, id, c.state.StartedAt) };
    this.store.save(c);
    this.execs.forget(id);
    this.health.stop(id);
    if (oom) this.event(c, 'oom');
    this.event(c, 'die', { exitCode: String(code) });
    this.waiters.resolve(id, code, ['not-running', 'next-exit']);
    t.step('record'); t.done();
    if (c.hostConfig.AutoRemove) await this.remove(id, { force: true, volumes: true }).catch(() => {});
    else if (shouldRestart(c, code)) await this.restartAfterExit(c);
  }

  private async restartAfterExit(c: ContainerRecord): Promise<void> {
    c.restartCount += 1;
    c.state = { ...c.state, Status: 'restarting', Restarting: true };
    this.store.save(c);
    const delay = Math.min(100 * 2 ** Math.min(c.restartCount, 10), 60000);
    setTimeout(() => {
      this.start(c.id).catch((e) => this.o.log?.('restart failed', { id: c.id, error: (e as Error).message }));
    }, delay).unref();
  }

  wait(idOrName: string, condition = 'not-running'): Promise<WaitResult> {
    const c = this.store.resolve(idOrName);
    if (!['not-running', 'next-exit', 'removed'].includes(condition)) throw invalid(`invalid condition: "${condition}"`);
    if (condition === 'not-running' && !c.state.Running && c.state.Status !== 'restarting') {
      return Promise.resolve({ StatusCode: c.state.ExitCode, Error: null });
    }
    return this.waiters.add(c.id, condition);
  }

  async kill(idOrName: string, signal = 'KILL'): Promise<void> {
    const c = this.store.resolve(idOrName);
    if (!c.state.Running) throw conflict(`Cannot kill container: ${idOrName}: Container ${c.id} is not running`);
    signalNumber(signal);
    await this.runtimeFor(c).kill(c.id, signal);
    if (signalNumber(signal) === 9 || signal === 'KILL' || signal === 'SIGKILL') this.markManualStop(c);
    this.event(c, 'kill', { signal: String(signalNumber(signal)) });
  }

  private markManualStop(c: ContainerRecord): void {
    const cur = this.store.resolve(c.id);
    cur.manuallyStopped = true;
    this.store.save(cur);
  }

  async stop(idOrName: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    const c = this.store.resolve(idOrName);
    if (!c.state.Running) throw new EngineError('NotModified', 'container already stopped');
    this.markManualStop(c);
    const exited = this.wait(c.id, 'not-running');
    if (c.state.Paused) await this.runtimeFor(c).resume(c.id).catch(() => {});
    const sig = opts.signal || c.config.StopSignal || 'TERM';
    const timeout = opts.timeout ?? c.config.StopTimeout ?? 10;
    await this.runtimeFor(c).kill(c.id, sig).catch(() => {});
    this.event(c, 'kill', { signal: String(signalNumber(sig)) }); // dockerd's events: kill 15 [, kill 9], die, stop
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), Math.max(0, timeout) * 1000).unref());
    if ((await Promise.race([exited, timer])) === 'timeout') {
      await this.runtimeFor(c).kill(c.id, 'KILL', true).catch(() => {});
      this.event(c, 'kill', { signal: '9' });
    }
    await exited;
    let cur = c;
    try { cur = this.store.resolve(c.id); } catch { /* an AutoRemove container is already gone: still a success */ }
    this.event(cur, 'stop');
  }

  async restart(idOrName: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    const c = this.store.resolve(idOrName);
    try {
      if (c.state.Running) await this.stop(c.id, opts);
      await this.start(c.id);
    } catch (e) {
      // dockerd's words: "Cannot restart container <name as given>: <cause>"
      if (!(e instanceof EngineError)) throw e;
      throw new EngineError(e.code, `Cannot restart container ${idOrName}: ${e.message}`, { cause: e });
    }
    this.event(c, 'restart');
  }

  async remove(idOrName: string, opts: { force?: boolean; volumes?: boolean; link?: boolean } = {}): Promise<void> {
    const c = this.store.resolve(idOrName);
    if (c.state.Running && !opts.force) {
      throw conflict(`cannot remove container "/${c.name}": container is running: stop the container before removing or force remove`);
    }
    const t = new Steps(removeChannel, c.id);
    // SIGKILL to the init of its own pid namespace: everything in it is dying. The record goes
    // now (docker's answer: gone from the list); the host clean-up waits for conmon's exit file.
    const dying = c.state.Running && killInit(c);
    if (c.state.Running) this.event(c, 'kill', { signal: '9' }); // dockerd's rm -f: kill 9, die, destroy
    if (dying) this.recordKilled(c);
    else if (c.state.Running) {
      const exited = this.wait(c.id, 'not-running');
      this.markManualStop(c);
      this.removing.add(c.id);
      try {
        await this.runtimeFor(c).kill(c.id, 'KILL', true).catch(() => {});
        t.step('kill');
        await exited; t.step('exited');
      } finally { this.removing.delete(c.id); }
    }
    this.exits.unwatch(c.id);
    this.store.delete(c.id);
    this.execs.forget(c.id);
    this.health.stop(c.id, true);
    this.event(c, 'destroy');
    // rm -v / run --rm: its anonymous volumes are gone before the answer, as with dockerd
    if (opts.volumes) await removeAnonymousVolumes(this.o.volumes, c.hostConfig, c.id).catch(() => {});
    this.waiters.resolve(c.id, c.state.ExitCode, ['removed', 'not-running', 'next-exit']);
    t.step('record'); t.done();
    this.cleanupRemoved(c, dying);
  }

  /** The exit of a container remove() just SIGKILLed, as onExit would record it (137). */
  private recordKilled(c: ContainerRecord): void {
    this.exits.unwatch(c.id);
    c.state = { ...c.state, Status: 'exited', Running: false, Paused: false, Pid: 0, ExitCode: 137, FinishedAt: new Date().toISOString() };
    this.event(c, 'die', { exitCode: '137' });
    this.waiters.resolve(c.id, 137, ['not-running', 'next-exit']);
  }

  inspect(idOrName: string, opts?: { size?: boolean }): Promise<Record<string, unknown>> { return admin.inspect(this, idOrName, opts); }
  list(opts: ContainerListOptions): Promise<Record<string, unknown>[]> { return admin.list(this, opts); }

  async logs(idOrName: string, opts: LogsOptions): Promise<{ tty: boolean; output: Readable }> {
    const c = this.store.resolve(idOrName);
    checkReadableLogs(c.hostConfig.LogConfig);
    const stopped = opts.follow && c.state.Running ? this.wait(c.id, 'not-running') : undefined;
    return { tty: !!c.config.Tty, output: readLog(this.paths.logPath(c.id), { ...opts, follow: !!stopped, stopped }) };
  }

  async attach(idOrName: string, opts: AttachOptions): Promise<{ tty: boolean; session: AttachSession }> {
    const c = this.store.resolve(idOrName);
    this.event(c, 'attach');
    const session = attachSession(opts, (connect) => {
      if (c.state.Running) void connect(this.paths.bundle(c.id)).catch(() => {});
      else this.pendingAttach.set(c.id, [...(this.pendingAttach.get(c.id) ?? []), connect]);
    }, () => Promise.resolve().then(() => this.wait(c.id, 'not-running')).catch(() => {}));
    return { tty: !!c.config.Tty, session };
  }

  async resize(idOrName: string, h: number, w: number): Promise<void> { admin.resize(this, idOrName, h, w); }
  pause(idOrName: string): Promise<void> { return admin.pause(this, idOrName); }
  unpause(idOrName: string): Promise<void> { return admin.unpause(this, idOrName); }
  async rename(idOrName: string, newName: string): Promise<void> { admin.rename(this, idOrName, newName); }
  update(idOrName: string, hc: HostConfig): Promise<{ Warnings: string[] }> { return admin.update(this, idOrName, hc); }
  async top(idOrName: string, psArgs?: string): Promise<{ Titles: string[]; Processes: string[][] }> { return admin.top(this, idOrName, psArgs); }
  async stats(idOrName: string, opts: { stream: boolean; oneShot?: boolean }): Promise<Readable> { return admin.stats(this, idOrName, opts); }

  /** The overlay lower dirs of c: its image layers, or their id-shifted copies when it runs in a user namespace. */
  async rootfsLayers(c: ContainerRecord): Promise<string[]> {
    const m = await this.userns.mappingFor(c.hostConfig);
    return m ? prepareRemappedStorage(this.paths.dir(c.id), this.o.dataRoot, c.layerDirs, m) : c.layerDirs;
  }

  /** The id mapping of a container in a user namespace, else undefined (commit and build map owners back). */
  idShiftOf(idOrName: string): Promise<IdMapping | undefined> { return this.userns.mappingFor(this.store.resolve(idOrName).hostConfig); }

  /** Boot-time reconcile (containers-restore.ts). */
  restore(): Promise<void> { return restoreContainers(this); }

  changes(idOrName: string): Promise<{ Path: string; Kind: 0 | 1 | 2 }[] | null> { return archive.changes(this, idOrName); }
  export(idOrName: string): Promise<Readable> { return archive.exportRootfs(this, idOrName); }
  archiveGet(idOrName: string, path: string): Promise<{ stat: Record<string, unknown>; tar: Readable }> { return archive.archiveGet(this, idOrName, path); }
  archiveStat(idOrName: string, path: string): Promise<Record<string, unknown>> { return archive.archiveStat(this, idOrName, path); }
  archivePut(idOrName: string, path: string, tar: Readable, o: { noOverwriteDirNonDir?: boolean }): Promise<void> { return archive.archivePut(this, idOrName, path, tar, o); }
  async execCreate(idOrName: string, b: ExecCreateBody): Promise<{ Id: string }> { return this.execs.create(idOrName, b); }
  execStart(id: string, o: { Detach?: boolean; Tty?: boolean; ConsoleSize?: [number, number] | null; beforeLaunch?: (tty: boolean) => void }): Promise<{ tty: boolean; session?: AttachSession }> { return this.execs.start(id, o); }
  async execInspect(id: string): Promise<Record<string, unknown>> { return this.execs.inspect(id); }
  async execResize(id: string, h: number, w: number): Promise<void> { this.execs.resize(id, h, w); }

  prune(filters: Record<string, string[]>): Promise<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }> { return admin.prune(this, filters); }
}
