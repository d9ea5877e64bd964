import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseDaemonArgs } from './config.js';

const run = (args: string[]) => {
  const r = parseDaemonArgs([...args, '--config-file', '/dev/null']);
  assert.equal(r.kind, 'run');
  return (r as Extract<typeof r, { kind: 'run' }>).config;
};

test('--bip and --default-address-pool as dockerd spells them', () => {
  const c = run(['--bip', '10.201.7.1/24', '--default-address-pool', 'base=10.202.0.0/16,size=24']);
  assert.equal(c.bip, '10.201.7.1/24');
  assert.deepEqual(c.defaultAddressPools, [{ base: '10.202.0.0/16', size: 24 }]);
  assert.equal(run([]).bip, undefined);
});

test('bad --bip and pools are refused with what was expected', () => {
  assert.throws(() => run(['--bip', '10.201.7.1']), (e: unknown) => e instanceof ConfigError && /invalid bip "10.201.7.1"/.test((e as Error).message));
  assert.throws(() => run(['--default-address-pool', 'base=10.0.0.0/24,size=16']), /invalid default address pool/);
  assert.throws(() => run(['--default-address-pool', 'size=24']), /invalid default address pool/);
});

test('--seccomp-profile and daemon.json seccomp-profile: builtin, unconfined or a profile file', (t) => {
  assert.equal(run([]).seccompProfile, 'builtin');
  assert.equal(run(['--seccomp-profile', 'unconfined']).seccompProfile, 'unconfined');
  const dir = mkdtempSync(join(tmpdir(), 'hako-cfg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'p.json');
  writeFileSync(file, '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]}');
  const c = run(['--seccomp-profile', file]);
  assert.equal(c.seccompProfile, file);
  assert.equal(c.seccompProfileData?.defaultAction, 'SCMP_ACT_ERRNO');
  const cfg = join(dir, 'daemon.json');
  writeFileSync(cfg, JSON.stringify({ 'seccomp-profile': 'unconfined' }));
  const r = parseDaemonArgs(['--config-file', cfg]);
  assert.equal(r.kind === 'run' && r.config.seccompProfile, 'unconfined');
  assert.throws(() => run(['--seccomp-profile', join(dir, 'missing.json')]), /^Error: opening seccomp profile \(.*missing\.json\) failed|opening seccomp profile/);
  writeFileSync(file, '{"defaultAction":');
  assert.throws(() => run(['--seccomp-profile', file]), (e: unknown) => e instanceof ConfigError && /Decoding seccomp profile failed/.test((e as Error).message));
});
