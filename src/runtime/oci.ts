/**
 * The OCI runtime driver: crun (default) or runc through its CLI, each daemon with its
 * own state root (<execRoot>/runtime/<name>) so daemons never see each other's
 * containers. Containers are created through conmon (monitor.ts), which runs
 * `<runtime> create`; everything else is a direct runtime call.
 */
import { readFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync, openSync, closeSync, unlinkSync, writeSync, constants } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { sealedExecutable } from '../platform/spawn.js';
import { run } from '../platform/exec.js';
import { EngineError, notFound, precondition } from '../core/errors.js';
import type { OciResources } from './spec-types.js';

export type RuntimeName = 'crun' | 'runc';

export interface RuntimeState {
  id: string;
  pid: number;
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped';
  bundle: string;
}

export interface OciRuntimeOptions {
  name: RuntimeName;
  /** State dir for `--root`, e.g. <execRoot>/runtime/crun. */
  root: string;
  /** Binary path (default /usr/bin/<name>). */
  path?: string;
}

/**
 * Whether crun can run on this host. crun 1.8 refuses a "hybrid" layout whose cgroup2
 * hierarchy (mounted at /sys/fs/cgroup/unified) holds controllers; scripts/setup-host.sh
 * moves them to v1. Returns the reason when it cannot.
 */
export function crunBlocker(cgroupRoot = '/sys/fs/cgroup'): string | null {
  if (!existsSync('/usr/bin/crun')) return 'crun is not installed';
  const f = `${cgroupRoot}/unified/cgroup.controllers`;
  try {
    const ctrls = readFileSync(f, 'utf8').trim();
    if (ctrls) return `the cgroup v2 hierarchy at ${cgroupRoot}/unified holds controllers (${ctrls}); run scripts/setup-host.sh`;
  } catch { /* no hybrid hierarchy */ }
  return null;
}

/** Picks the runtime to use: `preferred` when it can run here, else runc, logging why. */
export function chooseRuntime(preferred: RuntimeName, log: (msg: string) => void = () => {}): RuntimeName {
  if (preferred !== 'crun') return preferred;
  const why = crunBlocker();
  if (!why) return 'crun';
  log(`crun cannot run containers on this host (${why}); falling back to runc`);
  return 'runc';
}

export class OciRuntime {
  readonly name: RuntimeName;
  readonly path: string;
  readonly root: string;

  constructor(opts: OciRuntimeOptions) {
    this.name = opts.name;
    this.path = opts.path ?? `/usr/bin/${opts.name}`;
    this.root = opts.root;
  }

  /**
   * The binary to execute: for crun, once the spawn helper holds it, a sealed in-memory copy
   * (platform/spawn.ts sealedExecutable: crun then skips copying and re-executing itself on
   * each call, ~3 ms of CPU; HAKO_CRUN_SEALED=0 turns this off), linked as
   * <execRoot>/runtime/bin/crun; else `path`.
   */
  get execPath(): string {
    if (this.name !== 'crun' || process.env.HAKO_CRUN_SEALED === '0') return this.path;
    return sealedExecutable(this.path, join(dirname(this.root), 'bin', this.name)) ?? this.path;
  }

  /** Args conmon passes on to the runtime (`--runtime-arg`). */
  globalArgs(): string[] {
    return ['--root', this.root];
  }

  private async call(args: string[], input?: string): Promise<string> {
    try {
      const r = await run(this.execPath, [...this.globalArgs(), ...args], { input, timeoutMs: 30000 });
      return r.stdout;
    } catch (e) {
      throw mapRuntimeError(e, args[1] ?? '');
    }
  }

  /** Starts a created container (the process conmon's `create` left waiting). */
  async start(id: string): Promise<void> {
    if (this.name === 'crun' && process.env.HAKO_CRUN_FIFO_START !== '0' && this.startByFifo(id)) return;
    await this.call(['start', id]);
  }

