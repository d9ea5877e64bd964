import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containersForVersion, imageForVersion, imagesForVersion, infoForVersion, legacyDf, legacyInfo, olderThan } from './versions.js';

test('olderThan compares major.minor numerically', () => {
  assert.equal(olderThan('1.41', 1, 44), true);
  assert.equal(olderThan('1.44', 1, 44), false);
  assert.equal(olderThan('1.100', 1, 44), false);
});

test('DNSNames leaves container views for clients before 1.44, everything else stays', () => {
  const view = () => ({ Id: 'x', NetworkSettings: { Networks: { n1: { IPAddress: '10.0.0.2', DNSNames: ['c', 'x'] } } } });
  assert.deepEqual(containersForVersion(view(), '1.43'), { Id: 'x', NetworkSettings: { Networks: { n1: { IPAddress: '10.0.0.2' } } } });
  assert.deepEqual(containersForVersion(view(), '1.44'), view());
  const list = containersForVersion([view(), view()], '1.41');
  assert.equal(list.every((c) => !('DNSNames' in c.NetworkSettings.Networks.n1)), true);
  const df = containersForVersion({ Containers: [view()] }, '1.41');
  assert.equal('DNSNames' in df.Containers[0]!.NetworkSettings.Networks.n1, false);
});

test('CDISpecDirs leaves /info before 1.44', () => {
  assert.deepEqual(infoForVersion({ ID: 'a', CDISpecDirs: [] }, '1.43'), { ID: 'a' });
  assert.deepEqual(infoForVersion({ ID: 'a', CDISpecDirs: [] }, '1.45'), { ID: 'a', CDISpecDirs: [] });
});

test('image inspect: ContainerConfig (for docker-compose 1.29) and empty container fields in Config until 1.49', () => {
  const img = () => ({ Id: 'sha256:x', Container: '', ContainerConfig: {}, Config: { Cmd: ['sh'] } });
  const old = imageForVersion(img(), '1.41');
  assert.equal((old.ContainerConfig as Record<string, unknown>).Hostname, '');
  assert.deepEqual((old.Config as Record<string, unknown>).Cmd, ['sh']);
  assert.equal((old.Config as Record<string, unknown>).Entrypoint, null);
  const v45 = imageForVersion(img(), '1.45');
  assert.equal((v45.ContainerConfig as Record<string, unknown>).Hostname, '');
  assert.equal(v45.Container, '');
  assert.equal('ContainerConfig' in imageForVersion(img(), '1.50'), false);
  assert.equal((v45.Config as Record<string, unknown>).WorkingDir, '');
  assert.deepEqual(imageForVersion(img(), '1.50').Config, { Cmd: ['sh'] });
  assert.equal('VirtualSize' in imageForVersion({ ...img(), VirtualSize: 1 }, '1.44'), false);
  assert.equal(imageForVersion({ ...img(), VirtualSize: 1 }, '1.43').VirtualSize, 1);
  assert.deepEqual(imagesForVersion([{ Id: 'a', VirtualSize: 1 }], '1.45'), [{ Id: 'a' }]);
  assert.deepEqual(legacyDf({ Images: [{ Id: 'a', VirtualSize: 1 }] }, '1.45'), { Images: [{ Id: 'a' }] });
});

test('KernelMemory and BuilderSize only for clients before 1.42', () => {
  assert.equal(legacyInfo({}, '1.41').KernelMemory, false);
  assert.equal('KernelMemory' in legacyInfo({}, '1.42'), false);
  assert.equal(legacyDf({}, '1.41').BuilderSize, 0);
  assert.equal('BuilderSize' in legacyDf({}, '1.45'), false);
});
