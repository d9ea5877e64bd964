import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { existsSync } from 'node:fs';
import { lstat, mkdir, readFile, writeFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256 } from '../core/digest.js';
import { openDatabase } from '../platform/sqlite.js';
import { isRoot, makeTar, rootReason, tempDir } from '../image/_testutil.js';
import type { EventService, ProgressMessage } from './types.js';
import { Images } from './images.js';

const skip = isRoot() ? false : rootReason;

function fakeEvents(): EventService & { seen: string[] } {
  const seen: string[] = [];
  return { seen, emit: (e) => { seen.push(`${e.Action}:${e.Actor.Attributes.name}`); }, subscribe: () => ({ close() {}, past: [] }) };
}

async function archive(tags: string[], extra = 'one') {
  const l1 = await makeTar([
    { name: 'bin/', type: 'directory' }, { name: 'bin/sh', content: '#!sh', mode: 0o755 },
    { name: 'etc/', type: 'directory' }, { name: 'etc/motd', content: 'hi' }, { name: 'var/', type: 'directory' },
    { name: 'var/old', content: 'o' },
  ]);
  const l2 = await makeTar([{ name: 'etc/.wh.motd', content: '' }, { name: 'var/.wh..wh..opq', content: '' }, { name: 'var/x', content: extra }]);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', created: '2024-01-02T03:04:05.123456789Z',
    config: { Cmd: ['sh'], Labels: { a: 'b' } }, rootfs: { type: 'layers', diff_ids: [sha256(l1), sha256(l2)] },
    history: [{ created: '2024-01-02T03:04:05Z', created_by: 'ADD l1' }, { created: '2024-01-02T03:04:05Z', created_by: 'ADD l2' }] }, null, 1));
  const id = sha256(config);
  const tarBuf = await makeTar([
    { name: 'l1/layer.tar', content: l1 }, { name: 'l2/layer.tar', content: l2 },
    { name: `${id.slice(7)}.json`, content: config },
    { name: 'manifest.json', content: JSON.stringify([{ Config: `${id.slice(7)}.json`, RepoTags: tags, Layers: ['l1/layer.tar', 'l2/layer.tar'] }]) },
  ]);
  return { tarBuf, id };
}

async function setup() {
  const t = await tempDir('hako-images-');
  const db = openDatabase(join(t.dir, 'state.db'));
  const events = fakeEvents();
  const images = new Images({ db, dataRoot: t.dir, events });
  await images.init();
  return { ...t, db, images, events, cleanup: async () => { db.close(); await t.cleanup(); } };
}

