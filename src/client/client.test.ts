import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createServer as netServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, PassThrough } from 'node:stream';
import { StdcopyParser, encodeFrame, demuxWritable } from './stdcopy.js';
import { ChunkedDecoder } from './chunked.js';
import { Client, readAll } from './client.js';
import { parseHost, resolveHost, DEFAULT_HOST } from './host.js';

test('stdcopy: frames split across chunks', () => {
  const data = Buffer.concat([encodeFrame(1, 'hello'), encodeFrame(2, 'err!'), encodeFrame(1, '')]);
  const p = new StdcopyParser();
  const frames = [...p.push(data.subarray(0, 3)), ...p.push(data.subarray(3, 10)), ...p.push(data.subarray(10))];
  assert.deepEqual(frames.map((f) => [f.stream, f.data.toString()]), [[1, 'hello'], [2, 'err!'], [1, '']]);
  assert.equal(p.pending, 0);
  const head = encodeFrame(2, 'ab').subarray(0, 8);
  assert.deepEqual([...head], [2, 0, 0, 0, 0, 0, 0, 2]);
});

test('stdcopy demux to two writables', async () => {
  const out = new PassThrough();
  const err = new PassThrough();
  const w = demuxWritable(out, err);
  w.write(Buffer.concat([encodeFrame(1, 'o1'), encodeFrame(2, 'e1')]));
  w.end(encodeFrame(1, 'o2'));
  await new Promise((r) => w.on('finish', r));
  out.end();
  err.end();
  assert.equal((await readAll(out)).toString(), 'o1o2');
  assert.equal((await readAll(err)).toString(), 'e1');
});

test('chunked decoding with extensions and split lines', async () => {
  const d = new ChunkedDecoder();
  const wire = '5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\n\r\n';
  const chunks = [wire.slice(0, 4), wire.slice(4, 13), wire.slice(13)];
  Readable.from(chunks.map((c) => Buffer.from(c))).pipe(d);
  assert.equal((await readAll(d)).toString(), 'hello world');
});

test('host selection order', () => {
  assert.equal(resolveHost('unix:///a', { HAKO_HOST: 'unix:///b' }), 'unix:///a');
  assert.equal(resolveHost(undefined, { HAKO_HOST: 'unix:///b', DOCKER_HOST: 'unix:///c' }), 'unix:///b');
  assert.equal(resolveHost(undefined, { DOCKER_HOST: 'unix:///c' }), 'unix:///c');
  assert.equal(resolveHost(undefined, {}), DEFAULT_HOST);
  assert.deepEqual(parseHost('tcp://127.0.0.1:2375'), { kind: 'tcp', host: '127.0.0.1', port: 2375, url: 'tcp://127.0.0.1:2375' });
});

async function withServer(handler: Parameters<typeof createServer>[1], fn: (c: Client) => Promise<void>) {
  const dir = mkdtempSync(join(tmpdir(), 'hako-client-'));
  const sock = join(dir, 's.sock');
  const srv: Server = createServer(handler);
  await new Promise<void>((r) => srv.listen(sock, r));
  try {
    await fn(new Client(`unix://${sock}`));
  } finally {
    await new Promise((r) => srv.close(r));
    rmSync(dir, { recursive: true, force: true });
  }
}

test('request: JSON, query, chunked response, errors', async () => {
  await withServer((req, res) => {
    if (req.url === '/x?a=1&f=%7B%7D&l=p&l=q') return res.end(JSON.stringify({ ok: true }));
    if (req.url === '/stream') {
      res.write('{"n":1}\n{"n"');
      setTimeout(() => res.end(':2}\n'), 10);
      return;
    }
    if (req.url === '/echo') {
      const parts: Buffer[] = [];
      req.on('data', (c) => parts.push(c)).on('end', () => res.end(Buffer.concat(parts)));
      return;
    }
    res.statusCode = 404;
    res.end(JSON.stringify({ message: 'No such image: nope' }));
  }, async (c) => {
    assert.deepEqual(await c.get('/x', { a: 1, f: '{}', l: ['p', 'q'], skip: undefined }), { ok: true });
    const seen: unknown[] = [];
    for await (const m of await c.stream('GET', '/stream')) seen.push(m);
    assert.deepEqual(seen, [{ n: 1 }, { n: 2 }]);
    assert.deepEqual(await c.post('/echo', { a: [1] }), { a: [1] });
    const r = await c.request('POST', '/echo', { body: Readable.from([Buffer.from('ab'), Buffer.from('cd')]) });
    assert.equal((await readAll(r.body)).toString(), 'abcd');
    await assert.rejects(c.get('/nope'), (e: any) => e.status === 404 && e.message === 'No such image: nope' && e.code === 'NotFound');
  });
});

test('hijack: 101 then raw duplex', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hako-hijack-'));
  const sock = join(dir, 's.sock');
  const srv = netServer((s) => {
    let buf = '';
    s.on('data', (c) => {
      buf += c.toString();
      if (buf.includes('\r\n\r\n') && !buf.startsWith('DONE')) {
        assert.match(buf, /Upgrade: tcp/);
        s.write('HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
        s.write(encodeFrame(1, 'hi'));
        buf = 'DONE';
      } else if (buf.startsWith('DONE') && buf.length > 4) {
        s.end(encodeFrame(1, `echo:${buf.slice(4)}`));
      }
    });
  });
  await new Promise<void>((r) => srv.listen(sock, r));
  try {
    const c = new Client(`unix://${sock}`);
    const r = await c.hijack('/containers/x/attach', { query: { stream: 1 } });
    assert.equal(r.status, 101);
    r.socket.write('ping');
    const all = await readAll(r.body);
    const frames = new StdcopyParser().push(all);
    assert.deepEqual(frames.map((f) => f.data.toString()), ['hi', 'echo:ping']);
  } finally {
    srv.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('connection errors say the daemon is not running', async () => {
  const c = new Client('unix:///nonexistent/hako.sock');
  await assert.rejects(c.get('/version'), /Cannot connect to the hako daemon at unix:\/\/\/nonexistent\/hako.sock. Is the hako daemon running\?/);
});
