/**
 * Starts a real hakod (./bin/hakod, needs `npx tsc -p .` first) on a temporary data
 * root, exec root, socket and instance name, for black-box API tests. stop() sends
 * SIGTERM, waits for exit and removes the temporary tree.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';

/** Repository root, from dist/test/helpers/ or test/helpers/. */
export const repoRoot = (() => {
  const here = dirname(fileURLToPath(import.meta.url));
  return here.includes(`${'/'}dist${'/'}`) ? resolve(here, '..', '..', '..') : resolve(here, '..', '..');
})();
export const hakodBin = join(repoRoot, 'bin', 'hakod');

export interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text(): string;
  json<T = any>(): T;
}

export interface StartOptions {
  /** Extra hakod flags. */
  args?: string[];
  /** Contents of the daemon.json given with --config-file (default {}). */
  config?: Record<string, unknown>;
  /** Reuse this data root (not removed by stop()). */
  dataRoot?: string;
  timeoutMs?: number;
  /** Extra environment for hakod. */
  env?: Record<string, string>;
  /**
   * Restart on a killed daemon's temporary tree: same data root, exec root, socket and
   * instance (restore tests). The new daemon's stop() removes the tree.
   */
  reuse?: TestDaemon;
  /** Run hakod in this network namespace (a name under /run/netns), through nsenter. */
  netns?: string;
}

export interface TestDaemon {
  socket: string;
  dataRoot: string;
  execRoot: string;
  instance: string;
  pidfile: string;
  tmp: string;
  proc: ChildProcess;
  /** Everything the daemon wrote to stderr so far. */
  logs(): string;
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function requiresRoot(t: TestContext): boolean {
  if (process.getuid?.() === 0) return true;
  t.skip('requires root: hakod creates sockets, cgroups and mounts only root may create');
  return false;
}

export function randomInstance(): string {
  const a = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return 't' + Array.from(randomBytes(5), (b) => a[b % a.length]).join('');
}

/** One HTTP request over a unix socket; body may be a Buffer, string or JSON value. */
const quieted = new WeakSet<object>();

export function unixRequest(socket: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return new Promise((resolvePromise, reject) => {
    let payload: Buffer | undefined;
    const h: Record<string, string> = { ...headers };
    if (body !== undefined) {
      if (Buffer.isBuffer(body)) payload = body;
      else if (typeof body === 'string') payload = Buffer.from(body);
      else {
        payload = Buffer.from(JSON.stringify(body));
        h['Content-Type'] ??= 'application/json';
      }
      h['Content-Length'] = String(payload.length);
    }
    const req = httpRequest({ socketPath: socket, method, path, headers: h }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const b = Buffer.concat(chunks);
        resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body: b, text: () => b.toString(), json: () => JSON.parse(b.toString()) });
      });
    });
    req.on('error', reject);
    // A server that answers early (a refused upload) closes while the body is still being
    // written: the late EPIPE on the socket is expected, the answer already arrived.
    req.on('socket', (s) => { if (!quieted.has(s)) { quieted.add(s); s.on('error', () => {}); } });
    req.end(payload);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * What a daemon killed with SIGKILL leaves mounted under its exec root (the tmpfs mounts of
 * its containers' state, see engine/containers-statefs.ts), lazily unmounted so the test's
 * dirs can go, as scripts/uninstall.sh does.
 */
function unmountUnder(dir: string): void {
  const mps = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m.startsWith(dir + '/'));
  for (const m of mps.sort().reverse()) { try { execFileSync('umount', ['-l', m], { stdio: 'ignore' }); } catch { /* gone */ } }
}

export async function startDaemon(opts: StartOptions = {}): Promise<TestDaemon> {
  const tmp = opts.reuse?.tmp ?? mkdtempSync(join(tmpdir(), 'hako-test-'));
  const dataRoot = opts.reuse?.dataRoot ?? opts.dataRoot ?? join(tmp, 'data');
  const execRoot = join(tmp, 'run');
  const socket = join(tmp, 'hako.sock');
  const pidfile = join(execRoot, 'hakod.pid');
  const instance = opts.reuse?.instance ?? randomInstance();
  const configFile = join(tmp, 'daemon.json');
  writeFileSync(configFile, JSON.stringify(opts.config ?? {}));
  const args = ['--data-root', dataRoot, '--exec-root', execRoot, '-H', `unix://${socket}`, '--instance', instance,
    '--config-file', configFile, '--log-level', 'debug', ...(opts.args ?? [])];
  // The test knob HAKO_TEARDOWN_ON_EXIT makes SIGTERM also remove the instance's
  // bridges, nft table, DNS listeners and cgroup parents: a test leaves nothing behind.
  const env = { ...process.env, HAKO_TEARDOWN_ON_EXIT: '1', ...opts.env };
  // nsenter execs hakod in place (only the netns changes): proc.pid is hakod's.
  const proc = opts.netns
    ? spawn('nsenter', [`--net=/run/netns/${opts.netns}`, hakodBin, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env })
    : spawn(hakodBin, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
  let stderr = '';
  proc.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.on('exit', (code, signal) => r({ code, signal })));
  let done = false;
  void exited.then(() => (done = true));
  const d: TestDaemon = {
    socket, dataRoot, execRoot, instance, pidfile, tmp, proc,
    logs: () => stderr,
    request: (m, p, b, h) => unixRequest(socket, m, p, b, h),
    async stop() {
      if (!done) proc.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), 15_000)));
      const r = await Promise.race([exited, timeout]);
      clearTimeout(timer);
      if (!r) {
        proc.kill('SIGKILL');
        await exited;
      }
      unmountUnder(execRoot);
      rmSync(tmp, { recursive: true, force: true });
      return r ?? { code: null, signal: 'SIGKILL' };
    },
  };
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  for (;;) {
    if (done) {
      rmSync(tmp, { recursive: true, force: true });
      throw new Error(`hakod exited before answering /_ping:\n${stderr}`);
    }
    const ok = await unixRequest(socket, 'GET', '/_ping').then((r) => r.status === 200, () => false);
    if (ok) return d;
    if (Date.now() > deadline) {
      await d.stop();
      throw new Error(`hakod did not answer /_ping within the timeout:\n${stderr}`);
    }
    await sleep(50);
  }
}

/** Runs hakod with `args` to completion (for refusal tests); returns exit code and output. */
export function runHakod(args: string[], timeoutMs = 15_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    const p = spawn(hakodBin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
    p.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('exit', (code) => {
      clearTimeout(t);
      resolvePromise({ code, stdout, stderr });
    });
  });
}
