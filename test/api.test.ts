/** Black-box tests of the API foundation against a real hakod on a temporary root. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, runHakod, startDaemon, type TestDaemon } from './helpers/daemon.js';
import { DOCKER_BIN } from './helpers/docker-bin.js';

const isRoot = process.getuid?.() === 0;

describe('hakod API foundation', { skip: isRoot ? false : 'requires root: hakod refuses to start otherwise' }, () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon();
  });
  after(async () => {
    await d?.stop();
  });

  it('answers /_ping (GET and HEAD) with docker headers', async () => {
    for (const method of ['GET', 'HEAD']) {
      const r = await d.request(method, '/_ping');
      assert.equal(r.status, 200);
      assert.equal(r.text(), method === 'GET' ? 'OK' : '');
      assert.equal(r.headers['api-version'], '1.45');
      assert.equal(r.headers['ostype'], 'linux');
      assert.equal(r.headers['docker-experimental'], 'false');
      assert.match(String(r.headers['server']), /^hako\/\S+ \(linux\)$/);
      assert.equal(r.headers['builder-version'], '1');
      assert.equal(r.headers['swarm'], 'inactive');
      assert.equal(r.headers['cache-control'], 'no-cache, no-store, must-revalidate');
      assert.equal(r.headers['pragma'], 'no-cache');
    }
  });

  it('serves /version in docker shape, versioned and not', async () => {
    for (const p of ['/version', '/v1.45/version', '/v1.24/version', '/v1.41/version']) {
      const r = await d.request('GET', p);
      assert.equal(r.status, 200, p);
      const v = r.json();
      assert.equal(v.ApiVersion, '1.45');
      assert.equal(v.MinAPIVersion, '1.24');
      assert.equal(v.Os, 'linux');
      assert.match(v.GoVersion, /^node v20/);
      assert.equal(v.Components[0].Name, 'Engine');
      assert.ok(v.Platform.Name);
      assert.ok(v.KernelVersion);
    }
  });

  it('serves /info in docker shape', async () => {
    const info = (await d.request('GET', '/v1.45/info')).json();
    for (const k of ['ID', 'Containers', 'ContainersRunning', 'ContainersPaused', 'ContainersStopped', 'Images', 'Driver',
      'DriverStatus', 'Plugins', 'MemoryLimit', 'SwapLimit', 'CpuCfsPeriod', 'CpuCfsQuota', 'CPUShares', 'CPUSet', 'PidsLimit',
      'IPv4Forwarding', 'Debug', 'NFd', 'NGoroutines', 'SystemTime', 'LoggingDriver', 'CgroupDriver', 'CgroupVersion',
      'NEventsListener', 'KernelVersion', 'OperatingSystem', 'OSVersion', 'OSType', 'Architecture', 'NCPU', 'MemTotal',
      'IndexServerAddress', 'RegistryConfig', 'DockerRootDir', 'HttpProxy', 'Name', 'Labels', 'ExperimentalBuild',
      'ServerVersion', 'Runtimes', 'DefaultRuntime', 'Swarm', 'LiveRestoreEnabled', 'Isolation', 'InitBinary',
      'ContainerdCommit', 'RuncCommit', 'InitCommit', 'SecurityOptions', 'Warnings']) {
      assert.ok(k in info, `missing ${k}`);
    }
    assert.equal(info.Driver, 'overlay2');
    assert.equal(info.DockerRootDir, d.dataRoot);
    assert.equal(info.Swarm.LocalNodeState, 'inactive');
    assert.ok(['1', '2'].includes(info.CgroupVersion));
    assert.equal(info.OSType, 'linux');
  });

  it('refuses API versions outside the supported range', async () => {
    const hi = await d.request('GET', '/v1.99/version');
    assert.equal(hi.status, 400);
    assert.deepEqual(hi.json(), { message: 'client version 1.99 is too new. Maximum supported API version is 1.45' });
    const lo = await d.request('GET', '/v1.12/version');
    assert.equal(lo.status, 400);
    assert.match(lo.json().message, /^client version 1\.12 is too old\. Minimum supported API version is 1\.24/);
  });

  it('answers unknown endpoints 404 and unbuilt ones 501 / swarm 503', async () => {
    const nf = await d.request('GET', '/v1.45/no/such/thing');
    assert.equal(nf.status, 404);
    assert.deepEqual(nf.json(), { message: 'page not found' });
    assert.equal(nf.headers['content-type'], 'application/json');
    const build = await d.request('POST', '/v1.45/build/cancel');
    assert.equal(build.status, 501);
    assert.match(build.json().message, /is not implemented yet in hako: /);
    // A registry that does not answer (port 1 on loopback): never the internet from a test.
    const pull = await d.request('POST', '/images/create?fromImage=127.0.0.1:1/busybox&tag=latest');
    assert.equal(pull.status, 503);
    const sw = await d.request('GET', '/v1.45/swarm');
    assert.equal(sw.status, 503);
    assert.match(sw.json().message, /^This node is not a swarm manager\./);
    assert.equal((await d.request('GET', '/services')).status, 503);
  });

  it('streams /events until the given time', async () => {
    const until = Math.floor(Date.now() / 1000) + 1;
    const r = await d.request('GET', `/events?since=0&until=${until}&filters=${encodeURIComponent('{"type":["container"]}')}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/json');
  });

  it('rejects bad filters JSON with 400', async () => {
    const r = await d.request('GET', '/events?until=1&filters=%7Bnope');
    assert.equal(r.status, 400);
    assert.match(r.json().message, /^invalid filter/);
  });

  it('refuses a second daemon on the same data root', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'hako-test-'));
    try {
      writeFileSync(join(tmp, 'daemon.json'), '{}');
      const r = await runHakod(['--data-root', d.dataRoot, '--exec-root', join(tmp, 'run'), '-H', `unix://${join(tmp, 's.sock')}`,
        '--instance', 'tsecond', '--config-file', join(tmp, 'daemon.json')]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`hakod: data root ${d.dataRoot} is in use by another daemon \\(pid ${d.proc.pid}\\)`));
      assert.equal((await d.request('GET', '/_ping')).status, 200, 'first daemon still serves');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('refuses a second daemon on the same socket', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'hako-test-'));
    try {
      const r = await runHakod(['--data-root', join(tmp, 'data'), '--exec-root', join(tmp, 'run'), '-H', `unix://${d.socket}`,
        '--instance', 'tsecond', '--config-file', '/dev/null']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`hakod: another daemon is answering on ${d.socket}`));
      assert.equal((await d.request('GET', '/_ping')).status, 200, 'first daemon still serves');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('loads, lists, tags, inspects, saves and removes an image', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'hako-test-'));
    try {
      const tar = join(tmp, 'busybox.tar');
      await promisify(execFile)(process.execPath, [join(repoRoot, 'scripts', 'build-busybox-image.mjs'), '--out', tar]);
      const load = await d.request('POST', '/v1.45/images/load?quiet=0', readFileSync(tar), { 'Content-Type': 'application/x-tar' });
      assert.equal(load.status, 200, load.text());
      assert.match(load.text(), /Loaded image: busybox:latest/);
      const list = (await d.request('GET', '/images/json')).json();
      assert.ok(list.some((i: any) => i.RepoTags?.includes('busybox:latest')));
      assert.equal((await d.request('POST', '/images/busybox:latest/tag?repo=127.0.0.1:5000/foo/bar&tag=t1')).status, 201);
      const ins = await d.request('GET', '/v1.45/images/127.0.0.1:5000/foo/bar:t1/json');
      assert.equal(ins.status, 200);
      assert.ok(ins.json().RepoTags.includes('127.0.0.1:5000/foo/bar:t1'));
      const save = await d.request('GET', '/images/get?names=busybox:latest');
      assert.equal(save.status, 200);
      assert.equal(save.headers['content-type'], 'application/x-tar');
      assert.ok(save.body.length > 10_000);
      const del = await d.request('DELETE', '/images/127.0.0.1:5000/foo/bar:t1');
      assert.deepEqual(del.json(), [{ Untagged: '127.0.0.1:5000/foo/bar:t1' }]);
      assert.equal((await d.request('GET', '/images/127.0.0.1:5000/foo/bar:t1/json')).status, 404);
      const ev = await d.request('GET', `/events?since=0&until=${Date.now() / 1000}&filters=${encodeURIComponent('{"type":["image"]}')}`);
      const actions = ev.text().trim().split('\n').map((l) => JSON.parse(l).Action);
      assert.ok(actions.includes('tag') && actions.includes('untag'));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('works with the docker CLI', { skip: existsSync(DOCKER_BIN) ? false : 'no docker CLI (looked in /usr/local/bin and /usr/bin)' }, async () => {
    const { stdout } = await promisify(execFile)(DOCKER_BIN, ['-H', `unix://${d.socket}`, 'version'], { env: { ...process.env, DOCKER_CONFIG: d.tmp } });
    assert.match(stdout, /Server:/);
    assert.match(stdout, /API version:\s+1\.45/);
  });
});

describe('hakod lifecycle', { skip: isRoot ? false : 'requires root' }, () => {
  it('removes its socket, pid file and lock on SIGTERM and exits 0', async () => {
    const d = await startDaemon();
    const { socket, pidfile, dataRoot } = d;
    assert.ok(existsSync(socket) && existsSync(pidfile) && existsSync(join(dataRoot, 'hakod.lock')));
    const tmp = d.tmp;
    const proc = d.proc;
    const exit = new Promise<number | null>((r) => proc.on('exit', (c) => r(c)));
    proc.kill('SIGTERM');
    assert.equal(await exit, 0);
    assert.equal(existsSync(socket), false, 'socket removed');
    assert.equal(existsSync(pidfile), false, 'pid file removed');
    assert.equal(existsSync(join(dataRoot, 'hakod.lock')), false, 'lock removed');
    assert.match(d.logs(), /"msg":"API listening on /);
    for (const line of d.logs().trim().split('\n')) JSON.parse(line);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('refuses bad flags and tcp without TLS', async () => {
    const bad = await runHakod(['--instance', 'Bad_Name', '--config-file', '/nonexistent/x.json']);
    assert.equal(bad.code, 1);
    const tcp = await runHakod(['-H', 'tcp://127.0.0.1:2375', '--config-file', '/dev/null']);
    assert.equal(tcp.code, 1);
    assert.match(tcp.stderr, /refusing to listen on tcp:\/\/ without client authentication/);
    const inst = await runHakod(['--instance', 'Bad_Name', '--config-file', '/dev/null']);
    assert.match(inst.stderr, /invalid instance name "Bad_Name"/);
  });

  it('refuses a key given both as a flag and in the config file', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'hako-test-'));
    try {
      writeFileSync(join(tmp, 'daemon.json'), JSON.stringify({ 'data-root': join(tmp, 'a') }));
      const r = await runHakod(['--data-root', join(tmp, 'b'), '--config-file', join(tmp, 'daemon.json')]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /specified both as a flag and in the configuration file: data-root/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
