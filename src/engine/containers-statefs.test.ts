/** The tmpfs mounts for container state under an exec root on a disk (root: real mounts). */
import { test } from 'node:test';
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { STATE_DIRS, mountStateTmpfs, unmountIdleStateTmpfs } from './containers-statefs.js';

const isRoot = process.getuid?.() === 0;
const TMPFS_MAGIC = 0x01021994;
const mountedAt = (d: string) => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === d);

test('state dirs get a tmpfs each, a dir holding state keeps it, a second boot reuses them, idle ones go at stop', {
  skip: !isRoot || statfsSync(tmpdir()).type === TMPFS_MAGIC ? 'needs root and a tmpdir on a disk file system' : false,
}, () => {
  const root = mkdtempSync(join(tmpdir(), 'hako-statefs-'));
  const exec = join(root, 'run');
  let mounted: string[] = [];
  try {
    mkdirSync(join(exec, 'exec'), { recursive: true });
    writeFileSync(join(exec, 'exec', 'left-by-an-older-daemon'), '');
    mounted = mountStateTmpfs(exec);
    assert.deepEqual(mounted, STATE_DIRS.filter((s) => s !== 'exec').map((s) => join(exec, s)));
    for (const d of mounted) assert.equal(statfsSync(d).type, TMPFS_MAGIC, d);
    assert.ok(!mountedAt(join(exec, 'exec')), 'a dir with content is never hidden');
    assert.deepEqual(mountStateTmpfs(exec), mounted, 'a restarted daemon finds its mounts');
    mkdirSync(join(exec, 'runtime', 'crun', 'abc'), { recursive: true });
    mkdirSync(join(exec, 'runtime', 'bin'), { recursive: true });
    writeFileSync(join(exec, 'containers', 'x'), '');
    unmountIdleStateTmpfs(mounted);
    assert.ok(mountedAt(join(exec, 'runtime')) && mountedAt(join(exec, 'containers')), 'state still held: kept');
    assert.ok(!mountedAt(join(exec, 'exits')), 'idle: unmounted');
    rmSync(join(exec, 'runtime', 'crun', 'abc'), { recursive: true });
    rmSync(join(exec, 'containers', 'x'));
    unmountIdleStateTmpfs(mounted);
    for (const d of mounted) assert.ok(!mountedAt(d), d);
  } finally {
    for (const d of mounted) if (mountedAt(d)) execFileSync('umount', ['-l', d]);
    rmSync(root, { recursive: true, force: true });
  }
});

test('HAKO_STATE_TMPFS=0 and an exec root already on tmpfs: nothing mounted', { skip: !isRoot }, () => {
  const root = mkdtempSync(join(tmpdir(), 'hako-statefs-'));
  try {
    process.env.HAKO_STATE_TMPFS = '0';
    assert.deepEqual(mountStateTmpfs(join(root, 'run')), []);
    delete process.env.HAKO_STATE_TMPFS;
    assert.deepEqual(mountStateTmpfs('/dev/shm'), []);
  } finally {
    delete process.env.HAKO_STATE_TMPFS;
    rmSync(root, { recursive: true, force: true });
  }
});
