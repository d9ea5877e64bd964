/** Logic of implicit volumes (image VOLUME, -v /path, --mount without source, --volumes-from) over fakes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../platform/sqlite.js';
import { ContainerStore, newState, type ContainerRecord } from './containers-store.js';
import { prepareVolumes, requestedMounts } from './containers-volumes.js';
import type { VolumeMounter } from './types.js';

function fakeVolumes(): VolumeMounter & { made: string[] } {
  const made: string[] = [];
  return {
    made,
    ensure: (n) => n,
    anonymous: () => { const Name = String(made.length + 1).padStart(64, 'f'); made.push(Name); return { Name, Mountpoint: `/v/${Name}` }; },
    mount: async () => '',
    unmount: async () => {},
    removeAnonymous: async () => {},
  };
}

let seq = 0;
function record(hc: ContainerRecord['hostConfig'], volumes?: Record<string, object>): ContainerRecord {
  const id = String(++seq).padStart(64, 'b');
  return {
    id, name: `v${seq}`, created: new Date().toISOString(), imageId: 'sha256:x', config: { Volumes: volumes }, hostConfig: hc,
    state: newState(), path: 'true', args: [], layerDirs: [], restartCount: 0, network: { networks: {}, ports: {}, sandboxKey: '' },
    manuallyStopped: false,
  };
}

test('each Config.Volumes path not mounted by the request gets an anonymous volume, hidden from HostConfig.Mounts', () => {
  const store = new ContainerStore(openDatabase(':memory:'));
  const v = fakeVolumes();
  const c = record({ Binds: ['named:/data'], Tmpfs: { '/t': '' } }, { '/data': {}, '/logs/': {}, '/t': {} });
  prepareVolumes(store, v, c);
  assert.equal(v.made.length, 1);
  assert.deepEqual(c.hostConfig.Mounts, [{ Type: 'volume', Source: v.made[0], Target: '/logs' }]);
  assert.deepEqual(c.implicitMounts, ['/logs']);
  assert.equal(requestedMounts(c), undefined);
});

test('--mount type=volume without a source gets one and stays visible', () => {
  const store = new ContainerStore(openDatabase(':memory:'));
  const v = fakeVolumes();
  const c = record({ Mounts: [{ Type: 'volume', Target: '/m' }] });
  prepareVolumes(store, v, c);
  assert.deepEqual(requestedMounts(c), [{ Type: 'volume', Target: '/m', Source: v.made[0] }]);
});

test('--volumes-from copies binds and volumes with the requested mode; a missing container or bad mode fails before any volume is made', () => {
  const store = new ContainerStore(openDatabase(':memory:'));
  const v = fakeVolumes();
  const x = record({ Binds: ['/host:/h:ro', 'vol:/data'], Mounts: [{ Type: 'tmpfs', Target: '/tmp' }] });
  store.insert(x);
  const c = record({ VolumesFrom: [`${x.name}:rw`], Binds: ['other:/data'] }, { '/img': {} });
  prepareVolumes(store, v, c);
  assert.deepEqual(c.hostConfig.Mounts!.slice(0, 1), [{ Type: 'bind', Source: '/host', Target: '/h', ReadOnly: false }]);
  assert.deepEqual(c.implicitMounts, ['/h', '/img']);
  const before = v.made.length;
  assert.throws(() => prepareVolumes(store, v, record({ VolumesFrom: ['nope'] }, { '/a': {} })), /No such container: nope/);
  assert.throws(() => prepareVolumes(store, v, record({ VolumesFrom: [`${x.name}:rx`] }, { '/a': {} })), /invalid mode for volumes-from: rx/);
  assert.equal(v.made.length, before);
});
