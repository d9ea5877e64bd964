/**
 * Exec sessions through conmon, as podman runs them: `conmon --exec
 * --exec-process-spec <dir>/process.json [--exec-attach] [-t] [-i]`, which runs
 * `<runtime> exec --process <spec> --detach [--tty --console-socket <sock>] <ctr>`.
 * conmon receives the pty master over the console socket (Node cannot take fds),
 * holds stdin/stdout/stderr, serves them on <dir>/attach (SOCK_SEQPACKET, read through
 * the hako-attach helper), takes resizes on <dir>/winsz, and reports on the sync pipe
 * first the exec'd pid (or a negative value and a message when the runtime failed),
 * then the exit code; it also writes the code to <dir>/exit.
 *
 * Pipes (fd numbers in env): _OCI_SYNCPIPE=3 (conmon -> us), _OCI_STARTPIPE=4 (us ->
 * conmon; conmon reads once at start and, with --exec-attach, once more just before
 * running the runtime), _OCI_ATTACHPIPE=5 (conmon -> us: "attach socket is listening").
 * With attach we connect to the socket between those two start messages, so not a byte
 * of output is lost.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { internal, EngineError } from '../core/errors.js';
import { attachSocket, resizeTerminal, type RawAttach } from './monitor.js';
import { cleanRuntimeMessage } from './conmon.js';
import type { OciRuntime } from './oci.js';
import type { OciProcess } from './spec-types.js';

export interface ExecLaunch {
  containerId: string;
  execId: string;
  /** Per-exec dir: process.json, attach socket, winsz/ctl fifos, pidfile, exit file. */
  dir: string;
  process: OciProcess;
  tty: boolean;
  stdin: boolean;
  /** Connect to the attach socket before the process runs (attached exec, health checks). */
  attach: boolean;
  conmonPath?: string;
}

export interface ExecHandle {
  pid: number;
  /** Present when launched with attach: the process's stdio. */
  io?: RawAttach;
  /** Resolves with the exit code once the process has exited (after its output was sent). */
  exited: Promise<number>;
  /** Resizes the exec's terminal (tty sessions). */
  resize(h: number, w: number): void;
}

export function conmonExecArgs(rt: OciRuntime, e: ExecLaunch): string[] {
  const args = [
    '--api-version', '1', '-c', e.containerId, '-u', e.execId, '-n', e.execId, '-r', rt.execPath, '-b', e.dir,
    '-p', join(e.dir, 'pidfile'), '--conmon-pidfile', join(e.dir, 'conmon.pid'),
    '--exit-dir', e.dir, '--persist-dir', e.dir, '-l', 'none', '--log-level', 'error',
    '--socket-dir-path', e.dir, '--full-attach', '--syslog',
    '--exec', '--exec-process-spec', join(e.dir, 'process.json'),
  ];
  for (const a of rt.globalArgs()) args.push('--runtime-arg', a);
  if (e.attach) args.push('--exec-attach');
  if (e.tty) args.push('-t');
  if (e.stdin) args.push('-i');
  return args;
}

/** Starts an exec session; resolves once the process runs (rejects when the runtime could not start it). */
export async function conmonExec(rt: OciRuntime, e: ExecLaunch): Promise<ExecHandle> {
  mkdirSync(e.dir, { recursive: true });
  writeFileSync(join(e.dir, 'process.json'), JSON.stringify(e.process));
  const child = spawn(e.conmonPath ?? '/usr/bin/conmon', conmonExecArgs(rt, e), {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe', ...(e.attach ? ['pipe' as const] : [])],
    cwd: e.dir,
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4', ...(e.attach ? { _OCI_ATTACHPIPE: '5' } : {}) },
    detached: true,
  });
  child.unref();
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const sync = messages(child.stdio[3] as Readable);
  const start = child.stdio[4] as Writable;
  start.on('error', () => {});
  const failed = new Promise<never>((_r, reject) => child.on('error', (err) => reject(internal(`conmon: ${err.message}`, err))));
  start.write('0');
  let io: RawAttach | undefined;
  if (e.attach) {
    const pipe5 = (child.stdio as unknown as Readable[])[5]!;
    const attachPipe = messages(pipe5);
    const ready = await Promise.race([attachPipe.next(), failed]);
    pipe5.destroy();
    if (!ready || ready.data < 0) throw execFailed(ready?.message ?? stderr, e.process);
    io = attachSocket(join(e.dir, 'attach'));
    await io.ready;
    start.write('0');
  }
  start.end();
  const first = await Promise.race([sync.next(), failed]);
  if (!first || first.data <= 0) {
    io?.close();
    throw execFailed(first?.message ?? stderr, e.process);
  }
  const exited = sync.next().then((m) => {
    (child.stdio[3] as Readable).destroy();
    child.stderr!.destroy();
    if (m) return m.data;
    const t = readExit(e.dir);
    return t ?? -1;
  });
  return { pid: first.data, io, exited, resize: (h, w) => resizeTerminal(e.dir, h, w) };
}

