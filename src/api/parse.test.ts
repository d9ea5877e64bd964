import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { frame, StdcopyDecoder, framer } from './stdcopy.js';
import { parseBool, parseFilters, parseTimestamp, intParam } from './query.js';
import { compareVersions, splitVersion } from './version.js';
import { Router } from './router.js';
import { statusFor } from './errors.js';

describe('stdcopy', () => {
  it('frames with an 8-byte header [stream,0,0,0,BE len]', () => {
    const f = frame(2, Buffer.from('hello'));
    assert.deepEqual([...f.subarray(0, 8)], [2, 0, 0, 0, 0, 0, 0, 5]);
    assert.equal(f.subarray(8).toString(), 'hello');
    const big = frame(1, Buffer.alloc(70000, 'a'));
    assert.equal(big.readUInt32BE(4), 70000);
  });

  it('decodes frames split at any byte', () => {
    const all = Buffer.concat([frame(1, Buffer.from('out')), frame(2, Buffer.from('err!')), frame(1, Buffer.alloc(0))]);
    for (let cut = 0; cut <= all.length; cut++) {
      const d = new StdcopyDecoder();
      const got = [...d.push(all.subarray(0, cut)), ...d.push(all.subarray(cut))];
      assert.deepEqual(got.map((g) => [g.stream, g.data.toString()]), [[1, 'out'], [2, 'err!'], [1, '']]);
      assert.equal(d.pending, 0);
    }
  });

  it('framer passes raw bytes through for a tty', async () => {
    const chunks: Buffer[] = [];
    const t = framer(true);
    t.on('data', (c: Buffer) => chunks.push(c));
    t.end({ stream: 1, data: Buffer.from('x') });
    await new Promise((r) => t.on('end', r));
    assert.equal(Buffer.concat(chunks).toString(), 'x');
  });
});

describe('query parsing', () => {
  it('reads docker booleans', () => {
    for (const v of ['1', 'true', 'True', 'TRUE']) assert.equal(parseBool(v), true, v);
    for (const v of ['0', 'false', '', null, undefined]) assert.equal(parseBool(v), false, String(v));
  });

  it('reads filters in both forms', () => {
    assert.deepEqual(parseFilters('{"label":["a=b","c"],"dangling":["true"]}'), { label: ['a=b', 'c'], dangling: ['true'] });
    assert.deepEqual(parseFilters('{"label":{"a=b":true,"c":true,"d":false}}'), { label: ['a=b', 'c'] });
    assert.deepEqual(parseFilters(''), {});
    assert.deepEqual(parseFilters(null), {});
    assert.throws(() => parseFilters('{bad'), (e: any) => e.code === 'InvalidArgument' && /^invalid filter/.test(e.message));
    assert.throws(() => parseFilters('["a"]'), (e: any) => e.code === 'InvalidArgument');
    assert.throws(() => parseFilters('{"a":"b"}'), (e: any) => e.code === 'InvalidArgument');
  });

  it('reads ints and rejects junk', () => {
    const q = new URLSearchParams('t=10&n=-3&bad=1x&e=');
    assert.equal(intParam(q, 't'), 10);
    assert.equal(intParam(q, 'n'), -3);
    assert.equal(intParam(q, 'e', 7), 7);
    assert.equal(intParam(q, 'missing'), undefined);
    assert.throws(() => intParam(q, 'bad'), (e: any) => e.code === 'InvalidArgument');
  });

  it('reads timestamps as unix seconds, fractions, RFC 3339 and durations', () => {
    assert.equal(parseTimestamp('1700000000'), 1_700_000_000_000_000_000n);
    assert.equal(parseTimestamp('1700000000.5'), 1_700_000_000_500_000_000n);
    assert.equal(parseTimestamp('2023-11-14T22:13:20Z'), 1_700_000_000_000_000_000n);
    assert.equal(parseTimestamp('10m', 1_700_000_600_000), 1_700_000_000_000_000_000n);
    assert.throws(() => parseTimestamp('yesterday'));
  });
});

describe('API versions', () => {
  it('compares numerically', () => {
    assert.equal(compareVersions('1.9', '1.10'), -1);
    assert.equal(compareVersions('1.45', '1.45'), 0);
    assert.equal(compareVersions('2.0', '1.45'), 1);
  });

  it('splits and checks the prefix', () => {
    assert.deepEqual(splitVersion('/v1.41/containers/json'), { version: '1.41', path: '/containers/json' });
    assert.deepEqual(splitVersion('/containers/json'), { version: '1.45', path: '/containers/json' });
    assert.deepEqual(splitVersion('/v1.45'), { version: '1.45', path: '/' });
    assert.throws(() => splitVersion('/v1.99/info'), { message: 'client version 1.99 is too new. Maximum supported API version is 1.45' });
    assert.throws(() => splitVersion('/v1.0/info'), /client version 1\.0 is too old\. Minimum supported API version is 1\.24/);
  });
});

describe('router', () => {
  it('matches image names with slashes and colons greedily', () => {
    const r = new Router();
    const h = () => {};
    r.add('GET', '/images/json', h).add('GET', '/images/{name*}/json', h).add('DELETE', '/images/{name*}', h).add('GET', '/containers/{id}/json', h);
    assert.deepEqual(r.match('GET', '/images/127.0.0.1:5000/foo/bar:tag/json')?.params, { name: '127.0.0.1:5000/foo/bar:tag' });
    assert.deepEqual(r.match('GET', '/images/json')?.params, {});
    assert.deepEqual(r.match('DELETE', '/images/a%2Fb:1')?.params, { name: 'a/b:1' });
    assert.equal(r.match('GET', '/containers/a/b/json'), undefined);
    assert.equal(r.match('POST', '/images/json'), undefined);
    assert.deepEqual(r.match('GET', '/containers/abc/json/')?.params, { id: 'abc' });
  });

  it('maps error codes to statuses', () => {
    assert.equal(statusFor('NotFound'), 404);
    assert.equal(statusFor('Conflict'), 409);
    assert.equal(statusFor('InvalidArgument'), 400);
    assert.equal(statusFor('NotModified'), 304);
    assert.equal(statusFor('NotImplemented'), 501);
    assert.equal(statusFor('Unavailable'), 503);
  });
});
