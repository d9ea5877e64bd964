import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSpec, type SpecInput } from './spec.js';

const input = (over: Partial<SpecInput> = {}): SpecInput => ({
  id: 'a'.repeat(64), config: { Cmd: ['sh'] }, hostConfig: {}, image: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config: {} },
  rootfs: '/r', containerDir: '/c', dataRoot: '/d', instance: 'hako', namespaces: {}, passwd: '', group: '', ...over,
});
const map = [{ containerID: 0, hostID: 100000, size: 65536 }];

test('no userns: no user namespace, no mappings, sysfs mounted', () => {
  const s = buildSpec(input());
  assert.ok(!s.linux.namespaces.some((n) => n.type === 'user'));
  assert.equal(s.linux.uidMappings, undefined);
  assert.equal(s.mounts.find((m) => m.destination === '/sys')?.type, 'sysfs');
});

test('userns: a new user namespace first, the mappings, sysfs when the runtime makes the netns', () => {
  const s = buildSpec(input({ userns: { uids: map, gids: map } }));
  assert.deepEqual(s.linux.namespaces[0], { type: 'user' });
  assert.deepEqual(s.linux.uidMappings, map);
  assert.deepEqual(s.linux.gidMappings, map);
  assert.equal(s.mounts.find((m) => m.destination === '/sys')?.type, 'sysfs');
});

test('userns joined with the netns it owns: both paths, sysfs mounted', () => {
  const s = buildSpec(input({ userns: { uids: map, gids: map }, namespaces: { user: '/run/u/x', network: '/run/n/x' } }));
  assert.deepEqual(s.linux.namespaces.find((n) => n.type === 'user'), { type: 'user', path: '/run/u/x' });
  assert.deepEqual(s.linux.namespaces.find((n) => n.type === 'network'), { type: 'network', path: '/run/n/x' });
  assert.equal(s.mounts.find((m) => m.destination === '/sys')?.type, 'sysfs');
});

test('userns in a netns another user namespace owns: /sys is a read-only bind of the host\'s', () => {
  const s = buildSpec(input({ userns: { uids: map, gids: map }, namespaces: { network: '/proc/7/ns/net' } }));
  const sys = s.mounts.find((m) => m.destination === '/sys')!;
  assert.equal(sys.type, 'bind');
  assert.equal(sys.source, '/sys');
  assert.ok(sys.options!.includes('ro') && sys.options!.includes('rbind'));
});

test('userns with the host\'s IPC namespace: no /dev/mqueue mount (the kernel refuses it)', () => {
  const s = buildSpec(input({ userns: { uids: map, gids: map }, namespaces: { ipc: 'host' } }));
  assert.equal(s.mounts.find((m) => m.destination === '/dev/mqueue'), undefined);
  assert.equal(buildSpec(input({ namespaces: { ipc: 'host' } })).mounts.find((m) => m.destination === '/dev/mqueue')?.type, 'mqueue', 'without a user namespace: unchanged');
});
