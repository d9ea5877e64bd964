// Helpers for the tests that drive hakod with real, unchanged clients (docker CLI,
// docker-compose, dockerode, testcontainers): run a tool to completion, find a free
// loopback port, and list the host objects a daemon instance still holds for some
// containers and networks (so a test can assert that a client's teardown removed them).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { execFile } from 'node:child_process';

const exec = promisify(execFile);

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `cmd args` to completion (killed after timeoutMs), feeding `input` to stdin. */
export function runTool(cmd: string, args: string[], o: { input?: string; env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd: o.cwd, env: { ...process.env, ...o.env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const t = setTimeout(() => p.kill('SIGKILL'), o.timeoutMs ?? 60_000);
    p.on('error', reject);
    p.on('close', (code, signal) => {
      clearTimeout(t);
      resolve({ code: code ?? (signal === 'SIGKILL' ? 137 : -1), stdout, stderr });
    });
    p.stdin.on('error', () => {});
    p.stdin.end(o.input);
  });
}

/** A host command to completion (20 s at most). */
export const sh = (cmd: string, args: string[]) => runTool(cmd, args, { timeoutMs: 20_000 });

/** Like sh, but fails the test on a non-zero status; returns stdout. */
export async function must(cmd: string, args: string[]): Promise<string> {
  const r = await sh(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Host objects of daemon `instance` that belong to the given containers and networks:
 * bridge links of the networks, the containers' netns names, cgroups and rootfs mounts,
 * any host-side veth of the instance, and nft rules that mention `ports`.
 * Empty when everything is gone.
 */
export async function leftovers(instance: string, o: { containerIds: string[]; networkIds: string[]; ports?: number[]; dataRoot?: string }): Promise<string[]> {
  const out: string[] = [];
  const links = JSON.parse((await exec('ip', ['-j', 'link', 'show'])).stdout || '[]') as { ifname: string }[];
  const vethPrefix = `${instance.slice(0, 7)}v`;
  for (const l of links) {
    if (o.networkIds.some((id) => l.ifname === `${instance}-${id.slice(0, 12)}`.slice(0, 15))) out.push(`link ${l.ifname}`);
    if (l.ifname.startsWith(vethPrefix) && /^[0-9a-f]{7}$/.test(l.ifname.slice(vethPrefix.length))) out.push(`veth ${l.ifname}`);
  }
  const netns = existsSync('/run/netns') ? readdirSync('/run/netns') : [];
  for (const id of o.containerIds) {
    if (netns.includes(`${instance}-${id.slice(0, 12)}`)) out.push(`netns ${instance}-${id.slice(0, 12)}`);
    for (const ctrl of existsSync('/sys/fs/cgroup') ? readdirSync('/sys/fs/cgroup') : []) {
      const p = join('/sys/fs/cgroup', ctrl, instance, id);
      if (existsSync(p)) out.push(`cgroup ${p}`);
    }
  }
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '');
  for (const m of mounts) {
    if (o.containerIds.some((id) => m.includes(id))) out.push(`mount ${m}`);
    if (o.dataRoot && m.startsWith(join(o.dataRoot, 'volumes'))) out.push(`mount ${m}`);
  }
  if (o.ports?.length) {
    const rules = (await exec('nft', ['list', 'ruleset']).catch(() => ({ stdout: '' }))).stdout;
    for (const p of o.ports) if (new RegExp(`dport ${p}\\b`).test(rules)) out.push(`nft rule for port ${p}`);
  }
  return out;
}
