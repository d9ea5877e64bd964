/** The spawn helper (native/hako-spawn.c) behind run() and spawnChild(): real processes, real mounts (root). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, writeSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { once } from 'node:events';
import { run } from './exec.js';
import { SpawnServer, idleCleanup, nativeMount, nativeUnmount, sealedExecutable, spawnChild } from './spawn.js';

const helper = SpawnServer.get();
const isRoot = process.getuid?.() === 0;

test('the helper is built and used: children are its children, not the daemon\'s', { skip: process.env.HAKO_SPAWN_HELPER === '0' }, async () => {
  assert.ok(helper, 'build/hako-spawn is missing (npm run build)');
  const ppid = (await run('sh', ['-c', 'echo $PPID'])).stdout.trim();
  assert.notEqual(Number(ppid), process.pid);
  assert.equal(readFileSync(`/proc/${ppid}/comm`, 'utf8').trim(), 'hako-spawn');
});

test('run(): output, exit code, stdin, env, cwd', async () => {
  assert.deepEqual(await run('echo', ['a', 'b c']), { code: 0, stdout: 'a b c\n', stderr: '' });
  const fail = await run('sh', ['-c', 'echo out; echo err >&2; exit 3'], { allowFailure: true });
  assert.deepEqual(fail, { code: 3, stdout: 'out\n', stderr: 'err\n' });
  await assert.rejects(run('sh', ['-c', 'echo "no such thing" >&2; exit 1']), /sh -c: no such thing/);
  const big = 'x'.repeat(3_000_000);
  assert.equal((await run('wc', ['-c'], { input: big })).stdout.trim(), String(big.length));
  assert.equal((await run('head', ['-c', '2000000', '/dev/zero'])).stdout.length, 2_000_000);
  assert.equal((await run('sh', ['-c', 'echo $FOO'], { env: { FOO: 'bar', PATH: '/usr/bin:/bin' } })).stdout, 'bar\n');
  assert.equal((await run('pwd', [], { cwd: '/tmp' })).stdout, '/tmp\n');
});

test('run(): a missing command and a timeout', async () => {
  await assert.rejects(run('hako-no-such-command', []), /hako-no-such-command: .*ENOENT/);
  const t0 = Date.now();
  await assert.rejects(run('sleep', ['10'], { timeoutMs: 200 }), /exited with 137/);
  assert.ok(Date.now() - t0 < 5000);
});

test('children start with default signal dispositions, an empty mask and only fds 0-2', async () => {
  const r = await run('sh', ['-c', 'grep -E "^Sig(Blk|Ign)" /proc/self/status; ls /proc/self/fd']);
  assert.match(r.stdout, /SigBlk:\s+0+\n/);
  assert.match(r.stdout, /SigIgn:\s+0+\n/);
  // 0, 1, 2 and the fd ls opens for the directory
  assert.ok(r.stdout.split('\n').filter((l) => /^\d+$/.test(l)).length <= 4, r.stdout);
});

test('spawnChild(): fd 3, detached (own session), many at once', async () => {
  const c = spawnChild('sh', ['-c', 'echo sync >&3; ps -o sid= -p $$'], { stdio: ['ignore', 'pipe', 'ignore', 'pipe'], detached: true });
  let fd3 = '';
  let out = '';
  c.fd3!.on('data', (d: Buffer) => { fd3 += d; });
  c.stdout!.on('data', (d: Buffer) => { out += d; });
  const [code] = await once(c, 'close');
  assert.equal(code, 0);
  assert.equal(fd3, 'sync\n');
  if (out.trim()) assert.equal(Number(out.trim()), c.pid);
  const rs = await Promise.all(Array.from({ length: 40 }, (_, i) => run('sh', ['-c', `echo ${i}`])));
  assert.deepEqual(rs.map((r) => r.stdout), Array.from({ length: 40 }, (_, i) => `${i}\n`));
});

test('nativeMount / nativeUnmount: a tmpfs mounted and unmounted by the helper', { skip: !isRoot || !helper }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hako-spawn-'));
  try {
    assert.equal(await nativeMount('tmpfs', dir, 'tmpfs', 'size=1m'), true);
    writeFileSync(join(dir, 'f'), 'x');
    assert.match(readFileSync('/proc/self/mountinfo', 'utf8'), new RegExp(` ${dir} `));
    assert.equal(await nativeUnmount(dir), true);
    assert.equal(existsSync(join(dir, 'f')), false);
    assert.equal(await nativeMount('tmpfs', join(dir, 'missing'), 'tmpfs', ''), false, 'a failed mount reports false');
    assert.equal(await nativeUnmount(dir, true), false, 'nothing mounted there any more');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('idleCleanup: unmounts, removes trees without following symlinks or crossing mounts', { skip: !isRoot || !helper }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hako-spawn-'));
  const outside = mkdtempSync(join(tmpdir(), 'hako-spawn-outside-'));
  try {
    writeFileSync(join(outside, 'keep'), 'x');
    const tree = join(dir, 'tree');
    mkdirSync(join(tree, 'a', 'b', 'c'), { recursive: true });
    writeFileSync(join(tree, 'a', 'b', 'f'), 'x');
    symlinkSync(outside, join(tree, 'a', 'link'));
    mkdirSync(join(tree, 'mnt'));
    // a mount inside the tree: its content is left alone (and so is the mount point)
    assert.equal(await nativeMount('tmpfs', join(tree, 'mnt'), 'tmpfs', 'size=1m'), true);
    writeFileSync(join(tree, 'mnt', 'g'), 'x');
    writeFileSync(join(dir, 'file'), 'x');
    const errno = await idleCleanup([{ remove: tree }, { remove: join(dir, 'file') }, { remove: join(dir, 'missing') }]);
    assert.notEqual(errno, 0, 'a tree holding a mount point is not removed whole');
    assert.equal(existsSync(join(tree, 'mnt', 'g')), true, 'nothing removed inside another mount');
    assert.equal(existsSync(join(tree, 'a')), false);
    assert.equal(existsSync(join(dir, 'file')), false);
    assert.equal(readFileSync(join(outside, 'keep'), 'utf8'), 'x', 'a symlink is removed, not followed');
    // unmount first, then the whole tree goes; a path already gone is no error
    assert.equal(await idleCleanup([{ umount: join(tree, 'mnt') }, { remove: tree }, { umount: join(dir, 'gone') }, { cgroup: join(dir, 'gone') }]), 0);
    assert.equal(existsSync(tree), false);
    assert.doesNotMatch(readFileSync('/proc/self/mountinfo', 'utf8'), new RegExp(` ${tree}/mnt `));
  } finally {
    await nativeUnmount(join(dir, 'tree', 'mnt'), true);
    rmSync(dir, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  }
});

test('sealedExecutable: crun executed from the helper\'s sealed copy does not copy and re-exec itself', { skip: !helper || !existsSync('/usr/bin/crun') }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hako-sealed-'));
  try {
    const link = join(dir, 'bin', 'crun');
    let p: string | undefined;
    for (let i = 0; i < 100 && !(p = sealedExecutable('/usr/bin/crun', link)); i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(p, link);
    assert.match(readlinkSync(link), /^\/proc\/\d+\/fd\/\d+$/);
    const fd = openSync(link, 'r+');
    try { assert.throws(() => writeSync(fd, 'x'), /EPERM/, 'the copy is sealed against writes'); } finally { closeSync(fd); }
    assert.match((await run(link, ['--version'])).stdout, /^crun version/);
    const strace = await run('strace', ['-f', '-e', 'trace=execve,execveat,memfd_create', link, '--version'], { allowFailure: true }).catch(() => null);
    if (strace?.code === 0) assert.doesNotMatch(strace.stderr, /execveat|memfd_create/, strace.stderr);
    // the same binary run from its own path does copy and re-exec itself (what the copy spares)
    const plain = await run('strace', ['-f', '-e', 'trace=execveat', '/usr/bin/crun', '--version'], { allowFailure: true }).catch(() => null);
    if (plain?.code === 0) assert.match(plain.stderr, /execveat/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
