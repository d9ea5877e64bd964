import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSpec, resolveCommand, buildEnv, buildCaps, buildResources, buildNamespaces, type SpecInput } from './spec.js';
import { resolveUser } from './spec-user.js';
import { parseBind } from './spec-mounts.js';
import { hostBoundingCaps } from './caps-host.js';
import type { ImageConfig } from '../core/oci.js';

const img = (config: ImageConfig['config'] = {}): ImageConfig => ({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config });
const passwd = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\nweb:x:1000:1000::/home/web:/bin/sh\n';
const group = 'root:x:0:\nweb:x:1000:\nstaff:x:50:web,other\n';

function input(over: Partial<SpecInput> = {}): SpecInput {
  return {
    id: 'a'.repeat(64), config: { Cmd: ['sh'] }, hostConfig: {}, image: img(), rootfs: '/r', containerDir: '/c',
    dataRoot: '/d', instance: 'hako', namespaces: {}, passwd, group, ...over,
  };
}

test('entrypoint and cmd resolve as docker does', () => {
  assert.deepEqual(resolveCommand({}, img({ Entrypoint: ['/e'], Cmd: ['a'] })), ['/e', 'a']);
  assert.deepEqual(resolveCommand({ Cmd: ['b'] }, img({ Entrypoint: ['/e'], Cmd: ['a'] })), ['/e', 'b']);
  assert.deepEqual(resolveCommand({ Entrypoint: ['/x'] }, img({ Entrypoint: ['/e'], Cmd: ['a'] })), ['/x']);
  assert.deepEqual(resolveCommand({ Entrypoint: 'ls' }, img({ Cmd: ['a'] })), ['ls']);
  assert.throws(() => resolveCommand({}, img()), /No command specified/);
});

test('env: image env, container overrides, PATH default, HOSTNAME', () => {
  const env = buildEnv({ Env: ['A=2', 'B=3'], Tty: true }, img({ Env: ['A=1', 'PATH=/bin'] }), 'h');
  assert.deepEqual(env, ['PATH=/bin', 'HOSTNAME=h', 'TERM=xterm', 'A=2', 'B=3']);
  assert.ok(buildEnv({}, img(), 'x')[0]!.startsWith('PATH=/usr/local/sbin'));
});

test('users resolve from passwd and group', () => {
  assert.deepEqual(resolveUser(undefined, passwd, group), { uid: 0, gid: 0, additionalGids: [0], home: '/root' });
  assert.deepEqual(resolveUser('web', passwd, group).additionalGids, [1000, 50]);
  assert.equal(resolveUser('web:staff', passwd, group).gid, 50);
  assert.deepEqual(resolveUser('1234:5', '', ''), { uid: 1234, gid: 5, additionalGids: [5], home: '/' });
  assert.throws(() => resolveUser('ghost', passwd, group), /unable to find user ghost/);
});

test('capabilities: defaults, add, drop, ALL, privileged', () => {
  assert.equal(buildCaps({}).length, 14);
  assert.ok(buildCaps({ CapAdd: ['net_admin'] }).includes('CAP_NET_ADMIN'));
  assert.ok(!buildCaps({ CapDrop: ['CHOWN'] }).includes('CAP_CHOWN'));
  assert.deepEqual(buildCaps({ CapDrop: ['ALL'], CapAdd: ['KILL'] }), ['CAP_KILL']);
  // --privileged: every capability the daemon holds (41 on a full host; this VM lacks CAP_SYS_RESOURCE).
  assert.deepEqual(buildCaps({ Privileged: true }), hostBoundingCaps());
  assert.ok(hostBoundingCaps().length >= 38 && hostBoundingCaps().length <= 41);
  assert.throws(() => buildCaps({ CapAdd: ['BOGUS'] }), /invalid capability/);
});

test('resources: --cpus, memory, pids', () => {
  const r = buildResources({ NanoCpus: 1.5e9, Memory: 1 << 20, PidsLimit: 10, CpuShares: 512 });
  assert.deepEqual(r.cpu, { shares: 512, period: 100000, quota: 150000 });
  assert.deepEqual(r.memory, { limit: 1 << 20, swap: 2 << 20 });
  assert.deepEqual(r.pids, { limit: 10 });
  assert.equal(r.devices![0]!.allow, false);
});

test('namespaces: new, host omitted, joined by path', () => {
  const ns = buildNamespaces({ network: '/proc/9/ns/net', pid: 'host' }, {});
  assert.deepEqual(ns, [{ type: 'mount' }, { type: 'network', path: '/proc/9/ns/net' }, { type: 'uts' }, { type: 'ipc' }, { type: 'cgroup' }]);
});

test('binds and named volumes', () => {
  assert.deepEqual(parseBind('/h:/c:ro', '/d'), { destination: '/c', type: 'bind', source: '/h', options: ['rbind', 'ro', 'rprivate'] });
  assert.equal(parseBind('vol:/c', '/d').source, '/d/volumes/vol/_data');
  assert.throws(() => parseBind('/h:rel', '/d'), /must be absolute/);
});

test('full spec', () => {
  const s = buildSpec(input({
    config: { Cmd: ['sh'], User: 'web', Hostname: 'box' },
    hostConfig: { ShmSize: 1024, Tmpfs: { '/run': 'size=1m' }, Ulimits: [{ Name: 'nproc', Soft: 10, Hard: 20 }], ReadonlyRootfs: true },
  }));
  assert.equal(s.hostname, 'box');
  assert.equal(s.process.user.uid, 1000);
  assert.equal(s.root.readonly, true);
  assert.equal(s.linux.cgroupsPath, `/hako/${'a'.repeat(64)}`);
  assert.ok(s.mounts.find((m) => m.destination === '/dev/shm')!.options!.includes('size=1024'));
  assert.ok(s.mounts.find((m) => m.destination === '/run'));
  assert.equal(s.mounts.find((m) => m.destination === '/etc/hosts')!.source, '/c/hosts');
  assert.deepEqual(s.process.rlimits, [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 20000 }, { type: 'RLIMIT_NPROC', soft: 10, hard: 20 }]);
  assert.ok(s.linux.maskedPaths!.includes('/proc/kcore'));
  const hostUts = buildSpec(input({ namespaces: { uts: 'host' } }));
  assert.equal(hostUts.hostname, undefined);
});
