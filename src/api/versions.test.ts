import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containersForVersion, infoForVersion, olderThan } from './versions.js';

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
