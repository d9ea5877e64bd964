/**
 * One daemon per data root: an exclusively created lock file holding the owner's pid.
 * A lock whose pid is gone or is not a hakod is stale and taken over.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';

export class InUseError extends Error {}

/** True when `pid` is alive and its command line is a hakod. */
export function isHakod(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return /hakod|daemon\/main\.js/.test(cmd);
  } catch {
    return false;
  }
}

function readPid(path: string): number {
  try {
    return Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
  } catch {
    return NaN;
  }
}

/** Creates <dataRoot>/hakod.lock with our pid; returns its release function. */
export function lockDataRoot(dataRoot: string, pid = process.pid): () => void {
  const path = join(dataRoot, 'hakod.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      writeSync(fd, `${pid}\n`);
      closeSync(fd);
      return () => {
        if (readPid(path) === pid) unlinkSync(path);
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = readPid(path);
      if (owner !== pid && isHakod(owner)) {
        throw new InUseError(`data root ${dataRoot} is in use by another daemon (pid ${owner})`);
      }
      try {
        unlinkSync(path); // stale
      } catch {
        /* raced with another remover */
      }
    }
  }
  throw new InUseError(`data root ${dataRoot}: could not take the lock ${path}`);
}

/** Writes the pid file, refusing when it names another live hakod. */
export function writePidfile(path: string, pid = process.pid): () => void {
  const owner = readPid(path);
  if (owner !== pid && isHakod(owner)) {
    throw new InUseError(`pid file ${path} names a running daemon (pid ${owner}); stop it or remove the file`);
  }
  const fd = openSync(path, 'w', 0o644);
  writeSync(fd, `${pid}`);
  closeSync(fd);
  return () => {
    try {
      if (readPid(path) === pid) unlinkSync(path);
    } catch {
      /* gone */
    }
  };
}

/** True when something accepts connections on the unix socket at `path`. */
export function socketAnswers(path: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    const done = (v: boolean) => {
      clearTimeout(t);
      s.destroy();
      resolve(v);
    };
    const t = setTimeout(() => done(false), timeoutMs);
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}
