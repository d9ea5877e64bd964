import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isEngineError } from '../core/errors.js';
import { isRoot, tempDir } from '../image/_testutil.js';
import { openDatabase } from '../platform/sqlite.js';
import type { EventService } from './types.js';
import { ANONYMOUS_LABEL, hostMounts, volumeNamesOf, Volumes, type VolumeMountOps } from './volumes.js';

function fakeEvents(): EventService & { seen: string[] } {
  const seen: string[] = [];
  return { seen, emit: (e) => void seen.push(`${e.Action}:${e.Actor.ID}`), subscribe: () => ({ close() {}, past: [] }) };
}

function fakeMounts(): VolumeMountOps & { calls: string[]; points: Set<string> } {
  const calls: string[] = [];
  const points = new Set<string>();
  return {
    calls, points,
    async mount(type, device, o, target) {
      calls.push(`mount -t ${type} -o ${o} ${device} ${target}`);
      points.add(target);
    },
    async unmount(target) {
      calls.push(`umount ${target}`);
      points.delete(target);
    },
    async mountsUnder(path) {
      return [...points].filter((p) => p === path || p.startsWith(path + '/'));
    },
  };
}

async function setup(users: Record<string, string[]> = {}, mounts: VolumeMountOps = fakeMounts()) {
  const t = await tempDir('hako-volumes-');
  const db = openDatabase(join(t.dir, 'hako.db'));
  const events = fakeEvents();
  const v = new Volumes({ db, dataRoot: t.dir, events, mounts, users: (n) => users[n] ?? [] });
  await v.init();
  return { v, db, events, dir: t.dir, cleanup: async () => { db.close(); await t.cleanup(); } };
}

const code = (c: string, msg: string | RegExp) => (e: unknown) => {
  assert.ok(isEngineError(e, c as never), `expected ${c}, got ${String(e)}`);
  if (typeof msg === 'string') assert.equal((e as Error).message, msg);
  else assert.match((e as Error).message, msg);
  return true;
};

