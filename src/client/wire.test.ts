import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildQuery, dechunk, parseHead } from './wire.js';
import { parseResponse, responseLength } from './buffered.js';

test('dechunk: whole bodies, extensions, trailers; undefined until the end arrived', () => {
  const wire = Buffer.from('5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n');
  assert.equal(dechunk(wire)?.toString(), 'hello world');
  for (let i = 0; i < wire.length; i++) assert.equal(dechunk(wire.subarray(0, i)), undefined, `${i} bytes`);
  assert.equal(dechunk(Buffer.from('0\r\n\r\n'))?.length, 0);
  assert.throws(() => dechunk(Buffer.from('zz\r\n')), /invalid chunk size/);
});

test('parseResponse: Content-Length, chunked, 100 Continue, no length, 204, closed early', () => {
  const cl = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: application/json\r\n\r\n[1,2]');
  assert.equal(parseResponse('GET', cl.subarray(0, cl.length - 1), false), undefined);
  const r = parseResponse('GET', cl, false)!;
  assert.deepEqual([r.status, r.statusText, r.headers['content-type'], r.body.toString()], [200, 'OK', 'application/json', '[1,2]']);
  assert.throws(() => parseResponse('GET', cl.subarray(0, cl.length - 1), true), /closed before the whole response/);
  const ch = Buffer.from('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n');
  assert.deepEqual(((x) => [x.status, x.body.toString()])(parseResponse('GET', ch, false)!), [404, 'abc']);
  const open = Buffer.from('HTTP/1.0 200 OK\r\n\r\nsome');
  assert.equal(parseResponse('GET', open, false), undefined);
  assert.equal(parseResponse('GET', open, true)!.body.toString(), 'some');
  assert.equal(parseResponse('POST', Buffer.from('HTTP/1.1 204 No Content\r\n\r\n'), false)!.body.length, 0);
  assert.equal(parseResponse('HEAD', Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n'), false)!.body.length, 0);
  assert.throws(() => parseResponse('GET', Buffer.from('HTTP/1.1 200'), true), /closed before the response arrived/);
  assert.throws(() => parseHead('SSH-2.0'), /malformed HTTP response/);
});

test('buildQuery: repeated keys, skipped empties, escaping', () => {
  assert.equal(buildQuery({ a: 1, f: '{"x":["y"]}', l: ['p', 'q'], n: null, u: undefined, b: true }), '?a=1&f=%7B%22x%22%3A%5B%22y%22%5D%7D&l=p&l=q&b=true');
  assert.equal(buildQuery({}), '');
});

test('responseLength: from Content-Length once the head is in; chunked or unknown waits for the close', () => {
  const head = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n';
  assert.equal(responseLength('GET', Buffer.from(head.slice(0, 20))), undefined);
  assert.equal(responseLength('GET', Buffer.from(head)), head.length + 5);
  assert.equal(responseLength('HEAD', Buffer.from(head)), head.length);
  const cont = 'HTTP/1.1 100 Continue\r\n\r\n';
  assert.equal(responseLength('GET', Buffer.from(cont)), undefined);
  assert.equal(responseLength('GET', Buffer.from(cont + head + 'ab')), cont.length + head.length + 5);
  assert.equal(responseLength('GET', Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc')), Infinity);
  assert.equal(responseLength('GET', Buffer.from('HTTP/1.0 200 OK\r\n\r\n')), Infinity);
  assert.equal(responseLength('DELETE', Buffer.from('HTTP/1.1 204 No Content\r\n\r\n')), 'HTTP/1.1 204 No Content\r\n\r\n'.length);
});
