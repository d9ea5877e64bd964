/**
 * Spawning host commands through hako-spawn (native/hako-spawn.c), a small long-lived
 * process that forks and execs on the daemon's behalf: a fork of the ~60 MiB daemon costs
 * 3-4 ms of page-table copying and blocks its event loop; a fork of the helper costs
 * microseconds. `spawnChild` gives a ChildProcess-like object either way and falls back
 * to node:child_process when the helper is not built or HAKO_SPAWN_HELPER=0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, renameSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Readable, Writable } from 'node:stream';
import { constants } from 'node:os';

/** fd 0..3 of the child: a pipe to us, /dev/null, or (fd 3 only) not open. */
export type StdioMode = 'pipe' | 'ignore' | 'none';

export interface SpawnChildOptions {
  stdio?: [StdioMode, StdioMode, StdioMode, StdioMode?];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** setsid(): the child leads its own session (and outlives us). */
  detached?: boolean;
}

/** What callers use of a child: its pipes, 'exit'/'close'(code, signal), 'error'. */
export interface SpawnedChild extends EventEmitter {
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  /** fd 3 of the child (e.g. conmon's sync pipe). */
  readonly fd3: Readable | null;
  readonly pid: number | undefined;
  exitCode: number | null;
  kill(signal?: NodeJS.Signals): boolean;
  unref(): void;
}

/** Spawns through hako-spawn when available, else node:child_process. */
export function spawnChild(cmd: string, args: string[], o: SpawnChildOptions = {}): SpawnedChild {
  const server = SpawnServer.get();
  if (server) return server.spawn(cmd, args, o);
  return nodeChild(cmd, args, o);
}

function nodeChild(cmd: string, args: string[], o: SpawnChildOptions): SpawnedChild {
  const [i = 'pipe', out = 'pipe', err = 'pipe', x = 'none'] = o.stdio ?? [];
  const io = (m: StdioMode) => (m === 'pipe' ? 'pipe' : 'ignore');
  const stdio = [io(i), io(out), io(err), ...(x === 'none' ? [] : [io(x)])] as ('pipe' | 'ignore')[];
  const c = spawn(cmd, args, { stdio, env: o.env, cwd: o.cwd, detached: o.detached }) as ChildProcess & { fd3?: Readable | null };
  Object.defineProperty(c, 'fd3', { value: (c.stdio[3] as Readable | undefined) ?? null });
  return c as unknown as SpawnedChild;
}

class HelperChild extends EventEmitter implements SpawnedChild {
  stdin: Writable | null = null;
  stdout: Readable | null = null;
  stderr: Readable | null = null;
  fd3: Readable | null = null;
  pid: number | undefined;
  exitCode: number | null = null;
  private signalCode: NodeJS.Signals | null = null;
  private exited = false;
  private open = 0;

  constructor(private readonly server: SpawnServer, readonly id: number, modes: StdioMode[]) {
    super();
    const reader = () => new Readable({ read() {} });
    if (modes[1] === 'pipe') { this.stdout = reader(); this.open++; }
    if (modes[2] === 'pipe') { this.stderr = reader(); this.open++; }
    if (modes[3] === 'pipe') { this.fd3 = reader(); this.open++; }
    if (modes[0] === 'pipe') {
      this.stdin = new Writable({
        write: (chunk: Buffer, _enc, cb) => { if (chunk.length) server.send('I', id, chunk); cb(); },
        final: (cb) => { server.send('I', id, Buffer.alloc(0)); cb(); },
        destroy: (e, cb) => { server.send('I', id, Buffer.alloc(0)); cb(e); },
      });
    }
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    if (this.exited) return false;
    const b = Buffer.alloc(4);
    b.writeUInt32LE(constants.signals[signal] ?? 15);
    this.server.send('K', this.id, b);
    return true;
  }

  unref(): void { /* the server refs itself while it has children */ }

  /** A reply frame from the helper for this child. */
  frame(type: string, p: Buffer): void {
    if (type === 'P') { this.pid = p.readUInt32LE(0); this.emit('spawn'); return; }
    if (type === 'E') {
      const errno = p.readInt32LE(0);
      const code = Object.entries(constants.errno).find(([, n]) => n === errno)?.[0] ?? 'EIO';
      const e = Object.assign(new Error(`spawn ${code}: ${p.subarray(4).toString()}`), { errno: -errno, code });
      for (const r of [this.stdout, this.stderr, this.fd3]) r?.push(null);
      this.server.forget(this.id);
      this.emit('error', e);
      return;
    }
    if (type === 'O') {
      const r = [null, this.stdout, this.stderr, this.fd3][p[0]!];
      if (p.length > 1) { r?.push(Buffer.from(p.subarray(1))); return; }
      r?.push(null);
      this.open--;
    }
    if (type === 'X') {
      const st = p.readInt32LE(0);
      const sig = st & 0x7f;
      this.exited = true;
      this.exitCode = sig ? null : (st >> 8) & 0xff;
      this.signalCode = sig ? (Object.entries(constants.signals).find(([, n]) => n === sig)?.[0] as NodeJS.Signals) ?? null : null;
      this.emit('exit', this.exitCode, this.signalCode);
    }
    if (this.exited && this.open === 0) {
      this.server.forget(this.id);
      // like node: 'close' after the stdio streams ended
      setImmediate(() => this.emit('close', this.exitCode, this.signalCode));
    }
  }

