import { test } from 'node:test';
import assert from 'node:assert/strict';
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
