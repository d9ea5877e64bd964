import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFlags } from '../flags.js';
import { CONTAINER_FLAGS, RUN_ONLY_FLAGS } from './flags.js';
import { buildCreate } from './create-body.js';
import { parsePorts } from './ports.js';
import { parseMount } from './mounts.js';

function create(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const p = parseFlags(argv, [...CONTAINER_FLAGS, ...RUN_ONLY_FLAGS], false);
  return buildCreate(p.flags, p.args, env, p.flags.detach === true);
}

test('flags stop at the image; grouped shorts; attached values', () => {
  const r = create(['-it', '--rm', '--name=web', '-eA=1', 'busybox', 'sh', '-c', 'echo -x']);
  assert.equal(r.image, 'busybox');
  assert.equal(r.name, 'web');
  assert.deepEqual(r.body.Cmd, ['sh', '-c', 'echo -x']);
  assert.equal(r.body.Tty, true);
  assert.equal(r.body.OpenStdin, true);
  assert.equal(r.body.AttachStdin, true);
  assert.equal(r.body.StdinOnce, true);
  assert.equal(r.body.HostConfig!.AutoRemove, true);
  assert.deepEqual(r.body.Env, ['A=1']);
});

test('ports: ip, ranges, protocols', () => {
  const p = parsePorts(['127.0.0.1:8080:80/tcp', '8000-8001:90-91', '53/udp', '[::1]:9000:9000', '7000-7010:70'], ['5000']);
  assert.deepEqual(p.bindings['80/tcp'], [{ HostIp: '127.0.0.1', HostPort: '8080' }]);
  assert.deepEqual(p.bindings['90/tcp'], [{ HostIp: '', HostPort: '8000' }]);
  assert.deepEqual(p.bindings['91/tcp'], [{ HostIp: '', HostPort: '8001' }]);
  assert.deepEqual(p.bindings['53/udp'], [{ HostIp: '', HostPort: '' }]);
  assert.deepEqual(p.bindings['9000/tcp'], [{ HostIp: '::1', HostPort: '9000' }]);
  assert.deepEqual(p.bindings['70/tcp'], [{ HostIp: '', HostPort: '7000-7010' }]);
  assert.ok(p.exposed['5000/tcp']);
  assert.throws(() => parsePorts(['8000-8002:90-91']), /invalid ranges/);
  const r = create(['-p', '127.0.0.1:8080:80/tcp', '-P', 'img']);
  assert.deepEqual(r.body.ExposedPorts, { '80/tcp': {} });
  assert.equal(r.body.HostConfig!.PublishAllPorts, true);
});

test('volumes, mounts, tmpfs', () => {
  const r = create(['-v', '/src:/dst:ro', '-v', 'named:/data', '-v', '/anon', '--mount', 'type=bind,source=/a,target=/b,readonly', '--tmpfs', '/x:size=64m', 'img']);
  assert.deepEqual(r.body.HostConfig!.Binds, ['/src:/dst:ro', 'named:/data']);
  assert.deepEqual(r.body.Volumes, { '/anon': {} });
  assert.deepEqual(r.body.HostConfig!.Mounts, [{ Type: 'bind', Source: '/a', Target: '/b', ReadOnly: true }]);
  assert.deepEqual(r.body.HostConfig!.Tmpfs, { '/x': 'size=64m' });
  assert.deepEqual(parseMount('type=tmpfs,dst=/t,tmpfs-size=1m'), { Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1048576 } });
  assert.throws(() => parseMount('type=bind,source=/a'), /target is required/);
});

test('env from flags, environment and files', () => {
  const r = create(['-e', 'A=1', '-e', 'HOME_X', '-e', 'UNSET', 'img'], { HOME_X: '/h' });
  assert.deepEqual(r.body.Env, ['A=1', 'HOME_X=/h']);
});

