import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { invalid, notFound } from '../core/errors.js';
import { MemoryEventService } from '../engine/events.js';
import type { ImageService, ProgressFn } from '../engine/types.js';
import { hijack, MULTIPLEXED_STREAM } from './hijack.js';
import { readJson } from './query.js';
import { buildRouter } from './routes/index.js';
import { ApiServer } from './server.js';
import { frame, StdcopyDecoder } from './stdcopy.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

function fakeImages(): Partial<ImageService> {
  return {
    async inspect(name: string) {
      if (name !== '127.0.0.1:5000/foo/bar:tag') throw notFound(`No such image: ${name}`);
      return { Id: 'sha256:abc', RepoTags: [name] };
    },
    async load(input: Readable, progress: ProgressFn) {
      let text = '';
      for await (const c of input) text += c;
      if (text === 'early') throw invalid('unexpected EOF');
      progress({ stream: 'Loaded image: busybox:latest\n' });
      if (text === 'late') throw new Error('disk full');
      if (text === 'later') {
        await new Promise((r) => setTimeout(r, 1700)); // past the route's hold on progress lines
        throw new Error('disk full');
      }
      return ['busybox:latest'];
    },
  };
}

function call(socket: string, method: string, path: string, body?: string) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const req = request({ socketPath: socket, method, path }, (res) => {
      let b = '';
      res.on('data', (c) => (b += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: b }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('ApiServer', () => {
  let dir: string;
  let sock: string;
  let server: ApiServer;
  const events = new MemoryEventService();
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hako-api-'));
    sock = join(dir, 'api.sock');
    const router = buildRouter();
    router.add('POST', '/test/echo', async (ctx) => {
      const h = hijack(ctx, MULTIPLEXED_STREAM);
      for await (const c of h.input) {
        h.output.write(frame(1, Buffer.from(String(c).toUpperCase())));
        if (String(c).includes('bye')) break;
      }
      h.close();
    });
    router.add('POST', '/test/body', async (ctx) => {
      const body = await readJson(ctx.body);
      const h = hijack(ctx, MULTIPLEXED_STREAM);
      h.output.write(frame(1, Buffer.from(JSON.stringify(body))));
      h.input.once('data', (c) => {
        h.output.write(frame(2, Buffer.from(String(c))));
        h.close();
      });
    });
    server = new ApiServer({ engine: { images: fakeImages() as ImageService, events }, version: '0.0.0-test', log: quiet, router });
    await server.listen(sock);
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('routes image names with slashes and maps NotFound to 404', async () => {
    const ok = await call(sock, 'GET', '/v1.45/images/127.0.0.1:5000/foo/bar:tag/json');
    assert.equal(ok.status, 200);
    assert.equal(JSON.parse(ok.body).Id, 'sha256:abc');
    const nf = await call(sock, 'GET', '/images/nope/json');
    assert.equal(nf.status, 404);
    assert.deepEqual(JSON.parse(nf.body), { message: 'No such image: nope' });
  });

  it('answers 501 naming a missing service', async () => {
    const r = await call(sock, 'GET', '/containers/json');
    assert.equal(r.status, 501);
    assert.match(JSON.parse(r.body).message, /^containers is not implemented yet in hako: /);
  });

  it('load: error before output is a status, after output an errorDetail line', async () => {
    const ok = await call(sock, 'POST', '/images/load', 'fine');
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['content-type'], 'application/json');
    assert.deepEqual(ok.body.trim().split('\n').map((l) => JSON.parse(l)), [{ stream: 'Loaded image: busybox:latest\n' }]);
    const early = await call(sock, 'POST', '/images/load', 'early');
    assert.equal(early.status, 400);
    assert.deepEqual(JSON.parse(early.body), { message: 'unexpected EOF' });
    // progress is held back for a moment, so an early failure is still a status
    const late = await call(sock, 'POST', '/images/load', 'late');
    assert.equal(late.status, 500);
    assert.deepEqual(JSON.parse(late.body), { message: 'disk full' });
    const later = await call(sock, 'POST', '/images/load', 'later');
    assert.equal(later.status, 200);
    const lines = later.body.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines[0], { stream: 'Loaded image: busybox:latest\n' });
    assert.deepEqual(lines.at(-1), { errorDetail: { message: 'disk full' }, error: 'disk full' });
  });

  it('streams past and live events with filters', async () => {
    events.emit({ Type: 'container', Action: 'create', Actor: { ID: 'c1', Attributes: { name: 'web', image: 'busybox' } } });
    events.emit({ Type: 'image', Action: 'tag', Actor: { ID: 'sha256:1', Attributes: { name: 'busybox:latest' } } });
    const until = (Date.now() + 300) / 1000;
    const p = call(sock, 'GET', `/events?since=0&until=${until}&filters=${encodeURIComponent('{"type":{"container":true}}')}`);
    await new Promise((r) => setTimeout(r, 100));
    events.emit({ Type: 'container', Action: 'start', Actor: { ID: 'c1', Attributes: { name: 'web', image: 'busybox' } } });
    const r = await p;
    const got = r.body.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(got.map((e) => e.Action), ['create', 'start']);
    assert.equal(got[0].status, 'create');
    assert.equal(got[0].id, 'c1');
    assert.equal(got[0].from, 'busybox');
    assert.equal(got[0].scope, 'local');
  });

  it('hijacks with 101 UPGRADED when asked to upgrade', async () => {
    const { socket, head, status, ctype } = await new Promise<any>((resolve, reject) => {
      const req = request({ socketPath: sock, method: 'POST', path: '/v1.45/test/echo', headers: { Connection: 'Upgrade', Upgrade: 'tcp' } });
      req.on('upgrade', (res, socket, head) => resolve({ socket, head, status: res.statusCode, ctype: res.headers['content-type'] }));
      req.on('response', (res) => reject(new Error(`no upgrade: ${res.statusCode}`)));
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 101);
    assert.equal(ctype, MULTIPLEXED_STREAM);
    const dec = new StdcopyDecoder();
    const out: string[] = [];
    dec.push(head).forEach((f) => out.push(f.data.toString()));
    socket.write('hello bye');
    await new Promise<void>((resolve) => {
      socket.on('data', (c: Buffer) => dec.push(c).forEach((f) => out.push(f.data.toString())));
      socket.on('close', () => resolve());
    });
    assert.deepEqual(out, ['HELLO BYE']);
  });

  it('hijacks with 200 and a raw body without upgrade', async () => {
    const r = await call(sock, 'POST', '/test/echo', 'bye');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], MULTIPLEXED_STREAM);
    assert.equal(r.body, frame(1, Buffer.from('BYE')).toString(), 'the request body is the input');
  });

  it('reads a JSON body sent with an upgrade request before hijacking', async () => {
    const body = JSON.stringify({ Detach: false, Tty: false });
    const { socket, head } = await new Promise<any>((resolve, reject) => {
      const req = request({ socketPath: sock, method: 'POST', path: '/test/body',
        headers: { Connection: 'Upgrade', Upgrade: 'tcp', 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } });
      req.on('upgrade', (_res, socket, head) => resolve({ socket, head }));
      req.on('error', reject);
      req.end(body);
    });
    const dec = new StdcopyDecoder();
    const got: string[] = dec.push(head).map((f) => `${f.stream}:${f.data}`);
    socket.on('data', (c: Buffer) => dec.push(c).forEach((f) => got.push(`${f.stream}:${f.data}`)));
    socket.write('stdin!');
    await new Promise((r) => socket.on('close', r));
    assert.deepEqual(got, [`1:${body}`, '2:stdin!']);
  });

  it('passes on stdin when the JSON body came in a packet of its own (as the docker CLI sometimes sends it)', async () => {
    const body = JSON.stringify({ Detach: false, Tty: false });
    const socket = connect(sock);
    await new Promise((r) => socket.once('connect', r));
    socket.write(`POST /test/body HTTP/1.1\r\nHost: api\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`);
    await new Promise((r) => setTimeout(r, 50)); // the server reads the headers and waits for the body
    socket.write(body);
    let raw = Buffer.alloc(0);
    socket.on('data', (c: Buffer) => { raw = Buffer.concat([raw, c]); });
    while (!raw.includes('\r\n\r\n')) await new Promise((r) => setTimeout(r, 10));
    assert.match(raw.toString(), /^HTTP\/1.1 101 UPGRADED\r\n/);
    socket.write('stdin!');
    const closed = await Promise.race([new Promise((r) => socket.on('close', () => r(true))), new Promise((r) => setTimeout(() => r(false), 3000))]);
    socket.destroy();
    assert.ok(closed, 'the route never saw the bytes sent after the upgrade');
    const dec = new StdcopyDecoder();
    const got = dec.push(raw.subarray(raw.indexOf('\r\n\r\n') + 4)).map((f) => `${f.stream}:${f.data}`);
    assert.deepEqual(got, [`1:${body}`, '2:stdin!']);
  });
});
