/**
 * Launching conmon, the per-container monitor. conmon double-forks (setsid, its own
 * process: containers outlive the daemon), runs `<runtime> create`, then reports the
 * container pid as JSON `{"data": <pid>}` (or a negative value and "message") on the
 * sync pipe whose fd number it reads from $_OCI_SYNCPIPE. It holds the container's
 * stdio, writes the k8s-file log, makes the attach socket (SOCK_SEQPACKET) and the
 * ctl/winsz fifos in the bundle dir (--full-attach), and writes the exit code to
 * <exit-dir>/<id> (and <persist-dir>/exit; an "oom" file there on an OOM kill).
 */
import { spawnChild, type SpawnedChild } from '../platform/spawn.js';
import type { Readable } from 'node:stream';
import { mkdir } from 'node:fs/promises';
import { EngineError, internal } from '../core/errors.js';
import type { OciRuntime } from './oci.js';

export interface ConmonPaths {
  /** OCI bundle dir (config.json); also holds attach, ctl, winsz, pidfiles. */
  bundle: string;
  logPath: string;
  exitDir: string;
  persistDir: string;
}

export interface ConmonCreate extends ConmonPaths {
  id: string;
  name: string;
  tty: boolean;
  openStdin: boolean;
  /** Config.StdinOnce: the first attached client's EOF closes the container's stdin. */
  stdinOnce?: boolean;
  conmonPath?: string;
  /** Bytes the log file may reach before conmon starts it afresh (`--log-opt max-size`). */
  logSizeMax?: number;
}

export function conmonArgs(rt: OciRuntime, c: ConmonCreate): string[] {
  const args = [
    '--api-version', '1', '-c', c.id, '-u', c.id, '-n', c.name, '-r', rt.execPath, '-b', c.bundle,
    '-p', `${c.bundle}/pidfile`, '--conmon-pidfile', `${c.bundle}/conmon.pid`,
    '--exit-dir', c.exitDir, '--persist-dir', c.persistDir, '-l', `k8s-file:${c.logPath}`,
    '--log-level', 'error', '--socket-dir-path', c.bundle, '--full-attach', '--syslog',
    // no fsync of the log when the container exits (dockerd's json-file does not sync
    // either): it delays the exit file, so every wait, `run --rm` and `rm -f`, by an fsync
    '--no-sync-log',
  ];
  for (const a of rt.globalArgs()) args.push('--runtime-arg', a);
  if (c.logSizeMax && c.logSizeMax > 0) args.push('--log-size-max', String(c.logSizeMax));
  if (c.tty) args.push('-t');
  if (c.openStdin) args.push('-i');
  // Docker closes a container's stdin on a client's EOF only for StdinOnce without a tty.
  if (c.openStdin && (c.tty || !c.stdinOnce)) args.push('--leave-stdin-open');
  return args;
}

/** Starts conmon for a new container; resolves with the container's pid once created. */
export async function conmonCreate(rt: OciRuntime, c: ConmonCreate): Promise<{ pid: number }> {
  await Promise.all([mkdir(c.persistDir, { recursive: true }), mkdir(c.exitDir, { recursive: true })]);
  const child = spawnChild(c.conmonPath ?? '/usr/bin/conmon', conmonArgs(rt, c), {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    // conmon drops an "oom" file into its working directory on an OOM kill: the bundle.
    cwd: c.bundle,
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', _OCI_SYNCPIPE: '3' },
    detached: true,
  });
  child.unref();
  return readSync(child.fd3!, child.stderr!, child);
}

function readSync(sync: Readable, stderr: Readable, child: SpawnedChild): Promise<{ pid: number }> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let err = '';
    const done = (f: () => void) => { sync.destroy(); stderr.destroy(); f(); };
    stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('error', (e: Error) => done(() => reject(internal(`conmon: ${e.message}`, e))));
    sync.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = buf.match(/\{[^}]*\}/);
      if (!m) return;
      const msg = JSON.parse(m[0]) as { data: number; message?: string };
      if (msg.data > 0) done(() => resolve({ pid: msg.data }));
      else done(() => reject(internal(cleanRuntimeMessage(msg.message ?? err) || `conmon failed with ${msg.data}`)));
    });
    sync.on('end', () => done(() => reject(internal(`conmon exited without reporting a pid: ${cleanRuntimeMessage(err)}`))));
  });
}

/** Strips crun/runc log decoration ("time=... level=error msg=...") to the message. */
export function cleanRuntimeMessage(s: string): string {
  return s.split('\n').map((l) => l.replace(/^.*?msg="?(.*?)"?$/, '$1').replace(/\\"/g, '"').replace(/^\[conmon:.\]: /, '').trim()).filter(Boolean).join('; ');
}

/** A runtime's refusal to start a container's process, with the exit code dockerd records for it. */
export class StartError extends EngineError {
  constructor(message: string, readonly exitCode: number) { super('Internal', message); }
}

/**
 * The create failure of `<runtime> create` in dockerd's words, so clients react alike: the
 * docker CLI exits 127 when the message says "executable file not found" or "no such file
 * or directory", 126 on "permission denied" (crun words these differently from runc).
 * State.ExitCode gets the same 127/126, else 128.
 */
export function startError(e: unknown, path: string): StartError {
  let m = (e as Error).message ?? String(e);
  const crunMissing = /executable file `([^`]*)` not found in \$PATH/.exec(m);
  if (crunMissing) {
    const x = crunMissing[1]!;
    m = x.includes('/') ? `exec: "${x}": stat ${x}: no such file or directory` : `exec: "${x}": executable file not found in $PATH`;
  } else if (/open executable: (Permission denied|Operation not permitted)/.test(m)) m = `exec: "${path}": permission denied`;
  else if (/execv?e?\b.*: No such file or directory/.test(m)) m = `exec: "${path}": no such file or directory`;
  const code = /executable file not found|no such file or directory/.test(m) ? 127 : /permission denied|is a directory/.test(m) ? 126 : 128;
  const msg = m.startsWith('OCI runtime') || code === 128 ? m : `OCI runtime create failed: ${m.replace(/^runc create failed: unable to start container process: /, '')}: unknown`;
  return new StartError(msg, code);
}
