import { spawnChild } from './spawn.js';
import { EngineError, type ErrorCode } from '../core/errors.js';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Resolve with the result instead of throwing on a non-zero exit. */
  allowFailure?: boolean;
  /** The error code to throw on failure (default Internal). */
  errorCode?: ErrorCode;
  timeoutMs?: number;
}

/**
 * Runs a host command and collects its output. On a non-zero exit it throws an
 * EngineError whose message is the command's own stderr, so callers see
 * "ip: RTNETLINK answers: File exists" and not a generic failure.
 */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawnChild(cmd, args, { env: opts.env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs) timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: Error) => {
      if (timer) clearTimeout(timer);
      reject(new EngineError(opts.errorCode ?? 'Internal', `${cmd}: ${e.message}`, { cause: e }));
    });
    child.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
      if (timer) clearTimeout(timer);
      const r: RunResult = {
        code: code ?? 128 + (signal ? 9 : 0),
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      };
      if (r.code !== 0 && !opts.allowFailure) {
        const msg = (r.stderr.trim() || r.stdout.trim() || `exited with ${r.code}`).split('\n').slice(-3).join('; ');
        reject(new EngineError(opts.errorCode ?? 'Internal', `${cmd} ${args[0] ?? ''}: ${msg}`));
      } else resolve(r);
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    else child.stdin!.end();
  });
}
