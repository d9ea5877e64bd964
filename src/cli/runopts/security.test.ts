import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSecurityFlags } from './security.js';

test('seccomp=FILE is read and sent as compact JSON, like the docker CLI', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hako-sec-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'p.json');
  writeFileSync(file, '{\n  "defaultAction": "SCMP_ACT_ALLOW",\n  "syscalls": [ { "names": ["mkdir"], "action": "SCMP_ACT_ERRNO" } ]\n}\n');
  const r = parseSecurityFlags([`seccomp=${file}`, 'seccomp=unconfined', 'seccomp=builtin', 'no-new-privileges', 'apparmor=unconfined', 'label:disable']);
  assert.deepEqual(r.securityOpt, [
    'seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO"}]}',
    'seccomp=unconfined', 'seccomp=builtin', 'no-new-privileges', 'apparmor=unconfined', 'label:disable',
  ]);
  assert.equal(r.maskedPaths, undefined);
  assert.throws(() => parseSecurityFlags([`seccomp=${join(dir, 'nope.json')}`]), /opening seccomp profile \(.*nope\.json\) failed: open .*nope\.json: no such file or directory/);
  writeFileSync(file, '{"defaultAction":');
  assert.throws(() => parseSecurityFlags([`seccomp=${file}`]), /compacting json for seccomp profile \(.*p\.json\) failed/);
});

test('systempaths=unconfined empties the masked and read-only paths and is not sent; bad options', () => {
  const r = parseSecurityFlags(['systempaths=unconfined', 'no-new-privileges=true']);
  assert.deepEqual(r, { securityOpt: ['no-new-privileges=true'], maskedPaths: [], readonlyPaths: [] });
  assert.throws(() => parseSecurityFlags(['foo']), /Invalid --security-opt: "foo"/);
  assert.throws(() => parseSecurityFlags(['seccomp=']), /Invalid --security-opt: "seccomp="/);
});