test('create makes a named volume in docker shape, once', async () => {
  const s = await setup();
  try {
    const v = await s.v.create({ Name: 'data', Labels: { a: 'b' } });
    assert.equal(v.Name, 'data');
    assert.equal(v.Driver, 'local');
    assert.equal(v.Scope, 'local');
    assert.equal(v.Mountpoint, join(s.dir, 'volumes', 'data', '_data'));
    assert.deepEqual(v.Labels, { a: 'b' });
    assert.equal(v.Options, null);
    assert.match(v.CreatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(statSync(v.Mountpoint).mode & 0o777, 0o755);
    const again = await s.v.create({ Name: 'data', Labels: { other: 'x' } });
    assert.deepEqual(again, v);
    assert.deepEqual(await s.v.inspect('data'), v);
    assert.deepEqual(s.events.seen, ['create:data']);
  } finally {
    await s.cleanup();
  }
});

test('anonymous volumes get a 64-hex name and the anonymous label', async () => {
  const s = await setup();
  try {
    const v = await s.v.create({});
    assert.match(v.Name, /^[0-9a-f]{64}$/);
    assert.deepEqual(v.Labels, { [ANONYMOUS_LABEL]: '' });
    const a = s.v.anonymous({ x: 'y' });
    assert.match(a.Name, /^[0-9a-f]{64}$/);
    assert.ok(existsSync(a.Mountpoint));
  } finally {
    await s.cleanup();
  }
});

test('create refuses bad names, drivers and options with docker wording', async () => {
  const s = await setup();
  try {
    await assert.rejects(s.v.create({ Name: 'a' }), code('InvalidArgument', /names should be at least two alphanumeric characters/));
    await assert.rejects(s.v.create({ Name: '../x' }),
      code('InvalidArgument', 'create ../x: "../x" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path'));
    await assert.rejects(s.v.create({ Name: 'ok', Driver: 'nfsplug' }), code('NotFound', 'create ok: error looking up volume plugin nfsplug: plugin "nfsplug" not found'));
    await assert.rejects(s.v.create({ Name: 'ok', DriverOpts: { foo: 'bar' } }), code('InvalidArgument', 'create ok: invalid option: "foo"'));
    await assert.rejects(s.v.create({ Name: 'ok', DriverOpts: { type: 'tmpfs' } }), code('InvalidArgument', 'create ok: missing required option: "device"'));
    assert.throws(() => s.v.ensure('bad/name'), code('InvalidArgument', /includes invalid characters/));
    assert.deepEqual((await s.v.list()).Volumes, []);
  } finally {
    await s.cleanup();
  }
});

test('inspect of a missing volume is a 404 in docker wording', async () => {
  const s = await setup();
  try {
    await assert.rejects(s.v.inspect('nope'), code('NotFound', 'get nope: no such volume'));
    await assert.rejects(s.v.remove('nope'), code('NotFound', 'get nope: no such volume'));
    await s.v.remove('nope', { force: true });
  } finally {
    await s.cleanup();
  }
});

test('list filters by name, label, driver and dangling', async () => {
  const s = await setup({ web: ['c1'] });
  try {
    await s.v.create({ Name: 'web', Labels: { app: 'shop', tier: 'front' } });
    await s.v.create({ Name: 'db', Labels: { app: 'shop' } });
    await s.v.create({ Name: 'cache' });
    const names = async (f: Record<string, string[]>) => (await s.v.list(f)).Volumes.map((v) => v.Name);
    assert.deepEqual(await names({}), ['cache', 'db', 'web']);
    assert.deepEqual(await names({ name: ['we'] }), ['web']);
    assert.deepEqual(await names({ name: ['^d'] }), ['db']);
    assert.deepEqual(await names({ label: ['app=shop'] }), ['db', 'web']);
    assert.deepEqual(await names({ label: ['app', 'tier=front'] }), ['web']);
    assert.deepEqual(await names({ driver: ['local'] }), ['cache', 'db', 'web']);
    assert.deepEqual(await names({ dangling: ['true'] }), ['cache', 'db']);
    assert.deepEqual(await names({ dangling: ['0'] }), ['web']);
    assert.deepEqual((await s.v.list()).Warnings, null);
    await assert.rejects(s.v.list({ bogus: ['x'] }), code('InvalidArgument', "invalid filter 'bogus'"));
    await assert.rejects(s.v.list({ dangling: ['maybe'] }), code('InvalidArgument', "invalid filter 'dangling=maybe'"));
  } finally {
    await s.cleanup();
  }
});

test('remove refuses a volume in use and removes the directory otherwise', async () => {
  const s = await setup({ busy: ['aaa', 'bbb'] });
  try {
    await s.v.create({ Name: 'busy' });
    const free = await s.v.create({ Name: 'free' });
    writeFileSync(join(free.Mountpoint, 'f'), 'x');
    await assert.rejects(s.v.remove('busy', { force: true }), code('Conflict', 'remove busy: volume is in use - [aaa, bbb]'));
    await s.v.remove('free');
    assert.equal(existsSync(join(s.dir, 'volumes', 'free')), false);
    await assert.rejects(s.v.inspect('free'), code('NotFound', 'get free: no such volume'));
    assert.deepEqual(s.events.seen, ['create:busy', 'create:free', 'destroy:free']);
  } finally {
    await s.cleanup();
  }
});

test('prune removes unused anonymous volumes, or all unused ones with all=true', async () => {
  const s = await setup();
  try {
    const anon = await s.v.create({});
    const used = s.v.anonymous();
    await s.v.mount(used.Name, 'c1');
    await s.v.create({ Name: 'named', Labels: { keep: 'no' } });
    await s.v.create({ Name: 'kept', Labels: { keep: 'yes' } });
    writeFileSync(join(anon.Mountpoint, 'f'), 'hello');
    const r1 = await s.v.prune({});
    assert.deepEqual(r1, { VolumesDeleted: [anon.Name], SpaceReclaimed: 5 });
    await assert.rejects(s.v.prune({ until: ['1h'] }), code('InvalidArgument', "invalid filter 'until'"));
    const r2 = await s.v.prune({ all: ['true'], 'label!': ['keep=yes'] });
    assert.deepEqual(r2.VolumesDeleted, ['named']);
    const left = (await s.v.list()).Volumes.map((v) => v.Name).sort();
    assert.deepEqual(left, [used.Name, 'kept'].sort());
  } finally {
    await s.cleanup();
  }
});

test('volumes with driver options are mounted on first use and unmounted after the last', async () => {
  const m = fakeMounts();
  const s = await setup({}, m);
  try {
    const v = await s.v.create({ Name: 'scratch', DriverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=64m' } });
    assert.deepEqual(v.Options, { type: 'tmpfs', device: 'tmpfs', o: 'size=64m' });
    assert.equal(await s.v.mount('scratch', 'c1', { destination: '/data' }), v.Mountpoint);
    await s.v.mount('scratch', 'c2');
    assert.deepEqual(m.calls, [`mount -t tmpfs -o size=64m tmpfs ${v.Mountpoint}`]);
    await assert.rejects(s.v.remove('scratch'), code('Conflict', 'remove scratch: volume is in use - [c1, c2]'));
    await s.v.unmount('scratch', 'c1');
    assert.equal(m.calls.length, 1);
    await s.v.unmount('scratch', 'c2');
    assert.deepEqual(m.calls.slice(1), [`umount ${v.Mountpoint}`]);
    await s.v.mount('plain', 'c3');
    await s.v.unmount('plain', 'c3');
    await s.v.unmount('nosuch', 'c3');
    assert.equal(m.calls.length, 2);
    assert.deepEqual(s.events.seen, ['create:scratch', 'mount:scratch', 'mount:scratch', 'unmount:scratch', 'unmount:scratch',
      'create:plain', 'mount:plain', 'unmount:plain']);
    await s.v.remove('scratch');
  } finally {
    await s.cleanup();
  }
});

test('ensure creates once; removeAnonymous spares named volumes; usage counts size and users', async () => {
  const s = await setup({ named: ['c9'] });
  try {
    const p = s.v.ensure('named');
    assert.equal(s.v.ensure('named'), p);
    writeFileSync(join(p, 'a'), '1234');
    mkdirSync(join(p, 'sub'));
    writeFileSync(join(p, 'sub', 'b'), '56');
    const anon = s.v.anonymous();
    await s.v.removeAnonymous('named');
    await s.v.removeAnonymous(anon.Name);
    const u = await s.v.usage();
    assert.deepEqual(u.map((v) => [v.Name, v.UsageData]), [['named', { Size: 6, RefCount: 1 }]]);
    assert.deepEqual(s.events.seen.filter((e) => e.startsWith('create')).length, 2);
  } finally {
    await s.cleanup();
  }
});

test('init adopts volume directories without a row and drops half-removed ones', async () => {
  const s = await setup();
  try {
    mkdirSync(join(s.dir, 'volumes', 'legacy', '_data'), { recursive: true });
    mkdirSync(join(s.dir, 'volumes', '.trash-abc', '_data'), { recursive: true });
    await s.v.init();
    assert.equal(existsSync(join(s.dir, 'volumes', '.trash-abc')), false);
    assert.equal((await s.v.inspect('legacy')).Name, 'legacy');
    const v2 = new Volumes({ db: s.db, dataRoot: s.dir, events: fakeEvents() });
    assert.deepEqual((await v2.list()).Volumes.map((v) => v.Name), ['legacy']);
  } finally {
    await s.cleanup();
  }
});

test('a tmpfs volume really mounts and unmounts', { skip: isRoot() ? false : 'needs root (mount)' }, async () => {
  const s = await setup({}, hostMounts);
  try {
    const v = await s.v.create({ Name: 'tmp', DriverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' } });
    await s.v.mount('tmp', 'c1');
    assert.deepEqual(await hostMounts.mountsUnder(v.Mountpoint), [v.Mountpoint]);
    await s.v.unmount('tmp', 'c1');
    assert.deepEqual(await hostMounts.mountsUnder(v.Mountpoint), []);
    await s.v.mount('tmp', 'c2');
    await s.v.remove('tmp', {}).catch(() => {});
    await s.v.unmount('tmp', 'c2');
    await s.v.remove('tmp');
    assert.deepEqual(await hostMounts.mountsUnder(join(s.dir, 'volumes')), []);
  } finally {
    for (const m of await hostMounts.mountsUnder(s.dir)) await hostMounts.unmount(m);
    await s.cleanup();
  }
});

test('volumeNamesOf reads named volumes from Binds and Mounts', () => {
  assert.deepEqual(volumeNamesOf({ Binds: ['data:/d', '/host:/h:ro', 'logs:/l:ro', 'data:/e'],
    Mounts: [{ Type: 'volume', Source: 'm1', Target: '/m' }, { Type: 'bind', Source: '/x', Target: '/x' }, { Type: 'volume', Target: '/anon' }] }),
  ['data', 'logs', 'm1']);
  assert.deepEqual(volumeNamesOf({}), []);
});
