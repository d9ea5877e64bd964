/**
 * A private dockerd (Debian's docker.io) for differential tests: its own data root,
 * exec root, socket and pidfile under a temp dir, no bridge and no iptables, so it
 * touches nothing of the host's. stop() sends SIGTERM to that pid only and removes
 * the temp tree. dockerdSkip() says why such a test cannot run here, or false.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unixRequest, type Response } from './daemon.js';

export const DOCKERD = '/usr/sbin/dockerd';

export function dockerdSkip(): string | false {
  if (process.getuid?.() !== 0) return 'requires root to run dockerd';
  if (!existsSync(DOCKERD)) return `dockerd is not installed (${DOCKERD}); apt-get install docker.io to run this differential test`;
  return false;
}

export interface Dockerd {
  socket: string;
  tmp: string;
  proc: ChildProcess;
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  stop(): Promise<void>;
}

/**
 * `iptables: true` leaves dockerd's iptables management on (it then adds its DOCKER*
 * chains and may set the FORWARD policy to DROP): the caller removes those afterwards.
 * `netns` runs it in that network namespace (a name under /run/netns) through nsenter.
 */
export async function startDockerd(timeoutMs = 60_000, opts: { iptables?: boolean; netns?: string } = {}): Promise<Dockerd> {
  const tmp = mkdtempSync(join(tmpdir(), 'hako-dockerd-'));
  const socket = join(tmp, 'docker.sock');
  const args = ['--data-root', join(tmp, 'data'), '--exec-root', join(tmp, 'exec'), '-H', `unix://${socket}`,
    '--pidfile', join(tmp, 'docker.pid'), '--bridge=none', `--iptables=${opts.iptables ? 'true' : 'false'}`, '--ip6tables=false',
    '--containerd-namespace', `hakotest${process.pid}`, '--containerd-plugins-namespace', `hakotestp${process.pid}`];
  const proc = opts.netns
    ? spawn('nsenter', [`--net=/run/netns/${opts.netns}`, DOCKERD, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn(DOCKERD, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr!.on('data', (b: Buffer) => { log += b.toString(); });
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  let done = false;
  void exited.then(() => (done = true));
  const stop = async () => {
    if (!done) proc.kill('SIGTERM');
    const t = setTimeout(() => { if (!done) proc.kill('SIGKILL'); }, 20_000);
    await exited;
    clearTimeout(t);
    // dockerd's overlay mounts are gone with it; remove the tree (retry: containerd may still hold files briefly)
    rmSync(tmp, { recursive: true, force: true, maxRetries: 5 });
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (done) {
      await stop();
      throw new Error(`dockerd exited before answering:\n${log.slice(-3000)}`);
    }
    if (await unixRequest(socket, 'GET', '/_ping').then((r) => r.status === 200, () => false)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`dockerd did not answer within ${timeoutMs} ms:\n${log.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { socket, tmp, proc, request: (m, p, b, h) => unixRequest(socket, m, p, b, h), stop };
}
