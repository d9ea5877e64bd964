import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isEngineError } from '../core/errors.js';
import { idMapOf, nextRangeStart, parseRemapSpec, parseSubIds, UsernsRemapper, type UsernsFiles } from './userns.js';

test('subordinate ranges: by name or numeric id, comments and junk skipped', () => {
  const text = '# c\nhako:100000:65536\nother:200000:1000\n999:300000:10\nbad:x:1\nhako:500000:10\n';
  assert.deepEqual(parseSubIds(text, 'hako'), [{ start: 100000, length: 65536 }, { start: 500000, length: 10 }]);
  assert.deepEqual(parseSubIds(text, 'hako', 999), [{ start: 100000, length: 65536 }, { start: 300000, length: 10 }, { start: 500000, length: 10 }]);
  assert.equal(parseSubIds(text, 'ALL').length, 4);
  assert.deepEqual(parseSubIds('', 'hako'), []);
});

test('several ranges are sorted and laid end to end, as dockerd does', () => {
  assert.deepEqual(idMapOf([{ start: 300000, length: 10 }, { start: 100000, length: 65536 }]), [
    { containerID: 0, hostID: 100000, size: 65536 },
    { containerID: 65536, hostID: 300000, size: 10 },
  ]);
});

test('the next free range starts at 100000 and skips past overlapping ones', () => {
  assert.equal(nextRangeStart([]), 100000);
  assert.equal(nextRangeStart([{ start: 100000, length: 65536 }]), 165536);
  assert.equal(nextRangeStart([{ start: 165536, length: 65536 }, { start: 100000, length: 65536 }]), 231072);
  assert.equal(nextRangeStart([{ start: 1000000, length: 65536 }]), 100000);
  assert.equal(nextRangeStart([{ start: 150000, length: 10 }]), 150010, 'a small range inside the window (dockerd\'s check misses it)');
  assert.equal(nextRangeStart([{ start: 50000, length: 60000 }]), 110000);
});

test('--userns-remap values: default, USER, USER:GROUP', () => {
  assert.deepEqual(parseRemapSpec('default'), { user: 'hako', group: 'hako' });
  assert.deepEqual(parseRemapSpec('alice'), { user: 'alice', group: 'alice' });
  assert.deepEqual(parseRemapSpec('alice:staff'), { user: 'alice', group: 'staff' });
  assert.throws(() => parseRemapSpec('a:b:c'), /invalid userns-remap value/);
  assert.throws(() => new UsernsRemapper({ remap: ':x' }), /invalid userns-remap value/);
});

function files(over: Partial<Record<keyof UsernsFiles, string>> = {}): { f: UsernsFiles; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'hako-userns-'));
  const text: Record<keyof UsernsFiles, string> = {
    passwd: 'root:x:0:0::/root:/bin/sh\nhako:x:999:995::/nonexistent:/bin/false\nalice:x:1000:1000::/home/alice:/bin/sh\n',
    group: 'root:x:0:\nhako:x:995:\nstaff:x:50:\n',
    subuid: 'hako:100000:65536\nalice:300000:1000\nalice:200000:1000\n',
    subgid: 'hako:100000:65536\nstaff:400000:65536\n',
    ...over,
  };
  const f = {} as UsernsFiles;
  for (const k of Object.keys(text) as (keyof UsernsFiles)[]) writeFileSync((f[k] = join(dir, k)), text[k]);
  return { f, done: () => rmSync(dir, { recursive: true, force: true }) };
}

test('mappings: per container "remap" uses hako, the daemon its USER:GROUP, "host" none', async () => {
  const { f, done } = files();
  try {
    const plain = new UsernsRemapper({ files: f });
    assert.equal(plain.daemonRemaps, false);
    assert.equal(await plain.mappingFor({}), undefined);
    assert.equal(await plain.mappingFor({ UsernsMode: 'host' }), undefined);
    const m = await plain.mappingFor({ UsernsMode: 'remap' });
    assert.deepEqual(m, { key: '100000.100000', rootUid: 100000, rootGid: 100000, uids: [{ containerID: 0, hostID: 100000, size: 65536 }], gids: [{ containerID: 0, hostID: 100000, size: 65536 }] });
    const daemon = new UsernsRemapper({ remap: 'alice:staff', files: f });
    await daemon.init();
    assert.equal(daemon.daemonRemaps, true);
    const a = (await daemon.mappingFor({}))!;
    assert.equal(a.key, '200000.400000');
    assert.deepEqual(a.uids, [{ containerID: 0, hostID: 200000, size: 1000 }, { containerID: 1000, hostID: 300000, size: 1000 }]);
    assert.equal(await daemon.mappingFor({ UsernsMode: 'host' }), undefined);
    assert.equal((await daemon.mappingFor({ UsernsMode: 'remap' }))!.key, '100000.100000');
  } finally { done(); }
});

test('a user without ranges or unknown fails the daemon start with the reason', async () => {
  const { f, done } = files({ subgid: 'hako:100000:65536\n' });
  try {
    await assert.rejects(new UsernsRemapper({ remap: 'alice', files: f }).init(), /No subgid ranges found for group "alice"/);
    await assert.rejects(new UsernsRemapper({ remap: 'nobody', files: f }).init(), /user nobody not found/);
  } finally { done(); }
});

test('create-time checks: unknown mode, privileged, host network and host pid with a user namespace', () => {
  const r = new UsernsRemapper();
  const bad = (hc: object, re: RegExp) => assert.throws(() => r.validate(hc), (e: unknown) => isEngineError(e, 'InvalidArgument') && re.test((e as Error).message));
  bad({ UsernsMode: 'private' }, /invalid USER mode "private"/);
  bad({ UsernsMode: 'remap', Privileged: true }, /privileged mode is incompatible with user namespaces/);
  bad({ UsernsMode: 'remap', NetworkMode: 'host' }, /cannot share the host's network namespace/);
  bad({ UsernsMode: 'remap', PidMode: 'host' }, /cannot share the host PID namespace/);
  r.validate({ Privileged: true, NetworkMode: 'host', PidMode: 'host' });
  r.validate({ UsernsMode: 'remap', NetworkMode: 'container:x', PidMode: 'container:x' });
  const d = new UsernsRemapper({ remap: 'default' });
  assert.throws(() => d.validate({ Privileged: true }), /privileged mode is incompatible/);
  d.validate({ Privileged: true, UsernsMode: 'host' });
});
