/**
 * Hostile tarballs through the API of a real hakod: image load, import and build
 * contexts whose entries try to escape, lie or break. Each is refused with 400 and
 * a message naming the culprit; afterwards the image directories are exactly as
 * before, no file appeared at the path the tarball aimed at, and the image list
 * is unchanged.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { startDaemon, type TestDaemon } from './helpers/daemon.js';
import { dockerArchive, imageTree, patchSize, tarOf, type Entry } from './helpers/archives.js';
import { DOCKER_BIN } from './helpers/docker-bin.js';

const isRoot = process.getuid?.() === 0;
const DOCKER = DOCKER_BIN;

/** Paths a hostile tar aims at; none may exist after any test. */
const tag = randomBytes(6).toString('hex');
const target = (what: string) => join(tmpdir(), `${tag}-pwned-${what}`);
const targets = () => readdirSync(tmpdir()).filter((n) => n.startsWith(`${tag}-pwned`));
const up = '../'.repeat(12);
const plain = { name: 'ok.txt', data: 'fine\n' } satisfies Entry;

interface Case {
  name: string;
  layer: () => Promise<Buffer>;
  /** A regexp the error message must match (it names the entry). */
  message: RegExp;
}

async function lying(): Promise<Buffer> {
  // The header of "liar" says 10 bytes, 700 follow: the next "header" is file data.
  const t = await tarOf([{ name: 'liar', data: 'x'.repeat(700) }, plain]);
  return patchSize(t, 0, 10);
}

const layerCases: Case[] = [
  { name: '.. escape', layer: () => tarOf([plain, { name: `${up}${target('dotdot').slice(1)}`, data: 'pwned' }]), message: /pwned-dotdot.*escapes/ },
  { name: '.. inside a path', layer: () => tarOf([{ name: `a/b/../../../${up}${target('mid').slice(1)}`, data: 'pwned' }]), message: /pwned-mid.*escapes/ },
  {
    name: 'symlink then write through it',
    layer: () => tarOf([{ name: 'lnk', type: 'symlink', linkname: tmpdir() }, { name: `lnk/${tag}-pwned-symlink`, data: 'pwned' }]),
    message: /lnk\/.*pwned-symlink.*symlink/,
  },
  {
    name: 'symlink to a relative outside dir then write',
    layer: () => tarOf([{ name: 'd', type: 'directory' }, { name: 'd/up', type: 'symlink', linkname: `${up}tmp` },
      { name: `d/up/${tag}-pwned-relsym`, data: 'pwned' }]),
    message: /d\/up\/.*pwned-relsym.*symlink/,
  },
  { name: 'hardlink to a file outside', layer: () => tarOf([{ name: 'passwd', type: 'link', linkname: `${up}etc/passwd` }]), message: /"passwd".*escapes/ },
  {
    name: 'hardlink through a symlinked dir',
    layer: () => tarOf([{ name: 'etc', type: 'symlink', linkname: '/etc' }, { name: 'shadow', type: 'link', linkname: 'etc/passwd' }]),
    message: /"shadow".*symlink/,
  },
  { name: 'absolute hardlink target not in the layer', layer: () => tarOf([{ name: 'p', type: 'link', linkname: '/etc/passwd' }]), message: /"p".*does not exist in the layer/ },
  { name: 'char device', layer: () => tarOf([{ name: 'mem', type: 'character-device', devmajor: 1, devminor: 1 }]), message: /"mem".*device/ },
  { name: 'block device', layer: () => tarOf([{ name: 'sda', type: 'block-device', devmajor: 8, devminor: 0 }]), message: /"sda".*device/ },
  {
    name: 'truncated stream',
    layer: async () => (await tarOf([{ name: 'big', data: randomBytes(20_000) }])).subarray(0, 4096),
    message: /layer\.tar.*(unexpected end|truncated)/i,
  },
  { name: 'header lying about its size', layer: lying, message: /layer\.tar.*(invalid tar header|unexpected end)/i },
  {
    name: 'corrupt gzip',
    layer: async () => {
      const gz = gzipSync(await tarOf([{ name: 'f', data: randomBytes(5000) }]));
      gz.fill(0x55, 100, 200);
      return gz;
    },
    message: /layer\.tar.*(gzip|header check|invalid|incorrect)/i,
  },
];

