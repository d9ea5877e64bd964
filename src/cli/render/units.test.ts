import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ago, bytesSize, fromHumanSize, goG, humanDuration, humanSize, ramInBytes } from './units.js';
import { tabwrite } from './tabwriter.js';
import { imageRows, ellipsis } from './contexts.js';
import { displayablePorts } from './container-context.js';
import { parseGoDuration, apiTimestamp } from './time.js';

test('humanSize as docker images prints it', () => {
  assert.equal(humanSize(4261234, 3), '4.26MB');
  assert.equal(humanSize(0, 3), '0B');
  assert.equal(humanSize(999, 3), '999B');
  assert.equal(humanSize(1000, 3), '1kB');
  assert.equal(humanSize(1234567890, 3), '1.23GB');
  assert.equal(humanSize(999900, 3), '1e+03kB');
  assert.equal(humanSize(5e6), '5MB');
  assert.equal(humanSize(1536), '1.536kB');
  assert.equal(bytesSize(1536), '1.5KiB');
  assert.equal(bytesSize(3.84 * 1024 ** 3), '3.84GiB');
  assert.equal(goG(0.00001234, 3), '1.23e-05');
});

test('humanDuration and ago', () => {
  const s = 1000;
  assert.equal(humanDuration(0.5 * s), 'Less than a second');
  assert.equal(humanDuration(1 * s), '1 second');
  assert.equal(humanDuration(45 * s), '45 seconds');
  assert.equal(humanDuration(60 * s), 'About a minute');
  assert.equal(humanDuration(5 * 60 * s), '5 minutes');
  assert.equal(humanDuration(3600 * s), 'About an hour');
  assert.equal(humanDuration(5 * 3600 * s), '5 hours');
  assert.equal(humanDuration(3 * 86400 * s), '3 days');
  assert.equal(humanDuration(15 * 86400 * s), '2 weeks');
  assert.equal(humanDuration(90 * 86400 * s), '3 months');
  assert.equal(humanDuration(800 * 86400 * s), '2 years');
  const now = Date.UTC(2024, 0, 15);
  assert.equal(ago(now / 1000 - 14 * 86400, now), '2 weeks ago');
  assert.equal(ago(0, now), 'N/A');
});

test('size flags', () => {
  assert.equal(ramInBytes('32m'), 32 * 1024 * 1024);
  assert.equal(ramInBytes('1g'), 1024 ** 3);
  assert.equal(ramInBytes('64MB'), 64 * 1024 * 1024);
  assert.equal(ramInBytes('512'), 512);
  assert.equal(fromHumanSize('64MB'), 64e6);
  assert.throws(() => ramInBytes('lots'), /invalid size/);
});

test('tabwriter like docker (minwidth 10, padding 3)', () => {
  const want = ['A'.padEnd(18) + 'BB'.padEnd(10) + 'C', 'longer-than-ten'.padEnd(18) + 'x'.padEnd(10) + 'y'].join('\n');
  assert.equal(tabwrite('A\tBB\tC\nlonger-than-ten\tx\ty'), want);
});

test('image rows: tags, digests, <none>', () => {
  const img = { Id: 'sha256:' + 'a'.repeat(64), Created: 0, Size: 4261234, RepoTags: ['busybox:latest', 'busybox:1', '127.0.0.1:5000/x:2'], RepoDigests: ['busybox@sha256:' + 'b'.repeat(64)] };
  const rows = imageRows([img, { Id: 'sha256:' + 'c'.repeat(64), Created: 0, Size: 0, RepoTags: ['<none>:<none>'], RepoDigests: [] }], { digests: true, trunc: true });
  assert.deepEqual(rows.map((r) => `${r.Repository}:${r.Tag}@${r.Digest} ${r.ID} ${r.Size}`), [
    `busybox:latest@sha256:${'b'.repeat(64)} aaaaaaaaaaaa 4.26MB`,
    `busybox:1@sha256:${'b'.repeat(64)} aaaaaaaaaaaa 4.26MB`,
    '127.0.0.1:5000/x:2@<none> aaaaaaaaaaaa 4.26MB',
    '<none>:<none>@<none> cccccccccccc 0B',
  ]);
  assert.equal(ellipsis('abcdef', 4), 'abc…');
});

test('ports column', () => {
  assert.equal(displayablePorts([
    { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
    { IP: '0.0.0.0', PrivatePort: 81, PublicPort: 8081, Type: 'tcp' },
    { PrivatePort: 53, Type: 'udp' },
    { IP: '::', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
  ]), '53/udp, 0.0.0.0:8080->80/tcp, [::]:8080->80/tcp, 0.0.0.0:8081->81/tcp');
  // docker groups only ports published on their own number (checked against docker 28's ps)
  assert.equal(displayablePorts([
    { IP: '127.0.0.1', PrivatePort: 91, PublicPort: 91, Type: 'tcp' },
    { IP: '127.0.0.1', PrivatePort: 90, PublicPort: 90, Type: 'tcp' },
    { PrivatePort: 7, Type: 'tcp' },
  ]), '7/tcp, 127.0.0.1:90-91->90-91/tcp');
});

test('durations and timestamps', () => {
  assert.equal(parseGoDuration('1h30m'), 5400000);
  assert.equal(parseGoDuration('1.5s'), 1500);
  assert.equal(parseGoDuration('x'), undefined);
  assert.equal(apiTimestamp('10m', 1_000_000_000), String(1_000_000 - 600));
  assert.equal(apiTimestamp('1700000000'), '1700000000');
  assert.equal(apiTimestamp('2024-01-01T00:00:00Z'), '1704067200');
});
