import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { existsSync } from 'node:fs';
import { lstat, readFile, readlink, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { sha256 } from '../core/digest.js';
import { isEngineError } from '../core/errors.js';
import { cleanEntryName, unpackLayer } from './unpack.js';
import { isRoot, makeTar, rootReason, tempDir } from './_testutil.js';

const skip = isRoot() ? false : rootReason;

test('cleanEntryName strips leading slash and refuses escapes', () => {
  assert.equal(cleanEntryName('/etc/passwd'), 'etc/passwd');
  assert.equal(cleanEntryName('./a/b/'), 'a/b');
  assert.equal(cleanEntryName('a/../b'), 'b');
  assert.equal(cleanEntryName('./'), '');
  assert.throws(() => cleanEntryName('../../etc/x'), /invalid tar entry "..\/..\/etc\/x": path escapes the layer/);
  assert.throws(() => cleanEntryName('/../x'), /path escapes the layer/);
  assert.throws(() => cleanEntryName('a/../../x'), /path escapes the layer/);
});

test('unpacks files, dirs, symlinks, hardlinks, whiteouts and opaque dirs', { skip }, async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const buf = await makeTar([
      { name: 'bin/', type: 'directory', mode: 0o755 },
      { name: 'bin/busybox', content: '#!bb\n', mode: 0o4755, uid: 1000, gid: 1001 },
      { name: 'bin/sh', type: 'symlink', linkname: '/bin/busybox' },
      { name: 'bin/ash', type: 'link', linkname: 'bin/busybox' },
      { name: 'etc/.wh.motd', content: '' },
      { name: 'var/.wh..wh..opq', content: '' },
      { name: 'var/new', content: 'n' },
    ]);
    const dest = join(dir, 'layer');
    const r = await unpackLayer(Readable.from([buf]), dest);
    assert.equal(r.diffId, sha256(buf));
    assert.equal(r.tarSize, buf.length);
    const bb = await lstat(join(dest, 'bin/busybox'));
    assert.equal(bb.mode & 0o7777, 0o4755);
    assert.equal(bb.uid, 1000);
    assert.equal(bb.gid, 1001);
    assert.equal(bb.nlink, 2);
    assert.equal(bb.mtimeMs, 1_600_000_000_000);
    assert.equal(await readlink(join(dest, 'bin/sh')), '/bin/busybox');
    const wh = await lstat(join(dest, 'etc/motd'));
    assert.ok(wh.isCharacterDevice());
    assert.equal(wh.rdev, 0);
    const opq = execFileSync('getfattr', ['-n', 'trusted.overlay.opaque', '--only-values', join(dest, 'var')]).toString();
    assert.equal(opq, 'y');
    assert.equal(await readFile(join(dest, 'var/new'), 'utf8'), 'n');
    assert.ok(!existsSync(join(dest, 'var/.wh..wh..opq')));
  } finally {
    await cleanup();
  }
});

test('gzip layers are detected and the diff id is of the uncompressed tar', { skip }, async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const plain = await makeTar([{ name: 'a', content: 'hello' }]);
    const gz = await makeTar([{ name: 'a', content: 'hello' }], true);
    const r = await unpackLayer(Readable.from([gz]), join(dir, 'l'));
    assert.equal(r.diffId, sha256(plain));
    assert.equal(await readFile(join(dir, 'l/a'), 'utf8'), 'hello');
  } finally {
    await cleanup();
  }
});

const malicious: [string, () => Promise<Buffer>, RegExp][] = [
  ['dot-dot escape', () => makeTar([{ name: '../../etc/x', content: 'pwn' }]), /invalid tar entry "..\/..\/etc\/x": path escapes the layer/],
  ['write through a symlink', () => makeTar([
    { name: 'evil', type: 'symlink', linkname: '/tmp' },
    { name: 'evil/x', content: 'pwn' },
  ]), /invalid tar entry "evil\/x": parent "evil" is a symlink/],
  ['symlink replacing a dir then a write', () => makeTar([
    { name: 'd/', type: 'directory' },
    { name: 'd/a', content: '1' },
    { name: 'd', type: 'symlink', linkname: '/etc' },
    { name: 'd/passwd', content: 'pwn' },
  ]), /invalid tar entry "d\/passwd": parent "d" is a symlink/],
  ['hardlink outside', () => makeTar([{ name: 'h', type: 'link', linkname: '../../etc/shadow' }]),
    /invalid tar entry "h": hardlink target "..\/..\/etc\/shadow" escapes the layer/],
  ['hardlink through a symlink dir', () => makeTar([
    { name: 's', type: 'symlink', linkname: '/etc' },
    { name: 'h', type: 'link', linkname: 's/shadow' },
  ]), /invalid tar entry "h": hardlink target "s\/shadow": parent "s" is a symlink/],
  ['char device', () => makeTar([{ name: 'dev/mem', type: 'character-device' }]), /invalid tar entry "dev\/mem": device nodes are not allowed/],
  ['block device', () => makeTar([{ name: 'sda', type: 'block-device' }]), /invalid tar entry "sda": device nodes are not allowed/],
  ['truncated stream', async () => (await makeTar([{ name: 'big', content: Buffer.alloc(5000, 1) }])).subarray(0, 2000), /invalid tar stream/],
  ['header lying about size', async () => {
    const t = await makeTar([{ name: 'a', content: 'abc' }]);
    const h = Buffer.from(t);
    h.write('00000077777\0', 124, 'ascii'); // size field
    let sum = 0;
    h.fill(0x20, 148, 156);
    for (let i = 0; i < 512; i++) sum += h[i]!;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
    return h;
  }, /invalid tar stream/],
  ['corrupt header', async () => Buffer.concat([Buffer.alloc(512, 0x41), Buffer.alloc(1024)]), /invalid tar stream/],
  ['corrupt gzip', async () => {
    const g = await makeTar([{ name: 'a', content: 'x'.repeat(1000) }], true);
    return Buffer.concat([g.subarray(0, 10), Buffer.alloc(50, 0xff)]);
  }, /invalid tar stream/],
  ['over-long name', () => makeTar([{ name: 'a'.repeat(300), content: 'x' }]), /path component too long/],
];

for (const [what, build, re] of malicious) {
  test(`refuses a malicious layer: ${what}`, { skip }, async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await mkdir(join(dir, 'outside'));
      const dest = join(dir, 'layer');
      const buf = await build();
      await assert.rejects(unpackLayer(Readable.from([buf]), dest), (e: unknown) => {
        assert.ok(isEngineError(e, 'InvalidArgument'), `expected InvalidArgument, got ${String(e)}`);
        assert.match((e as Error).message, re);
        return true;
      });
      assert.ok(!existsSync(dest), 'layer dir removed');
      assert.deepEqual(await readdir(join(dir, 'outside')), []);
    } finally {
      await cleanup();
    }
  });
}
