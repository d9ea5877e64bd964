/**
 * Watching conmon-monitored containers: exit detection from the exit dir, attach
 * sessions over conmon's attach socket (through the hako-attach helper, see
 * native/hako-attach.c), terminal resize through the winsz/ctl fifo, OOM detection.
 */
import { watch, readFileSync, existsSync, type FSWatcher, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { spawnChild } from '../platform/spawn.js';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PassThrough, Readable } from 'node:stream';
import { internal } from '../core/errors.js';
import { resizeTerminal as resizeVia } from './resize.js';

/** Reads <exitDir>/<id>: the exit code conmon wrote, or null while it runs. */
export function readExitCode(exitDir: string, id: string): number | null {
  try {
    const t = readFileSync(join(exitDir, id), 'utf8').trim();
    return t === '' ? null : Number(t);
  } catch { return null; }
}

/** True when conmon recorded an OOM kill (an "oom" file in the persist dir). */
export function wasOomKilled(persistDir: string): boolean {
  return existsSync(join(persistDir, 'oom'));
}

/** One watcher on the exit dir for all containers; calls back once per exit file. */
export class ExitWatcher {
  private readonly waiters = new Map<string, (code: number) => void>();
  private readonly w: FSWatcher;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly exitDir: string) {
    mkdirSync(exitDir, { recursive: true });
    this.w = watch(exitDir, (_ev, f) => { if (f) this.check(f.toString()); });
    // fs.watch can miss events (e.g. a file written before the watch): poll too, slowly.
    this.timer = setInterval(() => { for (const id of this.waiters.keys()) this.check(id); }, 1000);
    this.timer.unref();
  }

  /** Calls onExit once when <exitDir>/<id> holds a code (at once if it already does). */
  watch(id: string, onExit: (code: number) => void): void {
    this.waiters.set(id, onExit);
    this.check(id);
  }

  unwatch(id: string): void { this.waiters.delete(id); }

  private check(id: string): void {
    const cb = this.waiters.get(id);
    if (!cb) return;
    const code = readExitCode(this.exitDir, id);
    if (code === null || Number.isNaN(code)) return;
    this.waiters.delete(id);
    cb(code);
  }

  close(): void {
    this.w.close();
    clearInterval(this.timer);
  }
}

/** Asks conmon to resize the terminal of the container or exec whose fifos are in `dir` (see resize.ts). */
export function resizeTerminal(dir: string, h: number, w: number): void {
  resizeVia(dir, h, w, attachHelper);
}

let helperPath: string | undefined;

/**
 * The attach helper binary, compiled from native/hako-attach.c with cc on first use
 * (or found at $HAKO_ATTACH_HELPER / build/hako-attach from `node scripts/build-native.mjs`).
 */
export function attachHelper(): string {
  if (helperPath) return helperPath;
  const root = repoRoot();
  const candidates = [process.env.HAKO_ATTACH_HELPER, join(root, 'build', 'hako-attach')].filter((x): x is string => !!x);
  const found = candidates.find((p) => existsSync(p));
  if (found) return (helperPath = found);
  const out = join(root, 'build', 'hako-attach');
  mkdirSync(dirname(out), { recursive: true });
  execFileSync('cc', ['-O2', '-o', out, join(root, 'src', 'runtime', 'native', 'hako-attach.c')]);
  return (helperPath = out);
}

function repoRoot(): string {
  // this file is src/runtime/monitor.ts or dist/src/runtime/monitor.js
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(d, 'package.json'))) return d;
    d = resolve(d, '..');
  }
  return process.cwd();
}

export interface RawAttach {
  /** OutputChunk objects ({stream, data}). */
  output: Readable;
  stdin: PassThrough;
  /** Resolves once the helper is connected to the socket. */
  ready: Promise<void>;
  close(): void;
}

/** Attaches to a conmon attach socket (<bundle>/attach). */
export function attachSocket(socketPath: string): RawAttach {
  const child = spawnChild(attachHelper(), [socketPath], { stdio: ['pipe', 'pipe', 'pipe'] });
  const output = new Readable({ objectMode: true, read() {} });
  const stdin = new PassThrough();
  stdin.pipe(child.stdin!);
  child.stdin!.on('error', () => {});
  let buf = Buffer.alloc(0);
  let onReady: () => void = () => {};
  const ready = new Promise<void>((r) => { onReady = r; });
  child.stdout!.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 5) {
      const len = buf.readUInt32BE(1);
      if (buf.length < 5 + len) break;
      // conmon's pipe ids: 1 stdin, 2 stdout, 3 stderr -> stdcopy's 1 stdout, 2 stderr
      if (buf[0] === 0) onReady(); // the helper's "connected" frame
      const stream = buf[0]! - 1;
      if ((stream === 1 || stream === 2) && len > 0) output.push({ stream, data: Buffer.from(buf.subarray(5, 5 + len)) });
      buf = buf.subarray(5 + len);
    }
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  child.on('close', (code: number | null) => {
    if (code && code !== 0) output.destroy(internal(err.trim() || `attach helper exited with ${code}`));
    else output.push(null);
    onReady();
  });
  return { output, stdin, ready, close: () => { if (child.exitCode === null) child.kill('SIGTERM'); } };
}
