/** docker cp (archive), export and diff (changes) against a real hakod with busybox. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tar from 'tar-stream';
import { startDaemon, type TestDaemon } from './helpers/daemon.js';
import { busyboxTar } from './helpers/images.js';
import { dockerCli, skipReason, stopChecked } from './helpers/hostobjects.js';

const skip = skipReason();

async function tarOf(entries: { name: string; data?: string; type?: 'file' | 'symlink' | 'directory'; linkname?: string }[]): Promise<Buffer> {
  const p = tar.pack();
  for (const e of entries) p.entry({ name: e.name, type: e.type ?? 'file', linkname: e.linkname, mode: 0o644 }, e.data ?? '');
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function tarNames(buf: Buffer): Promise<string[]> {
  const ex = tar.extract();
  const names: string[] = [];
  ex.on('entry', (h, s, next) => { names.push(h.name); s.on('end', next); s.resume(); });
  const done = new Promise<void>((r) => ex.on('finish', () => r()));
  ex.end(buf);
  await done;
  return names;
}

describe('archive, export and changes', { skip }, () => {
  let d: TestDaemon;
  const docker = (args: string[]) => dockerCli(d, args);

  before(async () => {
    d = await startDaemon();
    assert.equal((await docker(['load', '-i', await busyboxTar()])).code, 0);
    assert.equal((await docker(['run', '-d', '--name', 'a1', 'busybox', 'sleep', '1000'])).code, 0);
  });
  after(async () => {
    if (!d) return;
    await docker(['rm', '-f', 'a1', 'a2']);
    assert.deepEqual(await stopChecked(d), [], 'host objects left behind');
  });

  it('copies files and directories both ways', async () => {
    const out = join(d.tmp, 'passwd');
    assert.equal((await docker(['cp', 'a1:/etc/passwd', out])).code, 0);
    assert.match(readFileSync(out, 'utf8'), /^root:x:0:0:/);
    const dir = join(d.tmp, 'd1');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'sub', 'f'), 'hello\n');
    assert.equal((await docker(['cp', dir, 'a1:/tmp/'])).code, 0);
    assert.equal((await docker(['exec', 'a1', 'cat', '/tmp/d1/sub/f'])).stdout, 'hello\n');
    const back = join(d.tmp, 'back');
    assert.equal((await docker(['cp', 'a1:/tmp/d1', back])).code, 0);
    assert.equal(readFileSync(join(back, 'sub', 'f'), 'utf8'), 'hello\n');
  });

  it('answers the path stat and 404 for a missing path', async () => {
    const r = await d.request('HEAD', '/containers/a1/archive?path=/etc/passwd');
    assert.equal(r.status, 200);
    const stat = JSON.parse(Buffer.from(String(r.headers['x-docker-container-path-stat']), 'base64').toString());
    assert.equal(stat.name, 'passwd');
    assert.equal(stat.mode, 0o644);
    const dir = JSON.parse(Buffer.from(String((await d.request('HEAD', '/containers/a1/archive?path=/etc')).headers['x-docker-container-path-stat']), 'base64').toString());
    assert.equal(dir.mode >>> 31, 1); // os.ModeDir
    const miss = await d.request('GET', '/containers/a1/archive?path=/nope');
    assert.equal(miss.status, 404);
    assert.match(miss.json().message, /Could not find the file \/nope in container a1/);
  });

  it('refuses ../ escapes and keeps symlinks inside the root', async () => {
    const marker = join(d.tmp, 'ESCAPED');
    const evil = await tarOf([{ name: `../../../../../../../..${marker}`, data: 'bad' }]);
    const r = await d.request('PUT', '/containers/a1/archive?path=/tmp', evil, { 'Content-Type': 'application/x-tar' });
    assert.equal(r.status, 400);
    const viaLink = await tarOf([{ name: 'lnk', type: 'symlink', linkname: '/' }, { name: `lnk${marker}2`, data: 'bad' }]);
    assert.equal((await d.request('PUT', '/containers/a1/archive?path=/tmp', viaLink)).status, 200);
    assert.equal(existsSync(marker), false);
    assert.equal(existsSync(`${marker}2`), false);
    assert.equal((await docker(['exec', 'a1', 'cat', `${marker}2`])).stdout, 'bad'); // landed inside the container
  });

  it('exports the rootfs and lists changes of a stopped container', async () => {
    assert.equal((await docker(['run', '--name', 'a2', 'busybox', 'sh', '-c', 'touch /tmp/new && rm /etc/group && mkdir /opt'])).code, 0);
    const ch = (await d.request('GET', '/containers/a2/changes')).json();
    assert.deepEqual(ch, [
      { Path: '/etc', Kind: 0 }, { Path: '/etc/group', Kind: 2 }, { Path: '/opt', Kind: 1 }, { Path: '/tmp', Kind: 0 }, { Path: '/tmp/new', Kind: 1 },
    ]);
    const exp = await d.request('GET', '/containers/a2/export');
    assert.equal(exp.status, 200);
    const names = await tarNames(exp.body);
    assert.ok(names.includes('bin/busybox'));
    assert.ok(names.includes('tmp/new'));
    assert.ok(!names.includes('etc/group'));
    writeFileSync(join(d.tmp, 'f2'), 'x');
    assert.equal((await docker(['cp', join(d.tmp, 'f2'), 'a2:/'])).code, 0);
    assert.ok(((await d.request('GET', '/containers/a2/changes')).json() as { Path: string }[]).some((c) => c.Path === '/f2'));
  });
});