test('resources: cpus, memory, restart, ulimit, pids', () => {
  const r = create(['--cpus', '1.5', '-m', '32m', '--memory-swap', '-1', '--restart', 'on-failure:3', '--ulimit', 'nofile=1024:2048',
    '--ulimit', 'nproc=64', '--pids-limit', '100', '-c', '512', '--cpu-quota', '50000', '--cpu-period', '100000', '--cpuset-cpus', '0', '--shm-size', '64m', 'img']);
  const hc = r.body.HostConfig!;
  assert.equal(hc.NanoCpus, 1_500_000_000);
  assert.equal(hc.Memory, 33554432);
  assert.equal(hc.MemorySwap, -1);
  assert.deepEqual(hc.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
  assert.deepEqual(hc.Ulimits, [{ Name: 'nofile', Soft: 1024, Hard: 2048 }, { Name: 'nproc', Soft: 64, Hard: 64 }]);
  assert.equal(hc.PidsLimit, 100);
  assert.equal(hc.CpuShares, 512);
  assert.equal(hc.CpuQuota, 50000);
  assert.equal(hc.CpuPeriod, 100000);
  assert.equal(hc.CpusetCpus, '0');
  assert.equal(hc.ShmSize, 64 * 1024 * 1024);
  assert.throws(() => create(['--restart', 'on-failure:x', 'img']), /invalid restart policy format/);
  assert.throws(() => create(['--rm', '--restart', 'always', 'img']), /conflicting options: cannot specify both --restart and --rm/);
});

test('namespaces, security, network, health, misc', () => {
  const r = create(['--privileged', '--read-only', '--cap-add', 'NET_ADMIN', '--cap-drop', 'ALL', '--security-opt', 'seccomp=unconfined',
    '--pid', 'host', '--ipc', 'private', '--uts', 'host', '--userns', 'host', '--network', 'mynet', '--ip', '10.0.0.5', '--network-alias', 'db',
    '--dns', '1.1.1.1', '--add-host', 'h:1.2.3.4', '--init', '--stop-signal', 'SIGINT', '--stop-timeout', '5', '--health-cmd', 'true',
    '--health-interval', '5s', '--health-retries', '2', '--sysctl', 'net.ipv4.ip_forward=1', '--device', '/dev/null:/dev/n:r', '-l', 'a=b',
    '-w', '/w', '-u', '1000:1000', '-h', 'box', '--entrypoint', '/bin/sh', '-d', 'img']);
  const hc = r.body.HostConfig!;
  assert.equal(hc.Privileged, true);
  assert.equal(hc.ReadonlyRootfs, true);
  assert.deepEqual(hc.CapAdd, ['CAP_NET_ADMIN']); // docker's normalised form
  assert.equal(hc.PidMode, 'host');
  assert.equal(hc.NetworkMode, 'mynet');
  assert.deepEqual(r.body.NetworkingConfig, { EndpointsConfig: { mynet: { IPAMConfig: { IPv4Address: '10.0.0.5' }, Aliases: ['db'] } } });
  assert.deepEqual(hc.Dns, ['1.1.1.1']);
  assert.deepEqual(hc.ExtraHosts, ['h:1.2.3.4']);
  assert.equal(hc.Init, true);
  assert.deepEqual(hc.Sysctls, { 'net.ipv4.ip_forward': '1' });
  assert.deepEqual(hc.Devices, [{ PathOnHost: '/dev/null', PathInContainer: '/dev/n', CgroupPermissions: 'r' }]);
  assert.equal(r.body.StopSignal, 'SIGINT');
  assert.equal(r.body.StopTimeout, 5);
  assert.deepEqual(r.body.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 5e9, Retries: 2 });
  assert.deepEqual(r.body.Labels, { a: 'b' });
  assert.deepEqual(r.body.Entrypoint, ['/bin/sh']);
  assert.equal(r.body.AttachStdout, false);
  assert.equal(r.body.User, '1000:1000');
  assert.equal(r.body.Hostname, 'box');
  assert.equal(r.body.WorkingDir, '/w');
  assert.deepEqual(create(['--no-healthcheck', 'img']).body.Healthcheck, { Test: ['NONE'] });
});

test('flag errors', () => {
  assert.throws(() => parseFlags(['--nope'], CONTAINER_FLAGS), /unknown flag: --nope/);
  assert.throws(() => parseFlags(['-Z'], CONTAINER_FLAGS), /unknown shorthand flag: 'Z' in -Z/);
  assert.throws(() => parseFlags(['--name'], CONTAINER_FLAGS), /flag needs an argument: --name/);
  assert.throws(() => parseFlags(['--cpu-shares', 'x'], CONTAINER_FLAGS), /invalid argument "x"/);
});
