import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attachHelper } from './monitor.js';
import { resizeTerminal } from './resize.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('sizes sent together reach the fifo one at a time, in order; one still waiting is replaced', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hako-resize-'));
  try {
    execFileSync('mkfifo', [join(dir, 'winsz')]);
    const fd = openSync(join(dir, 'winsz'), constants.O_RDONLY | constants.O_NONBLOCK); // as conmon holds it
    const buf = Buffer.alloc(256);
    const read = () => { try { const n = readSync(fd, buf); return buf.subarray(0, n).toString(); } catch { return ''; } };
    resizeTerminal(dir, 28, 92, attachHelper); // what the docker CLI sends on attach: size+1 ...
    resizeTerminal(dir, 30, 100, attachHelper); // (replaced by the next one while it waits)
    resizeTerminal(dir, 27, 91, attachHelper); // ... then the real size, a millisecond later
    // a slow reader (a loaded machine): nothing more is written until the first size was read
    await sleep(400);
    assert.equal(read(), '28 92\n');
    const deadline = Date.now() + 5000;
    let second = '';
    while (!second && Date.now() < deadline) { await sleep(20); second = read(); }
    assert.equal(second, '27 91\n');
    await sleep(200);
    assert.equal(read(), '');
    closeSync(fd);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a directory without a terminal fifo is an error for the caller', () => {
  assert.throws(() => resizeTerminal(join(tmpdir(), 'hako-no-such-dir'), 1, 1, attachHelper), /cannot resize/);
});
