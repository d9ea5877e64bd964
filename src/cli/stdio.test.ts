import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { lazyStream, writeAllSync } from './stdio.js';

function withFile(fn: (fd: number, read: () => string) => Promise<void> | void) {
  const dir = mkdtempSync(join(tmpdir(), 'hako-stdio-'));
  const file = join(dir, 'out');
  const fd = openSync(file, 'w');
  return Promise.resolve(fn(fd, () => readFileSync(file, 'utf8'))).finally(() => {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  });
}

test('text goes to the descriptor until a stream is needed, then through the stream, in order', () =>
  withFile(async (fd, read) => {
    let made = 0;
    const real = new PassThrough();
    const got: string[] = [];
    real.on('data', (c: Buffer) => got.push(c.toString()));
    const out = lazyStream(() => (made++, real as unknown as NodeJS.WriteStream), fd);
    out.write('one\n');
    out.write(Buffer.from('two\n'));
    await new Promise<void>((r) => out.write('three\n', () => r()));
    assert.equal(made, 0);
    assert.equal(read(), 'one\ntwo\nthree\n');
    assert.ok(out instanceof Writable); // the first question that needs the stream
    assert.equal(made, 1);
    out.write('four\n');
    await pipeline(Readable.from(['five\n']), out, { end: false });
    assert.equal(read(), 'one\ntwo\nthree\n');
    assert.deepEqual(got, ['four\n', 'five\n']);
    assert.equal(made, 1);
  }));

test('an object made from the stand-in keeps its own properties (pull -q quiet sink)', () =>
  withFile((fd, read) => {
    const real = new PassThrough();
    const got: string[] = [];
    real.on('data', (c: Buffer) => got.push(c.toString()));
    const out = lazyStream(() => real as unknown as NodeJS.WriteStream, fd);
    out.write('direct\n');
    const sink = Object.assign(Object.create(out), { write: () => true }) as NodeJS.WriteStream;
    sink.write('dropped');
    assert.notEqual(real.write, sink.write);
    out.write('kept\n');
    assert.equal(read(), 'direct\n');
    assert.deepEqual(got, ['kept\n']);
    (out as unknown as { marker: number }).marker = 7;
    assert.equal((real as unknown as { marker: number }).marker, 7);
  }));

test('stdin without a descriptor is only deferred', () => {
  let made = 0;
  const real = Readable.from(['x']);
  const inp = lazyStream(() => (made++, real));
  assert.equal(made, 0);
  assert.equal(typeof inp.on, 'function');
  assert.equal(made, 1);
  assert.ok('read' in inp);
});

test('writeAllSync writes everything and ignores a reader that went away', () =>
  withFile((fd, read) => {
    writeAllSync(fd, 'x'.repeat(200_000));
    assert.equal(read().length, 200_000);
    assert.throws(() => writeAllSync(999_999, 'a'), /EBADF/);
  }));
