/**
 * Namespaces of containers seen from the host (/proc/<pid>/ns/*, pids from inspect
 * State.Pid) and the sharing modes of docker run: container:X, host, and their errors.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readlinkSync } from 'node:fs';
import type { TestDaemon } from './helpers/daemon.js';
import { dockerCli, dockerOk, skipReason, sleep, withBusyboxDaemon } from './helpers/hostobjects.js';

const ns = (pid: number | string, type: string) => readlinkSync(`/proc/${pid}/ns/${type}`);

describe('container namespaces', { skip: skipReason() }, () => {
  let d: TestDaemon;
  const docker = (args: string[]) => dockerCli(d, args);
  const ok = (args: string[]) => dockerOk(d, args);
  const pidOf = async (name: string) => Number(await ok(['inspect', '-f', '{{.State.Pid}}', name]));

  withBusyboxDaemon(async (x) => {
    d = x;
    await ok(['run', '-d', '--name', 'x1', '--hostname', 'xhost', 'busybox', 'sleep', '100000']);
    await ok(['run', '-d', '--name', 'x2', 'busybox', 'sleep', '100000']);
  });

  it('gives each container its own mnt, uts, ipc, pid, net and cgroup namespaces', async () => {
    const [p1, p2] = [await pidOf('x1'), await pidOf('x2')];
    assert.ok(p1 > 0 && p2 > 0);
    for (const t of ['mnt', 'uts', 'ipc', 'pid', 'net', 'cgroup']) {
      assert.notEqual(ns(p1, t), ns(p2, t), t);
      assert.notEqual(ns(p1, t), ns(process.pid, t), `${t} differs from the host's`);
    }
  });

  it('shares the pid namespace with --pid container:X', async () => {
    const out = await ok(['run', '--rm', '--pid', 'container:x1', 'busybox', 'ps', '-o', 'pid,args']);
    assert.match(out, /^\s*1 sleep 100000$/m);
  });

  it('reaches a server X binds on 127.0.0.1 with --network container:X', async () => {
    await ok(['run', '-d', '--name', 'srv', 'busybox', 'sh', '-c', 'mkdir /www && echo hello-from-srv > /www/index.html && httpd -f -p 127.0.0.1:8080 -h /www']);
    let out = '';
    for (let i = 0; i < 30 && !out.includes('hello'); i++) {
      out = (await docker(['run', '--rm', '--network', 'container:srv', 'busybox', 'wget', '-qO-', 'http://127.0.0.1:8080/'])).stdout;
      if (!out.includes('hello')) await sleep(100);
    }
    assert.equal(out, 'hello-from-srv\n');
    // Not from a container with its own network namespace.
    const other = await docker(['run', '--rm', 'busybox', 'wget', '-T', '2', '-qO-', 'http://127.0.0.1:8080/']);
    assert.notEqual(other.code, 0);
  });

  it('shares ipc with --ipc container:X and uts through the API', async () => {
    const p1 = await pidOf('x1');
    assert.equal(await ok(['run', '--rm', '--ipc', 'container:x1', 'busybox', 'readlink', '/proc/self/ns/ipc']), ns(p1, 'ipc'));
    // The docker CLI accepts only --uts host; the API takes container:<name> as well.
    const c = await d.request('POST', '/containers/create?name=uts1', { Image: 'busybox', Cmd: ['sleep', '100000'], HostConfig: { UTSMode: 'container:x1' } });
    assert.equal(c.status, 201, c.text());
    assert.equal((await d.request('POST', '/containers/uts1/start')).status, 204);
    assert.equal(await ok(['exec', 'uts1', 'hostname']), 'xhost');
    assert.equal(ns(await pidOf('uts1'), 'uts'), ns(p1, 'uts'));
    await ok(['rm', '-f', 'uts1']);
  });

  it('uses the host namespaces with --pid host, --network host and --uts host', async () => {
    const ps = await ok(['run', '--rm', '--pid', 'host', 'busybox', 'sh', '-c', 'cat /proc/1/comm']);
    assert.equal(ps, readFileSync('/proc/1/comm', 'utf8').trim(), 'sees the host\'s pid 1');
    const id = await ok(['run', '-d', '--pid', 'host', '--network', 'host', '--uts', 'host', 'busybox', 'sleep', '100000']);
    const pid = await pidOf(id);
    for (const t of ['pid', 'net', 'uts']) assert.equal(ns(pid, t), ns(process.pid, t), t);
    assert.notEqual(ns(pid, 'mnt'), ns(process.pid, 'mnt'));
    const links = await ok(['exec', id, 'ip', '-o', 'link']);
    assert.ok(links.split('\n').length > 1, 'sees the host links');
    await ok(['rm', '-f', id]);
  });

  it('refuses to join a stopped or missing container in docker\'s words', async () => {
    await ok(['create', '--name', 'stopped', 'busybox', 'true']);
    const cases: [string[], RegExp][] = [
      // dockerd records container:X by X's full id at create, and names that id here.
      [['--network', 'container:stopped'], /cannot join network of a non running container: (stopped|[0-9a-f]{64})\n/],
      [['--ipc', 'container:stopped'], /cannot join IPC of a non running container: stopped/],
      [['--pid', 'container:stopped'], /cannot join PID of a non running container: stopped/],
      [['--network', 'container:nope'], /No such container: nope/],
      [['--pid', 'container:nope'], /No such container: nope/],
    ];
    for (const [flags, re] of cases) {
      const r = await dockerCli(d, ['run', '--rm', ...flags, 'busybox', 'true'], { timeoutMs: 15_000 });
      assert.notEqual(r.code, 0, flags.join(' '));
      assert.match(r.stderr, re, flags.join(' '));
    }
    // --rm containers whose start failed are gone, as with dockerd.
    const all = (await ok(['ps', '-a', '--format', '{{.Names}}'])).split('\n');
    assert.deepEqual(all.filter((n) => !['x1', 'x2', 'srv', 'stopped'].includes(n)), []);
    await ok(['rm', 'stopped']);
  });

  it('lets X stop while others share its namespaces', async () => {
    await ok(['run', '-d', '--name', 'owner', 'busybox', 'sleep', '100000']);
    const netId = await ok(['run', '-d', '--network', 'container:owner', 'busybox', 'sleep', '100000']);
    const pidId = await ok(['run', '-d', '--pid', 'container:owner', 'busybox', 'sleep', '100000']);
    const netns = ns(await pidOf('owner'), 'net');
    await ok(['stop', '-t', '1', 'owner']);
    // The network sharer keeps the namespace (lo only now); the pid sharer dies with pid 1 of its namespace.
    assert.equal(await ok(['inspect', '-f', '{{.State.Running}}', netId]), 'true');
    assert.equal(ns(await pidOf(netId), 'net'), netns);
    assert.match(await ok(['exec', netId, 'ip', '-o', 'link']), /lo:/);
    let pidState = '';
    for (let i = 0; i < 50 && pidState !== 'exited'; i++) {
      pidState = await ok(['inspect', '-f', '{{.State.Status}}', pidId]);
      if (pidState !== 'exited') await sleep(100);
    }
    assert.equal(pidState, 'exited');
    assert.equal((await d.request('GET', '/_ping')).status, 200);
    await ok(['rm', '-f', 'owner', netId, pidId]);
  });
});
