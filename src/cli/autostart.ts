/**
 * The embedded default: when the CLI targets the default socket, nothing answers
 * and we are root, start hakod (bin/hakod next to this CLI) in the background,
 * wait for /_ping and carry on.
 */
import { existsSync, mkdirSync, openSync, closeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Client } from '../client/client.js';
import { ConnectError } from '../client/errors.js';
import { isDefaultHost } from '../client/host.js';

export const HAKOD_LOG = '/var/log/hako/hakod.log';

/**
 * bin/hakod beside this CLI: walks up from the running script (dist/hako.cjs or
 * dist/src/cli/main.js) or, for the compiled build/hako (whose argv[1] is a path inside
 * the executable), from the executable itself.
 */
export function findHakod(): string | undefined {
  if (process.env.HAKO_HAKOD) return process.env.HAKO_HAKOD;
  const script = process.versions.bun ? process.execPath : process.argv[1] ?? '.';
  let dir = dirname(resolve(script));
  for (let i = 0; i < 5; i++) {
    const p = join(dir, 'bin', 'hakod');
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  return undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startDaemon(client: Client, err: NodeJS.WritableStream): Promise<boolean> {
  const hakod = findHakod();
  if (!hakod) return false;
  // Loaded here, not at the top: only a start needs it, and loading costs every command ~1 ms.
  const { spawn } = await import('node:child_process');
  mkdirSync(dirname(HAKOD_LOG), { recursive: true });
  const fd = openSync(HAKOD_LOG, 'a');
  const child = spawn(hakod, [], { detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  child.unref();
  let exited = false;
  child.once('exit', () => (exited = true));
  child.once('error', () => (exited = true));
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && !exited) {
    try {
      if (await client.ping()) {
        err.write(`hako: started hakod (pid ${child.pid}), logs in ${HAKOD_LOG}\n`);
        return true;
      }
    } catch {
      /* not up yet */
    }
    await sleep(50);
  }
  return false;
}

/** A Client that, on the first connection failure that qualifies, starts hakod once and retries. */
export class AutoStartClient extends Client {
  private tried = false;
  constructor(host: string, private readonly err: NodeJS.WritableStream) {
    super(host);
  }

  protected override async exchange<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await super.exchange(send);
    } catch (e) {
      if (!(e instanceof ConnectError) || !this.shouldStart(e)) throw e;
      this.tried = true;
      if (!(await startDaemon(this, this.err))) throw e;
      return super.exchange(send);
    }
  }

  private shouldStart(e: ConnectError): boolean {
    return !this.tried && isDefaultHost(this.host) && (e.errno === 'ENOENT' || e.errno === 'ECONNREFUSED') && process.getuid?.() === 0;
  }
}