describe('hostile tarballs through the API', { skip: isRoot ? false : 'requires root: hakod refuses to start otherwise' }, () => {
  let d: TestDaemon;
  let images: string;
  let tree: string[];
  before(async () => {
    d = await startDaemon();
    // One valid image, so "unchanged" is checked against a non-empty store.
    const ok = await d.request('POST', '/images/load?quiet=1', await dockerArchive([{ layers: [await tarOf([plain])], tags: ['good:1'] }]));
    assert.equal(ok.status, 200, ok.text());
    images = (await d.request('GET', '/images/json?all=1')).text();
    tree = imageTree(d.dataRoot);
  });
  after(async () => {
    for (const n of targets()) rmSync(join(tmpdir(), n), { recursive: true, force: true });
    await d?.stop();
  });

  /** The state a refused request must leave: same image dirs, same list, nothing at the targets. */
  async function assertUntouched(what: string): Promise<void> {
    assert.deepEqual(imageTree(d.dataRoot), tree, `${what}: image dirs changed`);
    assert.equal((await d.request('GET', '/images/json?all=1')).text(), images, `${what}: image list changed`);
    assert.deepEqual(targets(), [], `${what}: a file appeared outside`);
    assert.ok(!existsSync('/etc/shadow-pwned'));
  }

  async function refused(path: string, body: Buffer, message: RegExp, what: string): Promise<void> {
    const r = await d.request('POST', path, body, { 'Content-Type': 'application/x-tar' });
    assert.equal(r.status, 400, `${what}: ${r.status} ${r.text()}`);
    assert.match(r.json().message, message, what);
    await assertUntouched(what);
  }

  for (const c of layerCases) {
    it(`load refuses a layer with a ${c.name}`, async () => {
      const archive = await dockerArchive([{ layers: [await tarOf([plain, { name: 'x', data: 'x' }]), await c.layer()], tags: ['evil:1'] }]);
      for (const quiet of ['1', '0']) await refused(`/images/load?quiet=${quiet}`, archive, c.message, `${c.name} quiet=${quiet}`);
      await refused('/images/load', gzipSync(archive), c.message, `${c.name} gzip archive`);
    });
  }

  for (const c of layerCases) {
    it(`import refuses a rootfs with a ${c.name}`, async () => {
      const msg = new RegExp(c.message.source.replace(/^layer\\\.tar\.\*/, ''), c.message.flags);
      await refused(`/images/create?fromSrc=-&repo=evil&tag=imp`, await c.layer(), msg, `import ${c.name}`);
    });
  }

  it('load refuses a manifest.json pointing outside the archive', async () => {
    const layer = await tarOf([plain]);
    const good = await dockerArchive([{ layers: [layer], tags: ['evil:2'] }]);
    assert.ok(good.length);
    const cfg = 'cfg.json';
    for (const [field, manifest] of [
      ['Config', [{ Config: '../../x', RepoTags: ['evil:2'], Layers: [] }]],
      ['Config', [{ Config: '/etc/passwd', RepoTags: ['evil:2'], Layers: [] }]],
      ['Layers', [{ Config: cfg, RepoTags: ['evil:2'], Layers: ['../../x/layer.tar'] }]],
      ['Layers', [{ Config: cfg, RepoTags: ['evil:2'], Layers: ['/etc/passwd'] }]],
    ] as const) {
      const archive = await dockerArchive([], { manifest, extra: [{ name: cfg, data: '{}' }, { name: 'l/layer.tar', data: layer }] });
      const path = field === 'Config' ? manifest[0].Config : manifest[0].Layers[0]!;
      const esc = path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      await refused('/images/load', archive, new RegExp(`manifest\\.json.*${field}.*"${esc}"`), `manifest ${field} ${path}`);
    }
  });

  it('load refuses a truncated, corrupt or garbage archive', async () => {
    const archive = await dockerArchive([{ layers: [await tarOf([{ name: 'f', data: randomBytes(30_000) }])], tags: ['evil:3'] }]);
    await refused('/images/load', archive.subarray(0, 20_000), /unexpected end|truncated/i, 'truncated archive');
    const gz = gzipSync(archive);
    gz.fill(0x55, 200, 260);
    await refused('/images/load', gz, /gzip|header check|invalid|incorrect/i, 'corrupt gzip archive');
    await refused('/images/load', gzipSync(archive).subarray(0, 500), /unexpected end|truncated/i, 'truncated gzip archive');
    await refused('/images/load', Buffer.from('hello, not a tar'), /invalid|unexpected end/i, 'garbage');
    await refused('/images/load', await tarOf([{ name: `${up}${target('outer').slice(1)}`, data: 'x' }]), /pwned-outer.*escapes/, 'outer entry escaping');
  });

  it('absolute entry names stay inside the layer (docker strips the leading /)', async () => {
    const layer = await tarOf([{ name: target('abs'), data: 'inside' }, { name: '/abs-link', type: 'link', linkname: target('abs') }]);
    const r = await d.request('POST', '/images/load?quiet=1', await dockerArchive([{ layers: [layer], tags: ['abs:1'] }]));
    assert.equal(r.status, 200, r.text());
    assert.deepEqual(targets(), [], 'a file appeared at the absolute path');
    const img = (await d.request('GET', '/images/abs:1/json')).json();
    const diff = img.GraphDriver.Data.UpperDir as string;
    assert.ok(existsSync(join(diff, target('abs'))), 'the file is in the layer under its cleaned name');
    assert.ok(existsSync(join(diff, 'abs-link')));
    assert.equal((await d.request('DELETE', '/images/abs:1')).status, 200);
    await assertUntouched('absolute names');
  });

  it('a refusal early in a large body is still answered with 400', async () => {
    const evil = { name: `${up}${target('early').slice(1)}`, data: 'pwned' };
    const big = { name: 'big', data: randomBytes(24 << 20) };
    const rootfs = await tarOf([evil, big]);
    await refused('/images/create?fromSrc=-&repo=evil&tag=early', rootfs, /pwned-early.*escapes/, 'import, large body');
    const ctx = await tarOf([{ name: 'Dockerfile', data: 'FROM scratch\n' }, evil, big]);
    await refused('/build?t=evil:early', ctx, /pwned-early.*escapes/, 'build, large body');
    await refused('/images/load', await tarOf([evil, big]), /pwned-early.*escapes/, 'load, large body');
  });

  it('the docker CLI shows the refusal and exits 1', { skip: existsSync(DOCKER) ? false : `no docker CLI at ${DOCKER}` }, async () => {
    const archive = await dockerArchive([{ layers: [await layerCases[0]!.layer()], tags: ['evil:4'] }]);
    const file = join(d.tmp, 'evil.tar');
    writeFileSync(file, archive);
    const err = await promisify(execFile)(DOCKER, ['-H', `unix://${d.socket}`, 'load', '-i', file], { env: { ...process.env, DOCKER_CONFIG: d.tmp } })
      .then(() => undefined, (e: { code: number; stderr: string }) => e);
    assert.ok(err, 'docker load succeeded');
    assert.equal(err.code, 1);
    assert.match(err.stderr, /pwned-dotdot.*escapes/);
    await assertUntouched('docker CLI');
  });

  it('build refuses a context with .. entries', async () => {
    const before = readdirSync(tmpdir()).filter((n) => n.startsWith('hako-build-')).sort();
    const ctx = await tarOf([{ name: 'Dockerfile', data: 'FROM scratch\nCOPY ok.txt /\n' }, plain,
      { name: `${up}${target('build').slice(1)}`, data: 'pwned' }]);
    const r = await d.request('POST', '/build?t=evil:5', ctx, { 'Content-Type': 'application/x-tar' });
    assert.equal(r.status, 400, r.text());
    assert.match(r.json().message, /pwned-build.*escapes/);
    const sym = await tarOf([{ name: 'Dockerfile', data: 'FROM scratch\n' }, { name: 'lnk', type: 'symlink', linkname: tmpdir() },
      { name: `lnk/${tag}-pwned-buildsym`, data: 'pwned' }]);
    const r2 = await d.request('POST', '/build?t=evil:5', sym, { 'Content-Type': 'application/x-tar' });
    assert.equal(r2.status, 400, r2.text());
    assert.match(r2.json().message, /pwned-buildsym.*symlink/);
    assert.deepEqual(readdirSync(tmpdir()).filter((n) => n.startsWith('hako-build-')).sort(), before, 'a build context dir stayed');
    await assertUntouched('build');
  });
});