test('load a docker-archive, inspect, save and reload to the same id', { skip }, async () => {
  const s = await setup();
  try {
    const { tarBuf, id } = await archive(['busybox:latest']);
    const msgs: ProgressMessage[] = [];
    const out = await s.images.load(Readable.from([tarBuf]), (m) => msgs.push(m), {});
    assert.deepEqual(out, ['busybox:latest']);
    assert.ok(msgs.some((m) => m.status === 'Loading layer' && /^\[=+>/.test(m.progress ?? '')));
    assert.deepEqual(msgs.at(-1), { stream: 'Loaded image: busybox:latest\n' });
    const r = await s.images.resolveForContainer('busybox');
    assert.equal(r.id, id);
    assert.equal(r.layerDirs.length, 2);
    assert.equal(await readFile(join(r.layerDirs[0]!, 'etc/motd'), 'utf8'), 'hi');
    assert.ok((await lstat(join(r.layerDirs[1]!, 'etc/motd'))).isCharacterDevice());
    const insp = await s.images.inspect(id.slice(7, 19));
    assert.deepEqual(insp.RepoTags, ['busybox:latest']);
    assert.equal((insp.GraphDriver as { Name: string }).Name, 'overlay2');
    const hist = await s.images.history('busybox:latest');
    assert.equal(hist[0]!.Id, id);
    assert.equal(hist[1]!.Id, '<missing>');
    const list = await s.images.list({ filters: { reference: ['busy*'] } });
    assert.equal(list.length, 1);
    // save, remove, reload
    const saved: Buffer[] = [];
    for await (const c of await s.images.save(['busybox'])) saved.push(c as Buffer);
    const rm = await s.images.remove('busybox', {});
    assert.deepEqual(rm[0], { Untagged: 'busybox:latest' });
    assert.deepEqual(rm[1], { Deleted: id });
    assert.deepEqual(await readdir(join(s.dir, 'image/layers')), []);
    assert.deepEqual(await readdir(join(s.dir, 'image/blobs/sha256')), []);
    const again = await s.images.load(Readable.from([Buffer.concat(saved)]), () => {}, { quiet: true });
    assert.deepEqual(again, ['busybox:latest']);
    assert.equal((await s.images.inspect('busybox')).Id, id);
    assert.ok(s.events.seen.includes('load:busybox:latest'));
  } finally {
    await s.cleanup();
  }
});

test('a shared layer survives the removal of one image; conflicts follow docker', { skip }, async () => {
  const s = await setup();
  try {
    const a = await archive(['a:1'], 'A');
    const b = await archive(['b:1'], 'B');
    await s.images.load(Readable.from([a.tarBuf]), () => {}, {});
    await s.images.load(Readable.from([b.tarBuf]), () => {}, {});
    const lb = (await s.images.resolveForContainer('b:1')).layerDirs;
    await s.images.tag('a:1', 'a', '2');
    await assert.rejects(s.images.remove(a.id, {}), /conflict: unable to delete [0-9a-f]{12} \(must be forced\) - image is referenced in multiple repositories/);
    assert.deepEqual(await s.images.remove('a:2', {}), [{ Untagged: 'a:2' }]);
    s.images.setUsers((id) => (id === a.id ? ['c0ffee'.padEnd(64, '0')] : []));
    await assert.rejects(s.images.remove('a:1', {}), /conflict: unable to remove repository reference "a:1" \(must force\) - container c0ffee000000 is using its referenced image/);
    s.images.setUsers(() => []);
    await s.images.remove('a:1', {});
    assert.ok(existsSync(lb[0]!), 'shared base layer kept');
    assert.equal(await readFile(join(lb[1]!, 'var/x'), 'utf8'), 'B');
    await assert.rejects(s.images.inspect('a:1'), /No such image: a:1/);
  } finally {
    await s.cleanup();
  }
});

test('a bad diff id fails the load and leaves nothing behind', { skip }, async () => {
  const s = await setup();
  try {
    const l1 = await makeTar([{ name: 'a', content: 'x' }]);
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256('nope')] } }));
    const tarBuf = await makeTar([{ name: 'l/layer.tar', content: l1 }, { name: 'c.json', content: config },
      { name: 'manifest.json', content: JSON.stringify([{ Config: 'c.json', RepoTags: ['x:1'], Layers: ['l/layer.tar'] }]) }]);
    await assert.rejects(s.images.load(Readable.from([tarBuf]), () => {}, {}), /does not match/);
    assert.deepEqual(await readdir(join(s.dir, 'image/blobs/sha256')), []);
    assert.deepEqual(await readdir(join(s.dir, 'image/layers')), []);
    assert.deepEqual(await readdir(join(s.dir, 'image/ingest')), []);
  } finally {
    await s.cleanup();
  }
});

test('import a rootfs with changes; crash leftovers are removed at start', { skip }, async () => {
  const s = await setup();
  try {
    const rootfs = await makeTar([{ name: 'hello', content: 'world' }], true);
    const id = await s.images.importRootfs(Readable.from([rootfs]), { repo: 'imp', tag: 'v1', changes: ['CMD ["/hello"]', 'ENV A=1', 'EXPOSE 80'] }, () => {});
    const insp = await s.images.inspect('imp:v1');
    assert.equal(insp.Id, id);
    assert.deepEqual((insp.Config as { Cmd: string[] }).Cmd, ['/hello']);
    assert.deepEqual((insp.Config as { ExposedPorts: object }).ExposedPorts, { '80/tcp': {} });
    await writeFile(join(s.dir, 'image/ingest/half'), 'x');
    await mkdir(join(s.dir, 'image/layers/tmp-123/diff'), { recursive: true });
    const again = new Images({ db: s.db, dataRoot: s.dir, events: fakeEvents() });
    await again.init();
    assert.deepEqual(await readdir(join(s.dir, 'image/ingest')), []);
    assert.ok(!existsSync(join(s.dir, 'image/layers/tmp-123')));
    assert.equal((await again.inspect('imp:v1')).Id, id);
  } finally {
    await s.cleanup();
  }
});