function readExit(dir: string): number | null {
  try { const t = readFileSync(join(dir, 'exit'), 'utf8').trim(); return t ? Number(t) : null; } catch { return null; }
}

/** The runtime could not start the process: docker answers 126 (not executable) / 127 (not found) for these. */
export class ExecStartError extends EngineError {
  constructor(message: string, readonly exitCode: number) { super('Internal', message); }
}

function execFailed(raw: string, p: { args?: string[]; cwd?: string }): ExecStartError {
  const msg = cleanRuntimeMessage(raw) || 'exec failed';
  const notFound = /not found|no such file/i.test(msg);
  return new ExecStartError(`OCI runtime exec failed: ${dockerExecWords(msg, p)}`, notFound ? 127 : 126);
}

/** crun's exec failures in runc's words, as dockerd shows them (", ...: unknown" ends containerd's errors). */
export function dockerExecWords(msg: string, p: { args?: string[]; cwd?: string }): string {
  const x = p.args?.[0] ?? '';
  const pre = 'exec failed: unable to start container process: ';
  let m = msg;
  if (/executable file `[^`]*` not found in \$PATH/.test(msg)) {
    m = `${pre}exec: "${x}": ${x.includes('/') ? `stat ${x}: no such file or directory` : 'executable file not found in $PATH'}`;
  } else if (/^chdir `[^`]*`: No such file or directory/.test(msg)) {
    m = `${pre}chdir to cwd ("${p.cwd ?? ''}") set in config.json failed: no such file or directory`;
  } else if (/open executable: (Permission denied|Operation not permitted)/.test(msg)) {
    m = `${pre}exec: "${x}": permission denied`;
  }
  return m.startsWith(pre) && !m.endsWith(': unknown') ? `${m}: unknown` : m;
}

/** conmon's sync pipe: one JSON object a line, `{"data": N, "message": "..."}`. */
function messages(r: Readable): { next(): Promise<{ data: number; message?: string } | null> } {
  const queue: { data: number; message?: string }[] = [];
  const waiting: ((m: { data: number; message?: string } | null) => void)[] = [];
  let buf = '';
  let ended = false;
  const push = (m: { data: number; message?: string } | null) => {
    const w = waiting.shift();
    if (w) w(m); else if (m) queue.push(m);
  };
  r.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0 || (i = objectEnd(buf)) >= 0) {
      const line = buf.slice(0, i + 1).trim();
      buf = buf.slice(i + 1);
      if (!line) continue;
      try { push(JSON.parse(line) as { data: number; message?: string }); } catch { /* partial or noise */ }
    }
  });
  const end = () => { ended = true; while (waiting.length) waiting.shift()!(null); };
  r.on('end', end);
  r.on('close', end);
  r.on('error', end);
  return {
    next: () => new Promise((resolve) => {
      const m = queue.shift();
      if (m) resolve(m); else if (ended) resolve(null); else waiting.push(resolve);
    }),
  };
}

/** Index of the closing brace of a complete leading `{...}` without newline, or -1. */
function objectEnd(s: string): number {
  if (!s.startsWith('{')) return -1;
  const j = s.indexOf('}');
  if (j < 0) return -1;
  try { JSON.parse(s.slice(0, j + 1)); return j; } catch { return -1; }
}
