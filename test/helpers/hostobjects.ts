// Helpers for the container acceptance tests (limits, namespaces, restore, leaks): the
// docker CLI bound to one test daemon, and every host object one daemon instance still
// holds for its containers (mounts, cgroups, netns files, veths, conmon processes, dirs).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { startDaemon, type TestDaemon } from './daemon.js';
import { busyboxTar } from './images.js';
import { DOCKER_BIN } from './docker-bin.js';

const exec = promisify(execFile);
export const DOCKER = DOCKER_BIN;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Why these tests cannot run here, or false. */
export function skipReason(): string | false {
  if (process.getuid?.() !== 0) return 'requires root';
  if (!existsSync(DOCKER)) return `no docker CLI at ${DOCKER}`;
  return false;
}

export interface CliResult { code: number; stdout: string; stderr: string }

/** `docker -H unix://<socket> args...` to completion (killed after timeoutMs). */
export function dockerCli(d: Pick<TestDaemon, 'socket' | 'tmp'>, args: string[], o: { input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const p = spawn(DOCKER, ['-H', `unix://${d.socket}`, ...args], { env: { ...process.env, DOCKER_CONFIG: d.tmp } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const t = setTimeout(() => p.kill('SIGKILL'), o.timeoutMs ?? 60_000);
    p.on('close', (code, signal) => {
      clearTimeout(t);
      resolve({ code: code ?? (signal ? -1 : 0), stdout, stderr: signal ? `${stderr}[killed by ${signal}: timeout]` : stderr });
    });
    p.stdin.on('error', () => {});
    p.stdin.end(o.input);
  });
}

/** Like dockerCli, but fails the test on a non-zero status; returns trimmed stdout. */
export async function dockerOk(d: Pick<TestDaemon, 'socket' | 'tmp'>, args: string[], o: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  const r = await dockerCli(d, args, o);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout.trim();
}

/** A v1 controller file of a container's cgroup (/sys/fs/cgroup/<ctrl>/<instance>/<id>/<file>). */
export function cgroupFile(instance: string, id: string, ctrl: string, file: string): string {
  return readFileSync(join('/sys/fs/cgroup', ctrl, instance, id, file), 'utf8').trim();
}

/** True when the host runs cgroup v1 controllers (the layout these tests read). */
export function cgroupV1(): boolean {
  return existsSync('/sys/fs/cgroup/cpu/cpu.shares') || existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes');
}

/**
 * Host objects daemon `d` still holds for containers: mounts under its data or exec
 * root (image snapshots excluded), child cgroups of its instance in any hierarchy, netns
 * files, host-side veths, conmon processes of its bundles and entries in
 * <data-root>/containers. Empty when everything is gone.
 */
export async function containerLeftovers(d: Pick<TestDaemon, 'instance' | 'dataRoot' | 'execRoot'>): Promise<string[]> {
  const out: string[] = [];
  for (const l of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const mp = l.split(' ')[4] ?? '';
    // the daemon's tmpfs mounts for container state (engine/containers-statefs.ts) are not a container's
    if (['runtime', 'containers', 'exits', 'exec'].some((s) => mp === join(d.execRoot, s))) continue;
    if (mp.startsWith(join(d.dataRoot, 'containers') + '/') || mp.startsWith(join(d.dataRoot, 'volumes') + '/') || mp.startsWith(d.execRoot + '/')) out.push(`mount ${mp}`);
  }
  for (const ctrl of readdirSync('/sys/fs/cgroup')) {
    const dir = join('/sys/fs/cgroup', ctrl, d.instance);
    if (!existsSync(dir)) continue;
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) out.push(`cgroup ${join(dir, e.name)}`);
  }
  for (const e of existsSync(join(d.execRoot, 'netns')) ? readdirSync(join(d.execRoot, 'netns')) : []) out.push(`netns ${e}`);
  const prefix = `${d.instance.slice(0, 7)}v`;
  const links = JSON.parse((await exec('ip', ['-j', 'link', 'show'])).stdout || '[]') as { ifname: string }[];
  for (const l of links) if (l.ifname.startsWith(prefix) && /^[0-9a-f]{7}$/.test(l.ifname.slice(prefix.length))) out.push(`veth ${l.ifname}`);
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let cmd = '';
    try { cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8'); } catch { continue; }
    const argv = cmd.split('\0');
    if (argv[0]?.endsWith('conmon') && argv.some((a) => a.startsWith(d.execRoot + '/'))) out.push(`conmon pid ${pid}`);
  }
  for (const e of existsSync(join(d.dataRoot, 'containers')) ? readdirSync(join(d.dataRoot, 'containers')) : []) out.push(`file ${join(d.dataRoot, 'containers', e)}`);
  return out;
}

/** Polls containerLeftovers until it is empty or `ms` passed (host clean-up runs after the API answered). */
export async function settledLeftovers(d: Pick<TestDaemon, 'instance' | 'dataRoot' | 'execRoot'>, ms = 5000): Promise<string[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = await containerLeftovers(d);
    if (left.length === 0 || Date.now() > deadline) return left;
    await sleep(200);
  }
}

/** Removes every container of the daemon, waits for the host clean-up, stops it, and returns what its instance still holds. */
export async function stopChecked(d: TestDaemon): Promise<string[]> {
  const ids = (await dockerCli(d, ['ps', '-aq'])).stdout.split('\n').filter(Boolean);
  if (ids.length) await dockerCli(d, ['rm', '-f', ...ids]);
  const left = await settledLeftovers(d);
  await d.stop();
  return left;
}

/**
 * In a describe(): before its tests a test hakod with busybox loaded, handed to `use` (which
 * may prepare more); after them, every container removed and the check that the instance
 * left nothing on the host (`beforeStop` first removes what else the tests made).
 */
export function withBusyboxDaemon(use: (d: TestDaemon) => unknown, o: { beforeStop?: (d: TestDaemon) => Promise<unknown> } = {}): void {
  let d: TestDaemon | undefined;
  before(async () => {
    d = await startDaemon();
    await dockerOk(d, ['load', '-i', await busyboxTar()]);
    await use(d);
  });
  after(async () => {
    if (!d) return;
    await o.beforeStop?.(d);
    assert.deepEqual(await stopChecked(d), [], 'host objects left behind');
  });
}