  /**
   * What `crun start` does for a container without poststart hooks (hako sets none), done
   * in-process to spare a spawn: the container's init waits reading <root>/<id>/exec.fifo;
   * open it for writing, unlink it (crun reads "running" from its absence) and write one
   * byte. False when no init is waiting (ENXIO: no reader) or crun keeps no such file:
   * the caller runs `crun start`, which reports the state in crun's words.
   */
  private startByFifo(id: string): boolean {
    const fifo = join(this.root, id, 'exec.fifo');
    let fd: number;
    try { fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK); } catch { return false; }
    try {
      unlinkSync(fifo);
      writeSync(fd, Buffer.from([0]));
    } catch (e) {
      throw new EngineError('Internal', `cannot start container ${id}: ${(e as Error).message}`, { cause: e });
    } finally { closeSync(fd); }
    return true;
  }

  async kill(id: string, signal: string | number = 'KILL', all = false): Promise<void> {
    const sig = typeof signal === 'number' ? String(signal) : signal.replace(/^SIG/i, '').toUpperCase();
    await this.call(['kill', ...(all ? ['--all'] : []), id, sig]);
  }

  async delete(id: string, force = true): Promise<void> {
    try {
      await this.call(['delete', ...(force ? ['--force'] : []), id]);
    } catch (e) {
      if (!(e instanceof EngineError && e.code === 'NotFound')) throw e;
    }
  }

  /**
   * Whether `forgetExited` may stand in for `delete`: crun, and the init pid in crun's
   * status no longer exists. False when unsure (runc, a live or unreadable pid).
   */
  initGone(id: string): boolean {
    if (this.name !== 'crun') return false;
    try {
      const pid = Number((JSON.parse(readFileSync(join(this.root, id, 'status'), 'utf8')) as { pid?: number }).pid) || 0;
      return pid > 0 && !pidExists(pid);
    } catch { return false; }
  }

  /**
   * What `crun delete` does for a container whose init is gone (initGone), without the
   * spawn (hako sets no poststop hooks): the caller removes the cgroup first
   * (CgroupReader.remove, the same dirs crun would), then this removes the state dir.
   */
  async forgetExited(id: string): Promise<void> {
    await rm(this.stateDir(id), { recursive: true, force: true });
  }

  /** The runtime's state dir of `id` under --root (what forgetExited removes). */
  stateDir(id: string): string {
    return join(this.root, id);
  }

  /** The command line of `delete --force <id>`, for callers that batch host commands into one spawn. */
  deleteArgv(id: string): string[] {
    return [this.execPath, ...this.globalArgs(), 'delete', '--force', id];
  }

  /**
   * Whether the runtime may hold state for `id` (its dir under --root exists: crun's
   * status, runc's state.json). False means `delete` would be a no-op, so callers skip
   * the spawn; true is only a hint (the dir may be half-written).
   */
  known(id: string): boolean {
    return existsSync(join(this.root, id));
  }

  /** Ids the runtime holds state for under --root (boot reconcile), without a spawn. */
  knownIds(): string[] {
    try { return readdirSync(this.root, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name); } catch { return []; }
  }

  /** The runtime's view, or null when it does not know the container. */
  async state(id: string): Promise<RuntimeState | null> {
    try {
      const s = JSON.parse(await this.call(['state', id])) as RuntimeState;
      return s;
    } catch (e) {
      if (e instanceof EngineError && e.code === 'NotFound') return null;
      throw e;
    }
  }

  async list(): Promise<RuntimeState[]> {
    const out = await this.call(['list', '--format', 'json']);
    return (JSON.parse(out.trim() || '[]') ?? []) as RuntimeState[];
  }

  async pause(id: string): Promise<void> { await this.call(['pause', id]); }
  async resume(id: string): Promise<void> { await this.call(['resume', id]); }

  /**
   * Live resource update: `<runtime> update --resources <file> <id>` with the OCI resources
   * JSON. A file, not `-`: crun opens /dev/stdin, which fails (ENXIO) on the socketpair
   * node gives a child as stdin.
   */
  async update(id: string, r: OciResources): Promise<void> {
    mkdirSync(this.root, { recursive: true });
    const file = join(this.root, `update-${id}-${process.pid}-${Date.now()}.json`);
    writeFileSync(file, JSON.stringify(r));
    try {
      await this.call(['update', '--resources', file, id]);
    } finally {
      rmSync(file, { force: true });
    }
  }
}

function pidExists(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

function mapRuntimeError(e: unknown, id: string): EngineError {
  const msg = e instanceof Error ? e.message : String(e);
  if (/does not exist|not found|No such file or directory/i.test(msg) && !/exec/.test(msg)) return notFound(`No such container: ${id}`, e);
  if (/not running|is not running|container not running|cannot .* stopped|is stopped/i.test(msg)) return precondition(msg, e);
  return e instanceof EngineError ? e : new EngineError('Internal', msg, { cause: e });
}
