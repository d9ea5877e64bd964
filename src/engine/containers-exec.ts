/**
 * Exec sessions of running containers (docker exec), kept in memory as dockerd keeps
 * them: created, started once, inspectable until the container stops or is removed.
 * The process spec is the container's own (bundle config.json: env, caps, rlimits,
 * apparmor) with the exec's args, env, user, cwd and terminal; conmon runs it
 * (runtime/exec.ts). Health checks run through run() here too.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { conflict, notFound } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { conmonExec, ExecStartError, type ExecHandle } from '../runtime/exec.js';
import type { OciRuntime } from '../runtime/oci.js';
import type { OciProcess, OciSpec } from '../runtime/spec-types.js';
import { ALL_CAPS } from '../runtime/spec-defaults.js';
import { resolveUser } from '../runtime/spec-user.js';
import type { AttachSession, ExecCreateBody, OutputChunk } from './types.js';
import type { ContainerRecord, ContainerStore } from './containers-store.js';
import type { ContainerPaths } from './containers-host.js';
import { readRootfsFile } from './containers-host.js';

export interface ExecHost {
  store: ContainerStore;
  paths: ContainerPaths;
  runtimeFor(c: ContainerRecord): OciRuntime;
  event(c: ContainerRecord, action: string, attrs?: Record<string, string>): void;
}

interface ExecRecord {
  id: string;
  containerId: string;
  body: ExecCreateBody;
  running: boolean;
  started: boolean;
  exitCode: number | null;
  pid: number;
  handle?: ExecHandle;
}

export class ExecManager {
  private readonly execs = new Map<string, ExecRecord>();

  constructor(private readonly host: ExecHost) {}

  idsFor(containerId: string): string[] {
    return [...this.execs.values()].filter((e) => e.containerId === containerId).map((e) => e.id);
  }

  /** Forgets a container's execs (it stopped or was removed); their processes died with it. */
  forget(containerId: string): void {
    for (const e of this.execs.values()) if (e.containerId === containerId) this.execs.delete(e.id);
  }

  create(idOrName: string, body: ExecCreateBody): { Id: string } {
    const c = runningContainer(this.host.store, idOrName);
    const id = newId();
    this.execs.set(id, { id, containerId: c.id, body, running: false, started: false, exitCode: null, pid: 0 });
    this.host.event(c, `exec_create: ${execAction(body.Cmd)}`, { execID: id });
    return { Id: id };
  }

  private get(execId: string): ExecRecord {
    const e = this.execs.get(execId) ?? [...this.execs.values()].find((x) => x.id.startsWith(execId) && execId.length >= 12);
    if (!e) throw notFound(`No such exec instance: ${execId}`);
    return e;
  }

  async start(execId: string, opts: { Detach?: boolean; Tty?: boolean; ConsoleSize?: [number, number] | null; beforeLaunch?: (tty: boolean) => void }): Promise<{ tty: boolean; session?: AttachSession }> {
    const e = this.get(execId);
    if (e.started) throw conflict(`Error: Exec command ${e.id} has already run`);
    const c = runningContainer(this.host.store, e.containerId);
    e.started = true;
    const b = e.body;
    const tty = !!(opts.Tty ?? b.Tty);
    const attach = !opts.Detach && !!(b.AttachStdin || b.AttachStdout || b.AttachStderr);
    let handle: ExecHandle;
    if (attach) opts.beforeLaunch?.(tty);
    try {
      handle = await this.launch(c, e, { tty, attach, consoleSize: opts.ConsoleSize ?? b.ConsoleSize ?? null });
    } catch (err) {
      // dockerd has hijacked the connection by now and writes the error on the stream; the CLI then reads ExitCode.
      // Any failure then (also "unable to find user x" before the runtime ran) goes in-band.
      if (!attach) throw err;
      const output = new PassThrough({ objectMode: true });
      output.end({ stream: 1, data: Buffer.from(`${(err as Error).message}\r\n`) });
      return { tty, session: { output, close: () => {} } };
    }
    if (!attach || !handle.io) return { tty };
    return { tty, session: sessionOf(handle, { stdin: !!b.AttachStdin, stdout: b.AttachStdout !== false, stderr: b.AttachStderr !== false }) };
  }

  private async launch(c: ContainerRecord, e: ExecRecord, o: { tty: boolean; attach: boolean; consoleSize: [number, number] | null }): Promise<ExecHandle> {
    const dir = join(this.host.paths.execRoot, 'exec', e.id);
    const b = e.body;
    let handle: ExecHandle;
    try {
      const process = execProcess(this.host.paths, c, b, o.tty, o.consoleSize);
      handle = await conmonExec(this.host.runtimeFor(c), { containerId: c.id, execId: e.id, dir, process, tty: o.tty, stdin: !!b.AttachStdin && o.attach, attach: o.attach });
    } catch (err) {
      e.exitCode = err instanceof ExecStartError ? err.exitCode : 126;
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    Object.assign(e, { handle, pid: handle.pid, running: true });
    this.host.event(c, `exec_start: ${execAction(b.Cmd)}`, { execID: e.id });
    void handle.exited.then((code) => {
      Object.assign(e, { running: false, exitCode: code, pid: 0, handle: undefined });
      rmSync(dir, { recursive: true, force: true });
      this.host.event(c, 'exec_die', { execID: e.id, exitCode: String(code) });
    });
    return handle;
  }

  inspect(execId: string): Record<string, unknown> {
    const e = this.get(execId);
    const b = e.body;
    return {
      ID: e.id, Running: e.running, ExitCode: e.running || !e.started ? null : e.exitCode, CanRemove: false, ContainerID: e.containerId,
      DetachKeys: b.DetachKeys ?? '', OpenStdin: !!b.AttachStdin, OpenStderr: !!b.AttachStderr, OpenStdout: !!b.AttachStdout, Pid: e.pid,
      ProcessConfig: { tty: !!b.Tty, entrypoint: b.Cmd[0], arguments: b.Cmd.slice(1), privileged: !!b.Privileged, user: b.User ?? '' },
    };
  }

  resize(execId: string, h: number, w: number): void {
    const e = this.get(execId);
    if (!e.running || !e.handle) throw conflict(`Exec ${e.id} is not running`);
    if (e.body.Tty) e.handle.resize(h, w);
  }

  /** Runs a command to completion (health checks): exit code and up to `max` bytes of output. */
  async run(c: ContainerRecord, cmd: string[], timeoutMs: number, max = 4096): Promise<{ exitCode: number; output: string; timedOut: boolean }> {
    const { Id } = this.create(c.id, { Cmd: cmd, AttachStdout: true, AttachStderr: true });
    const e = this.get(Id);
    e.started = true;
    try {
      const h = await this.launch(c, e, { tty: false, attach: true, consoleSize: null });
      let out = '';
      h.io!.output.on('data', (ch: OutputChunk) => { if (out.length < max) out += ch.data.toString(); });
      const drained = new Promise<void>((r) => { h.io!.output.on('end', r); h.io!.output.on('close', r); h.io!.output.on('error', () => r()); });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), timeoutMs); });
      const r = await Promise.race([h.exited.then(async (code) => { await drained; return code; }), timeout]);
      clearTimeout(timer);
      if (r === 'timeout') {
        if (e.pid > 0) try { process.kill(e.pid, 'SIGKILL'); } catch { /* gone */ }
        h.io!.close();
        return { exitCode: -1, output: `Health check exceeded timeout (${timeoutMs / 1000}s)`, timedOut: true };
      }
      return { exitCode: r, output: out.slice(0, max), timedOut: false };
    } catch (err) {
      return { exitCode: e.exitCode ?? 126, output: (err as Error).message, timedOut: false };
    } finally {
      this.execs.delete(Id);
    }
  }
}