  /** The helper died: this child's fate is unknown to us. */
  lost(): void {
    for (const r of [this.stdout, this.stderr, this.fd3]) if (r && !r.readableEnded) r.push(null);
    if (!this.exited) this.emit('error', new Error('spawn helper exited'));
  }
}

export class SpawnServer {
  private static instance: SpawnServer | null | undefined;
  private readonly proc: ChildProcess;
  private readonly kids = new Map<number, HelperChild>();
  private readonly calls = new Map<number, (errno: number) => void>();
  private nextId = 1;
  private buf: Buffer = Buffer.alloc(0);
  /** Sealed copies: the helper's fd by source path; by link, the link once checked (null: being made, or failed). */
  private readonly sealedFds = new Map<string, Promise<number>>();
  private readonly sealedLinks = new Map<string, string | null>();

  /** The shared server, started on first use; null when disabled or not built. */
  static get(): SpawnServer | null {
    if (SpawnServer.instance !== undefined) return SpawnServer.instance;
    const bin = process.env.HAKO_SPAWN_HELPER === '0' ? undefined : helperBinary();
    SpawnServer.instance = bin ? new SpawnServer(bin) : null;
    return SpawnServer.instance;
  }

  private constructor(bin: string) {
    this.proc = spawn(bin, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.proc.stdout!.on('data', (d: Buffer) => this.onData(d));
    this.proc.stdin!.on('error', () => {});
    this.proc.on('exit', () => this.onDeath());
    this.proc.on('error', () => this.onDeath());
    this.setRef();
  }

  spawn(cmd: string, args: string[], o: SpawnChildOptions): SpawnedChild {
    const modes: StdioMode[] = [...(o.stdio ?? ['pipe', 'pipe', 'pipe'])].map((m) => m ?? 'none');
    while (modes.length < 4) modes.push('none');
    const id = this.newId();
    const kid = new HelperChild(this, id, modes);
    this.kids.set(id, kid);
    this.setRef();
    const env = Object.entries(o.env ?? process.env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
    const parts: Buffer[] = [Buffer.from(modes.map((m) => (m === 'ignore' ? 0 : m === 'pipe' ? 1 : 2))), Buffer.from([o.detached ? 1 : 0]), cstr(o.cwd ? resolve(o.cwd) : '')];
    parts.push(u32(args.length + 1), ...[cmd, ...args].map(cstr), u32(env.length), ...env.map(cstr));
    this.send('S', id, Buffer.concat(parts));
    return kid;
  }

  /** See sealedExecutable(). */
  sealedExecutable(path: string, link: string): string | undefined {
    const got = this.sealedLinks.get(link);
    if (got && existsSync(got)) return got;
    if (got === null) return undefined;
    this.sealedLinks.set(link, null);
    void this.makeSealed(path, link).then((ok) => { if (ok) this.sealedLinks.set(link, link); }, () => {});
    return undefined;
  }

  private async makeSealed(path: string, link: string): Promise<boolean> {
    let fd = this.sealedFds.get(path);
    if (!fd) this.sealedFds.set(path, (fd = this.syscall('F', 0, [path])));
    const n = await fd;
    if (n <= 0 || !this.proc.pid || SpawnServer.instance !== this) return false;
    mkdirSync(dirname(link), { recursive: true });
    const tmp = `${link}.${process.pid}.tmp`;
    symlinkSync(`/proc/${this.proc.pid}/fd/${n}`, tmp);
    renameSync(tmp, link);
    // refused where memfds may not be executed (vm.memfd_noexec): then the binary itself
    const check = this.spawn(link, ['--version'], { stdio: ['ignore', 'ignore', 'ignore'] });
    return new Promise((done) => { check.on('exit', (code) => done(code === 0)); check.on('error', () => done(false)); });
  }

  /** A mount(2) ('M'), umount2(2) ('U'), idle clean-up ('C') or sealed copy ('F': the fd or -errno) in the helper: resolves with its errno (0: done). */
  syscall(type: 'M' | 'U' | 'C' | 'F', flags: number, strs: string[]): Promise<number> {
    const id = this.newId();
    return new Promise((resolveCall) => {
      this.calls.set(id, resolveCall);
      this.setRef();
      this.send(type, id, Buffer.concat([u32(flags), ...strs.map(cstr)]));
    });
  }

  private newId(): number {
    const id = this.nextId;
    this.nextId = (this.nextId % 0xfffffffe) + 1;
    return id;
  }

  send(type: string, id: number, payload: Buffer): void {
    const h = Buffer.alloc(9);
    h.writeUInt32LE(payload.length + 5, 0);
    h.write(type, 4, 'latin1');
    h.writeUInt32LE(id, 5);
    this.proc.stdin!.write(payload.length ? Buffer.concat([h, payload]) : h);
  }

  forget(id: number): void {
    this.kids.delete(id);
    this.setRef();
  }

  /** Keeps the event loop alive only while children are pending (an idle helper does not). */
  private setRef(): void {
    const busy = this.kids.size > 0 || this.calls.size > 0;
    for (const h of [this.proc, this.proc.stdout as unknown as { ref(): void; unref(): void }, this.proc.stdin as unknown as { ref(): void; unref(): void }]) {
      if (busy) h.ref(); else h.unref();
    }
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    let off = 0;
    while (this.buf.length - off >= 4) {
      const len = this.buf.readUInt32LE(off);
      if (this.buf.length - off - 4 < len) break;
      const type = String.fromCharCode(this.buf[off + 4]!);
      const id = this.buf.readUInt32LE(off + 5);
      const payload = this.buf.subarray(off + 9, off + 4 + len);
      if (type === 'R') this.answer(id, payload.readInt32LE(0));
      else this.kids.get(id)?.frame(type, payload);
      off += 4 + len;
    }
    this.buf = off === this.buf.length ? Buffer.alloc(0) : this.buf.subarray(off);
  }

  private answer(id: number, errno: number): void {
    const done = this.calls.get(id);
    this.calls.delete(id);
    this.setRef();
    done?.(errno);
  }

  private onDeath(): void {
    for (const id of [...this.calls.keys()]) this.answer(id, constants.errno.EIO);
    if (SpawnServer.instance === this) SpawnServer.instance = undefined; // the next spawn starts a new one
    const kids = [...this.kids.values()];
    this.kids.clear();
    for (const k of kids) k.lost();
  }
}

/**
 * mount(2) in the helper, without exec'ing mount(8). Resolves true once mounted, false
 * when the helper is not available or the call failed (callers then run mount(8), whose
 * error message is the one to show).
 */
export async function nativeMount(source: string, target: string, fstype: string, data: string, flags = 0): Promise<boolean> {
  const server = SpawnServer.get();
  return !!server && (await server.syscall('M', flags, [source, target, fstype, data])) === 0;
}

/** umount2(2) in the helper (MNT_DETACH with `lazy`); false as for nativeMount. */
export async function nativeUnmount(target: string, lazy = false): Promise<boolean> {
  const server = SpawnServer.get();
  return !!server && (await server.syscall('U', lazy ? 2 : 0, [target])) === 0;
}

/** One step of an idle clean-up: a lazy unmount, a cgroup dir (and sub-cgroups), a file or tree. */
export type CleanupOp = { umount: string } | { cgroup: string } | { remove: string };

/**
 * Host clean-up in a child of the helper at idle CPU and I/O priority (SCHED_IDLE): the
 * steps run in order, each whatever the previous did; a path already gone is no error;
 * removals never follow symlinks or cross into another mount. Resolves with the first
 * errno (0: all done), or null when the helper is not available (callers do it themselves).
 */
export async function idleCleanup(ops: CleanupOp[]): Promise<number | null> {
  const server = SpawnServer.get();
  if (!server) return null;
  const strs = ops.map((o) => ('umount' in o ? `u${o.umount}` : 'cgroup' in o ? `c${o.cgroup}` : `r${o.remove}`));
  return server.syscall('C', 0, strs);
}

/**
 * A sealed in-memory copy of the executable `path`, held open by the spawn helper, as the
 * symlink `link` (-> /proc/<helper>/fd/<n>; exec'd by the link's path, the process keeps
 * the link's name). crun executed from it skips the copy of itself into a memfd and the
 * re-exec it otherwise makes on every call (its CVE-2019-5736 protection: the copy is
 * sealed, so the protection holds). Undefined until the copy is made and checked (the
 * first call starts that), without the helper, and when it cannot be made; a helper
 * restarted after a crash makes a new one.
 */
export function sealedExecutable(path: string, link: string): string | undefined {
  return SpawnServer.get()?.sealedExecutable(path, link);
}

const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; };
const cstr = (s: string) => Buffer.from(`${s}\0`);

function helperBinary(): string | undefined {
  if (process.env.HAKO_SPAWN_HELPER && process.env.HAKO_SPAWN_HELPER !== '1') return existsSync(process.env.HAKO_SPAWN_HELPER) ? process.env.HAKO_SPAWN_HELPER : undefined;
  // this file is src/platform/spawn.ts or dist/src/platform/spawn.js (or a bundle in dist/)
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(d, 'package.json'))) {
      const p = join(d, 'build', 'hako-spawn');
      return existsSync(p) ? p : undefined;
    }
    d = resolve(d, '..');
  }
  return undefined;
}
