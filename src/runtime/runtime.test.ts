/** Root-only: runs real containers through conmon + crun/runc on a busybox rootfs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, copyFileSync, symlinkSync, writeFileSync, rmSync, existsSync, chmodSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { once } from 'node:events';
import { OciRuntime, chooseRuntime, crunBlocker, type RuntimeName } from './oci.js';
import { conmonCreate } from './conmon.js';
import { ExitWatcher, attachSocket, readExitCode } from './monitor.js';
import { readLog } from './logs.js';
import { V1Cgroups, hostCgroups } from './cgroups.js';
import { buildSpec } from './spec.js';
import type { ImageConfig } from '../core/oci.js';

const isRoot = process.getuid?.() === 0 && existsSync('/usr/bin/conmon') && existsSync('/bin/busybox');
const image: ImageConfig = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config: { Env: ['PATH=/bin'] } };

function busyboxRootfs(dir: string): void {
  for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp']) mkdirSync(join(dir, d), { recursive: true });
  copyFileSync('/bin/busybox', join(dir, 'bin', 'busybox'));
  chmodSync(join(dir, 'bin', 'busybox'), 0o755);
  const applets = execFileSync('/bin/busybox', ['--list']).toString().split('\n').filter(Boolean);
  for (const a of applets) if (a !== 'busybox') symlinkSync('busybox', join(dir, 'bin', a));
  writeFileSync(join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(dir, 'etc', 'group'), 'root:x:0:\n');
}

interface Env { tmp: string; rt: OciRuntime; exitDir: string; watcher: ExitWatcher; instance: string }

function setup(name: RuntimeName): Env {
  const tmp = mkdtempSync(join(tmpdir(), 'hako-rt-'));
  busyboxRootfs(join(tmp, 'rootfs'));
  const rt = new OciRuntime({ name, root: join(tmp, 'state') });
  const exitDir = join(tmp, 'exits');
  return { tmp, rt, exitDir, watcher: new ExitWatcher(exitDir), instance: `hakotest${process.pid}` };
}

async function startContainer(env: Env, id: string, cmd: string[], opts: { stdin?: boolean } = {}) {
  const bundle = join(env.tmp, id);
  mkdirSync(bundle);
  for (const f of ['hosts', 'hostname', 'resolv.conf']) writeFileSync(join(bundle, f), '');
  const spec = buildSpec({
    id, config: { Cmd: cmd, OpenStdin: opts.stdin }, hostConfig: {}, image, rootfs: join(env.tmp, 'rootfs'), containerDir: bundle,
    dataRoot: env.tmp, instance: env.instance, namespaces: {}, passwd: '', group: '',
  });
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
  const logPath = join(bundle, 'ctr.log');
  const t0 = performance.now();
  const { pid } = await conmonCreate(env.rt, { id, name: id, bundle, logPath, exitDir: env.exitDir, persistDir: join(bundle, 'persist'), tty: false, openStdin: !!opts.stdin });
  const exited = new Promise<number>((r) => env.watcher.watch(id, r));
  await env.rt.start(id);
  return { pid, bundle, logPath, exited, t0 };
}

async function cleanup(env: Env, ids: string[]): Promise<void> {
  for (const id of ids) {
    await env.rt.delete(id, true);
    hostCgroups().remove(`/${env.instance}/${id}`);
  }
  new V1Cgroups().remove(`/${env.instance}`);
  env.watcher.close();
  rmSync(env.tmp, { recursive: true, force: true });
}

async function collect(s: NodeJS.ReadableStream): Promise<string> {
  let out = '';
  for await (const c of s as AsyncIterable<{ stream: number; data: Buffer }>) out += `${c.stream}:${c.data.toString()}`;
  return out;
}

for (const name of ['crun', 'runc'] as RuntimeName[]) {
  const skip = !isRoot ? 'needs root, conmon and busybox' : name === 'crun' && crunBlocker() ? crunBlocker()! : false;

  test(`${name}: run, log, exit code, delete`, { skip }, async () => {
    const env = setup(name);
    const id = `t1-${name}-${process.pid}`;
    try {
      const c = await startContainer(env, id, ['sh', '-c', 'echo out; echo err >&2; printf part; exit 7']);
      const code = await c.exited;
      console.log(`${name}: create+start+exit in ${(performance.now() - c.t0).toFixed(1)} ms`);
      assert.equal(code, 7);
      assert.equal(readExitCode(env.exitDir, id), 7);
      assert.equal((await env.rt.state(id))?.status, 'stopped');
      assert.equal(await collect(readLog(c.logPath, { stderr: false })), '1:out\n1:part');
      assert.equal(await collect(readLog(c.logPath, { stdout: false, timestamps: true })).then((s) => s.replace(/^2:\S+Z /, '2:T ')), '2:T err\n');
      assert.equal(await collect(readLog(c.logPath, { tail: 1, stdout: false })), '2:err\n');
      await env.rt.delete(id);
      assert.equal(await env.rt.state(id), null);
    } finally {
      await cleanup(env, [id]);
    }
    assert.ok(!existsSync(`/sys/fs/cgroup/memory/${env.instance}`));
  });

  test(`${name}: kill a running container, follow its log`, { skip }, async () => {
    const env = setup(name);
    const id = `t2-${name}-${process.pid}`;
    try {
      const c = await startContainer(env, id, ['sh', '-c', 'echo ready; exec sleep 100']);
      assert.equal((await env.rt.state(id))?.status, 'running');
      const followed = collect(readLog(c.logPath, { follow: true, stopped: c.exited }));
      assert.ok(hostCgroups().pids(`/${env.instance}/${id}`).includes(c.pid));
      await env.rt.kill(id, 'TERM'); // pid 1 without a handler ignores TERM
      await new Promise((r) => setTimeout(r, 100));
      assert.equal((await env.rt.state(id))?.status, 'running');
      await env.rt.kill(id, 'KILL');
      assert.equal(await c.exited, 137);
      assert.equal(await followed, '1:ready\n');
      assert.ok(!existsSync(`/proc/${c.pid}`));
    } finally {
      await cleanup(env, [id]);
    }
  });

  test(`${name}: attach with stdin`, { skip }, async () => {
    const env = setup(name);
    const id = `t3-${name}-${process.pid}`;
    try {
      const c = await startContainer(env, id, ['sh', '-c', 'read x; echo got $x; echo bye >&2'], { stdin: true });
      const a = attachSocket(join(c.bundle, 'attach'));
      const out = collect(a.output);
      await new Promise((r) => setTimeout(r, 100));
      a.stdin.end('hello\n');
      assert.equal(await c.exited, 0);
      const got = await out;
      assert.ok(got.includes('1:got hello\n') && got.includes('2:bye\n'), got);
    } finally {
      await cleanup(env, [id]);
    }
  });
}

test('chooseRuntime falls back to runc only when crun is blocked', () => {
  const logs: string[] = [];
  const got = chooseRuntime('crun', (m) => logs.push(m));
  assert.equal(got, crunBlocker() ? 'runc' : 'crun');
  assert.equal(chooseRuntime('runc'), 'runc');
});
void once;
