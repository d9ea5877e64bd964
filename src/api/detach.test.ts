import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DetachScanner, parseDetachKeys } from './detach.js';

test('parses docker detach key specs', () => {
  assert.deepEqual(parseDetachKeys('ctrl-p,ctrl-q'), [16, 17]);
  assert.deepEqual(parseDetachKeys('ctrl-@,a'), [0, 97]);
  assert.throws(() => parseDetachKeys('ctrl-1'), /Invalid detach keys/);
});

test('finds the sequence across chunks and holds back a partial match', () => {
  const s = new DetachScanner([16, 17]);
  assert.deepEqual(s.push(Buffer.from('ab\x10')), { pass: Buffer.from('ab'), detached: false });
  assert.deepEqual(s.push(Buffer.from('\x11zz')), { pass: Buffer.from(''), detached: true });
});

test('releases held bytes when the match fails', () => {
  const s = new DetachScanner([16, 17]);
  assert.deepEqual(s.push(Buffer.from('\x10x')), { pass: Buffer.from('\x10x'), detached: false });
  assert.deepEqual(s.push(Buffer.from('\x10\x10\x11')), { pass: Buffer.from('\x10'), detached: true });
});