/** dockerd's action text: the entrypoint, a space, the arguments ("exec_create: true " for no arguments). */
const execAction = (cmd: string[]) => `${cmd[0] ?? ''} ${cmd.slice(1).join(' ')}`;

function runningContainer(store: ContainerStore, idOrName: string): ContainerRecord {
  const c = store.resolve(idOrName);
  if (!c.state.Running) throw conflict(`Container ${c.id} is not running`);
  if (c.state.Paused) throw conflict(`Container ${idOrName} is paused, unpause the container before exec`);
  if (c.state.Status === 'restarting') throw conflict(`Container ${c.id} is restarting, wait until the container is running`);
  return c;
}

/** The container's process with the exec's args, env (added, same key replaces), user, cwd, terminal, caps. */
export function execProcess(paths: ContainerPaths, c: ContainerRecord, b: ExecCreateBody, tty: boolean, size: [number, number] | null): OciProcess {
  const spec = JSON.parse(readFileSync(join(paths.bundle(c.id), 'config.json'), 'utf8')) as OciSpec;
  const p: OciProcess = { ...spec.process, args: b.Cmd, terminal: tty };
  delete p.consoleSize;
  if (tty && size && size[0] && size[1]) p.consoleSize = { height: size[0], width: size[1] };
  const env = new Map<string, string>();
  const put = (kv: string) => { const i = kv.indexOf('='); env.set(i < 0 ? kv : kv.slice(0, i), kv); };
  for (const kv of p.env ?? []) put(kv);
  if (tty && !env.has('TERM')) put('TERM=xterm');
  for (const kv of b.Env ?? []) put(kv);
  p.env = [...env.values()];
  if (b.WorkingDir) p.cwd = b.WorkingDir;
  if (b.User) {
    const rootfs = paths.rootfs(c.id);
    const u = resolveUser(b.User, readRootfsFile(rootfs, 'etc/passwd'), readRootfsFile(rootfs, 'etc/group'), c.hostConfig.GroupAdd ?? []);
    p.user = { uid: u.uid, gid: u.gid, additionalGids: u.additionalGids };
    if (!env.has('HOME') || !(b.Env ?? []).some((x) => x.startsWith('HOME='))) put(`HOME=${u.home}`);
    p.env = [...env.values()];
  }
  if (b.Privileged) { const all = hostCaps(); p.capabilities = { bounding: all, effective: all, permitted: all }; }
  return p;
}

/** ALL_CAPS limited to the daemon's own bounding set (a capability it lacks cannot be granted: capset fails). */
function hostCaps(): string[] {
  const m = /^CapBnd:\s*([0-9a-f]+)/m.exec(readFileSync('/proc/self/status', 'utf8'));
  if (!m) return [...ALL_CAPS];
  const bits = BigInt(`0x${m[1]}`);
  return ALL_CAPS.filter((_c, i) => (bits >> BigInt(i)) & 1n);
}

/** An AttachSession over the exec's io whose output ends only once the exit code is known. */
function sessionOf(h: ExecHandle, want: { stdin: boolean; stdout: boolean; stderr: boolean }): AttachSession {
  const io = h.io!;
  const output = new PassThrough({ objectMode: true });
  io.output.on('data', (ch: OutputChunk) => { if ((ch.stream === 1 && want.stdout) || (ch.stream === 2 && want.stderr)) output.write(ch); });
  io.output.on('error', () => {});
  io.output.on('close', () => void h.exited.finally(() => output.end()));
  io.output.on('end', () => void h.exited.finally(() => output.end()));
  let stdin: PassThrough | undefined;
  if (want.stdin) { stdin = new PassThrough(); stdin.pipe(io.stdin); }
  return { output, stdin, close: () => io.close() };
}
