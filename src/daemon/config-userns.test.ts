import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDaemonArgs } from './config.js';

const cfg = (args: string[], file = '{}') => {
  const dir = mkdtempSync(join(tmpdir(), 'hako-cfg-'));
  try {
    writeFileSync(join(dir, 'daemon.json'), file);
    const r = parseDaemonArgs([...args, '--config-file', join(dir, 'daemon.json')]);
    assert.equal(r.kind, 'run');
    return (r as Extract<typeof r, { kind: 'run' }>).config;
  } finally { rmSync(dir, { recursive: true, force: true }); }
};

test('--userns-remap and daemon.json "userns-remap", as dockerd spells them', () => {
  assert.equal(cfg([]).usernsRemap, undefined);
  assert.equal(cfg(['--userns-remap', 'default']).usernsRemap, 'default');
  assert.equal(cfg(['--userns-remap', 'alice:staff']).usernsRemap, 'alice:staff');
  assert.equal(cfg([], '{"userns-remap": "default"}').usernsRemap, 'default');
  assert.throws(() => cfg(['--userns-remap', 'a:b:c']), /invalid userns-remap "a:b:c"/);
  assert.throws(() => cfg(['--userns-remap', 'default'], '{"userns-remap": "default"}'), /both as a flag and in the configuration file/);
});
