import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, linkSync, lstatSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync, chownSync } from 'node:fs';
import { join } from 'node:path';
import { isRoot, tempDir } from './_testutil.js';
import { remappedDiffDir, shiftTree, toContainerId, toHostId, type IdShift } from './snapshots-idmap.js';

const shift: IdShift = { key: '100000.200000', uids: [{ containerID: 0, hostID: 100000, size: 1000 }, { containerID: 1000, hostID: 500000, size: 10 }], gids: [{ containerID: 0, hostID: 200000, size: 65536 }] };

test('ids to the host and back through several ranges', () => {
  assert.equal(toHostId(0, shift.uids), 100000);
  assert.equal(toHostId(999, shift.uids), 100999);
  assert.equal(toHostId(1005, shift.uids), 500005);
  assert.equal(toHostId(2000, shift.uids), 65534, 'outside every range: host nobody, not a host user (the overflow id inside)');
  assert.equal(toContainerId(500005, shift.uids), 1005);
  assert.equal(toContainerId(100000, shift.uids), 0);
  assert.equal(toContainerId(0, shift.uids), 65534, 'host root is the overflow id inside');
});

test('a shifted copy: owners moved once per inode, set-id bits kept, symlinks themselves, the original untouched', async (t) => {
  if (!isRoot()) return t.skip('chown needs root');
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const diff = join(dir, 'chain', 'diff');
  mkdirSync(join(diff, 'bin'), { recursive: true });
  writeFileSync(join(diff, 'bin', 'su'), 'x');
  chmodSync(join(diff, 'bin', 'su'), 0o4755);
  linkSync(join(diff, 'bin', 'su'), join(diff, 'bin', 'su2'));
  symlinkSync('su', join(diff, 'bin', 'sl'));
  writeFileSync(join(diff, 'owned'), 'y');
  chownSync(join(diff, 'owned'), 1001, 5);
  writeFileSync(join(diff, 'far'), 'z');
  chownSync(join(diff, 'far'), 70000, 70000);
  const m = await remappedDiffDir(diff, shift);
  assert.equal(m, join(dir, 'chain', 'remap-100000.200000'));
  const su = statSync(join(m, 'bin', 'su'));
  assert.deepEqual([su.uid, su.gid, su.mode & 0o7777], [100000, 200000, 0o4755]);
  assert.equal(statSync(join(m, 'bin', 'su2')).ino, su.ino, 'hard link kept');
  assert.equal(lstatSync(join(m, 'bin', 'sl')).uid, 100000);
  assert.deepEqual([statSync(join(m, 'owned')).uid, statSync(join(m, 'owned')).gid], [500001, 200005]);
  assert.equal(statSync(m).uid, 100000, 'the root dir too');
  assert.deepEqual([statSync(join(m, 'far')).uid, statSync(join(m, 'far')).gid], [65534, 65534], 'unmapped ids: host nobody');
  assert.equal(statSync(join(diff, 'bin', 'su')).uid, 0, 'the original is not shifted');
  assert.equal(await remappedDiffDir(diff, shift), m, 'made once, then reused');
  assert.deepEqual(readdirSync(join(dir, 'chain')).sort(), ['diff', 'remap-100000.200000']);
  await shiftTree(join(dir, 'chain', 'diff'), { key: 'x', uids: [], gids: [] });
  assert.equal(statSync(join(diff, 'bin', 'su')).uid, 0, 'an empty mapping changes nothing');
});
