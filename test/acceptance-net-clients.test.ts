/**
 * An outside tester's second pass over networking (issue 3) and real clients (issue 4):
 * what the stock docker CLI, docker-py and dockerode users see around the scenarios,
 * each expectation taken from dockerd 20.10 / 28 on this machine (docker rename and the
 * embedded DNS, rmi of a built image and its intermediate parents, the event sequence of
 * stop / rm -f / attach, the stats and prune answers' shapes).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startDaemon, type TestDaemon } from './helpers/daemon.js';
import { busyboxTar } from './helpers/images.js';
import { DOCKER, dockerCli, dockerOk, skipReason, stopChecked, withBusyboxDaemon } from './helpers/hostobjects.js';
import { freePort, leftovers, runTool } from './helpers/clients.js';
import { tarOf } from './helpers/archives.js';

const skip = skipReason();
const COMPOSE = '/usr/bin/docker-compose';

describe('acceptance: networks and clients, round 2', { skip }, () => {
  let d: TestDaemon;
  const ok = (args: string[], o: { input?: string; timeoutMs?: number } = {}) => dockerOk(d, args, o);

  withBusyboxDaemon((x) => { d = x; }, { beforeStop: (d) => dockerCli(d, ['network', 'prune', '-f']) });

  it('docker rename: the container answers to its new name on its networks, no longer to the old one', async () => {
    await ok(['network', 'create', 'rnet']);
    await ok(['run', '-d', '--name', 'rold', '--net', 'rnet', '--network-alias', 'ral', 'busybox', 'sleep', '1000']);
    await ok(['run', '-d', '--name', 'rpeer', '--net', 'rnet', 'busybox', 'sleep', '1000']);
    await ok(['rename', 'rold', 'rnew']);
    assert.match(await ok(['exec', 'rpeer', 'ping', '-c1', '-W2', 'rnew']), /1 packets received/);
    const old = await dockerCli(d, ['exec', 'rpeer', 'ping', '-c1', '-W1', 'rold']);
    assert.equal(old.code, 1, `the old name still resolves: ${old.stdout}`);
    assert.match(await ok(['exec', 'rpeer', 'ping', '-c1', '-W2', 'ral']), /1 packets received/);
    const names = (await ok(['network', 'inspect', '-f', '{{range .Containers}}{{.Name}} {{end}}', 'rnet'])).split(' ').sort();
    assert.deepEqual(names, ['rnew', 'rpeer']);
    const dns = JSON.parse(await ok(['inspect', '-f', '{{json .NetworkSettings.Networks.rnet.DNSNames}}', 'rnew'])) as string[];
    assert.deepEqual(dns.slice(0, 2), ['rnew', 'ral']);
    await ok(['rm', '-f', 'rnew', 'rpeer']);
    await ok(['network', 'rm', 'rnet']);
  });

  it('rmi of a built image removes the intermediate images of its build, unless --no-prune', async () => {
    const ctx = mkdtempSync(join(d.tmp, 'ctx-'));
    writeFileSync(join(ctx, 'Dockerfile'), 'FROM busybox\nRUN echo built > /b\nEXPOSE 80\nCMD ["cat", "/b"]\n');
    const all = async () => (await ok(['images', '-aq'])).split('\n').filter(Boolean).sort();
    const before = await all();
    await ok(['build', '-q', '-t', 'qa-built', ctx]);
    assert.ok((await all()).length > before.length + 1, 'the build left intermediate images (docker images -a)');
    assert.deepEqual((await ok(['images', '-q', '--filter', 'dangling=true'])), '', 'intermediates are not dangling while the image exists');
    const rmi = await ok(['rmi', 'qa-built']);
    assert.match(rmi, /^Untagged: qa-built:latest$/m);
    assert.ok(rmi.split('\n').filter((l) => l.startsWith('Deleted: ')).length >= 3, rmi);
    assert.deepEqual(await all(), before, 'only the images from before the build are left');
    // --no-prune keeps the parents, now dangling; image prune takes them
    await ok(['build', '-q', '-t', 'qa-built', ctx]);
    await ok(['rmi', '--no-prune', 'qa-built']);
    assert.notEqual((await ok(['images', '-q', '--filter', 'dangling=true'])), '');
    await ok(['image', 'prune', '-f']);
    assert.deepEqual(await all(), before);
  });

  it('events: stop, restart, rm -f and an attached run give dockerd\'s sequence (kill with its signal, attach, network connect/disconnect)', async () => {
    const since = Math.floor(Date.now() / 1000);
    await ok(['run', '-d', '--name', 'ev', '-l', 'qa=ev', 'busybox', 'sleep', '1000']);
    await ok(['run', '--rm', '-l', 'qa=ev', 'busybox', 'true']);
    await ok(['stop', '-t', '1', 'ev']);
    await ok(['start', 'ev']);
    await ok(['restart', '-t', '0', 'ev']);
    await ok(['rm', '-f', 'ev']);
    const until = Math.floor(Date.now() / 1000) + 1;
    const evs = (await ok(['events', '--since', String(since), '--until', String(until), '--filter', 'type=container', '--filter', 'label=qa=ev',
      '--format', '{{.Action}}{{with .Actor.Attributes.signal}} {{.}}{{end}}{{with .Actor.Attributes.exitCode}} {{.}}{{end}}'])).split('\n');
    assert.deepEqual(evs, [
      'create', 'start', // run -d ev
      'create', 'attach', 'start', 'die 0', 'destroy', // run --rm
      'kill 15', 'kill 9', 'die 137', 'stop', // stop -t 1 of a sleep that ignores TERM (pid 1)
      'start',
      'kill 15', 'kill 9', 'die 137', 'stop', 'start', 'restart',
      'kill 9', 'die 137', 'destroy',
    ]);
    // and the network side: each start connects it to the default bridge, each exit disconnects it
    const id = (await ok(['events', '--since', String(since), '--until', String(until), '--filter', 'type=container', '--filter', 'event=create',
      '--filter', 'container=ev', '--format', '{{.Actor.ID}}'])).split('\n')[0]!;
    // the last disconnect comes with the host clean-up, after rm -f answered
    let net: string[] = [];
    for (const end = Date.now() + 15_000; net.length < 6 && Date.now() < end;) {
      net = (await ok(['events', '--since', String(since), '--until', String(Math.floor(Date.now() / 1000)), '--filter', 'type=network',
        '--format', '{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.container}}'])).split('\n').filter((l) => l.endsWith(id));
    }
    assert.deepEqual(net, ['connect', 'disconnect', 'connect', 'disconnect', 'connect', 'disconnect'].map((a) => `${a} bridge ${id}`));
  });

  it('stats and prune answers carry the keys dockerd sends (num_procs, storage_stats, blkio lists; NetworksDeleted null)', async () => {
    const id = await ok(['run', '-d', 'busybox', 'sleep', '1000']);
    for (const q of ['stream=false', 'stream=false&one-shot=true']) {
      const s = (await d.request('GET', `/containers/${id}/stats?${q}`)).json<Record<string, any>>();
      for (const k of ['read', 'preread', 'pids_stats', 'blkio_stats', 'num_procs', 'storage_stats', 'cpu_stats', 'precpu_stats', 'memory_stats', 'name', 'id', 'networks']) {
        assert.ok(k in s, `${q}: ${k} missing from ${Object.keys(s)}`);
      }
      for (const k of ['io_service_bytes_recursive', 'io_serviced_recursive', 'io_queue_recursive', 'io_service_time_recursive',
        'io_wait_time_recursive', 'io_merged_recursive', 'io_time_recursive', 'sectors_recursive']) assert.ok(k in s.blkio_stats, k);
    }
    await ok(['rm', '-f', id]);
    assert.deepEqual((await d.request('POST', '/networks/prune')).json(), { NetworksDeleted: null });
    await ok(['network', 'create', 'prunable']);
    assert.deepEqual((await d.request('POST', '/networks/prune')).json(), { NetworksDeleted: ['prunable'] });
  });

  it('testcontainers\' flow: files PUT into a created container at "/", then start, every time; HostPort "0" is a random port', async () => {
    // withCopyContentToContainer: PUT /archive?path=/ between create and start. The temporary
    // rootfs mount of the PUT used to be detached after the answer, under the start (~50%).
    for (let i = 0; i < 8; i++) {
      const create = await d.request('POST', '/containers/create', { Image: 'busybox', Cmd: ['cat', '/w/f.txt'] });
      assert.equal(create.status, 201, create.text());
      const id = create.json<{ Id: string }>().Id;
      const put = await d.request('PUT', `/containers/${id}/archive?path=/`, await tarOf([{ name: '/w/f.txt', data: `n${i}` }]), { 'Content-Type': 'application/x-tar' });
      assert.equal(put.status, 200, put.text());
      const start = await d.request('POST', `/containers/${id}/start`);
      assert.equal(start.status, 204, `start ${i} after a PUT: ${start.text()}`);
      assert.equal((await d.request('POST', `/containers/${id}/wait`)).json().StatusCode, 0);
      assert.match((await d.request('GET', `/containers/${id}/logs?stdout=1`)).body.toString('latin1'), new RegExp(`n${i}$`));
      await d.request('DELETE', `/containers/${id}?force=1`);
    }
    // withExposedPorts sends PortBindings {"8080/tcp": [{"HostPort": "0"}]}: dockerd picks a port
    const create = await d.request('POST', '/containers/create', { Image: 'busybox', Cmd: ['httpd', '-f', '-p', '8080', '-h', '/etc'],
      ExposedPorts: { '8080/tcp': {} }, HostConfig: { PortBindings: { '8080/tcp': [{ HostPort: '0' }] } } });
    const id = create.json<{ Id: string }>().Id;
    const start = await d.request('POST', `/containers/${id}/start`);
    assert.equal(start.status, 204, start.text());
    const port = Number(await ok(['port', id, '8080']).then((o) => o.split(':').pop()));
    assert.ok(port >= 1024, `a random host port: ${port}`);
    assert.equal(await poll(async () => (await fetchText(`http://127.0.0.1:${port}/hostname`)).trim(), id.slice(0, 12)), id.slice(0, 12));
    // and docker cp to and from "/" of the running container (the /proc/PID/root link is its root)
    await ok(['cp', '-', `${id}:/`], { input: (await tarOf([{ name: 'atroot.txt', data: 'at-root' }])).toString('latin1') });
    assert.equal(await ok(['exec', id, 'cat', '/atroot.txt']), 'at-root');
    const head = await d.request('HEAD', `/containers/${id}/archive?path=/`);
    const stat = JSON.parse(Buffer.from(String(head.headers['x-docker-container-path-stat']), 'base64').toString()) as { name: string; linkTarget: string; mode: number };
    assert.deepEqual([stat.name, stat.linkTarget, (stat.mode & 0x80000000) !== 0], ['/', '', true], 'the root is a directory');
    await ok(['rm', '-f', id]);
  });

  it('docker exec -i / run -i: binary stdin holding ctrl-p ctrl-q reaches the process whole, and a large output arrives whole', async () => {
    // dockerd scans for the detach keys only with a TTY; without one they are data
    const data = Buffer.concat([randomBytes(100_000), Buffer.from([0x10, 0x11]), randomBytes(4_000_000)]);
    const file = join(d.tmp, 'stdin.bin');
    writeFileSync(file, data);
    const md5 = createHash('md5').update(data).digest('hex');
    await ok(['run', '-d', '--name', 'sink', 'busybox', 'sleep', '1000']);
    const r1 = await dockerFromFile(d, ['exec', '-i', 'sink', 'md5sum'], file);
    assert.deepEqual([r1.code, r1.stdout.toString().split(' ')[0]], [0, md5], r1.stderr);
    const r2 = await dockerFromFile(d, ['run', '--rm', '-i', 'busybox', 'md5sum'], file);
    assert.deepEqual([r2.code, r2.stdout.toString().split(' ')[0]], [0, md5], r2.stderr);
    // the tail of the output used to be dropped when the session closed (~25% with 5 MB)
    for (let i = 0; i < 6; i++) {
      const r = await dockerFromFile(d, ['exec', '-i', 'sink', 'cat'], file);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.length, data.length, `run ${i}: ${r.stdout.length} of ${data.length} bytes came back`);
    }
    await ok(['rm', '-f', 'sink']);
  });

  it('attach stream ends once the exit is recorded: docker-py\'s attach, then remove without force, works', async () => {
    for (let i = 0; i < 3; i++) {
      const id = await ok(['run', '-d', 'busybox', 'sh', '-c', 'echo first; sleep 0.3; echo second']);
      const r = await d.request('POST', `/containers/${id}/attach?stream=1&stdout=1&stderr=1&logs=1`);
      assert.equal(r.status, 200);
      assert.match(r.body.toString('latin1'), /second\n$/);
      const rm = await d.request('DELETE', `/containers/${id}`);
      assert.equal(rm.status, 204, `remove right after the attach stream ended: ${rm.text()}`);
    }
  });

  it('run --net host -p: dockerd\'s warning that the published ports are discarded', async () => {
    const r = await dockerCli(d, ['run', '--rm', '--net', 'host', '-p', '18099:80', 'busybox', 'true']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^WARNING: Published ports are discarded when using host network mode$/m);
  });

  it('docker-compose 1.29 recreates a changed service, keeping its named and anonymous volumes', { skip: existsSync(COMPOSE) ? false : 'no docker-compose' }, async () => {
    const dir = mkdtempSync(join(d.tmp, 'cmp-'));
    const file = join(dir, 'docker-compose.yml');
    writeFileSync(file, ['version: "2.4"', 'services:', '  b:', '    image: busybox',
      '    command: sh -c \'echo $$FOO >> /data/log; echo $$FOO >> /anon/log; exec sleep 1000\'',
      '    environment: {FOO: one}', '    stop_grace_period: 1s', '    volumes: [data:/data, /anon]', 'volumes:', '  data: {}', ''].join('\n'));
    const compose = (args: string[]) => runTool(COMPOSE, ['-H', `unix://${d.socket}`, '-p', 'qarec', '-f', file, ...args],
      { env: { DOCKER_CONFIG: d.tmp, COMPOSE_HTTP_TIMEOUT: '60' }, timeoutMs: 90_000 });
    const up = async () => { const r = await compose(['up', '-d']); assert.equal(r.code, 0, r.stderr); return r.stderr; };
    const logs = async (want: string) => {
      let out = '';
      for (let i = 0; i < 50 && out !== want; i++) {
        out = (await compose(['exec', '-T', 'b', 'cat', '/data/log', '/anon/log'])).stdout;
        if (out !== want) await new Promise((r) => setTimeout(r, 100));
      }
      return out;
    };
    try {
      await up();
      assert.equal(await logs('one\none\n'), 'one\none\n');
      writeFileSync(file, readFileSync(file, 'utf8').replace('FOO: one', 'FOO: two'));
      // compose reads the image's ContainerConfig to carry the volumes over
      assert.match(await up(), /Recreating qarec_b_1 \.\.\. done/);
      assert.equal(await logs('one\ntwo\none\ntwo\n'), 'one\ntwo\none\ntwo\n');
    } finally {
      const down = await compose(['down', '-v', '-t', '1']);
      assert.equal(down.code, 0, down.stderr);
    }
    assert.deepEqual(JSON.parse((await d.request('GET', '/volumes')).text()).Volumes ?? [], []);
  });
});

describe('acceptance: published ports and names across a daemon crash', { skip }, () => {
  let d: TestDaemon | undefined;
  after(async () => {
    if (!d) return;
    await dockerCli(d, ['network', 'prune', '-f']);
    assert.deepEqual(await stopChecked(d), [], 'host objects left behind');
  });

  it('SIGKILL of hakod: the port keeps answering, and after the restart port, DNS, restart and rm work as before', async () => {
    const first = d = await startDaemon();
    const ok = (dm: TestDaemon, args: string[]) => dockerOk(dm, args);
    await ok(first, ['load', '-i', await busyboxTar()]);
    const port = await freePort();
    const netId = await ok(first, ['network', 'create', 'crashnet']);
    const id = await ok(first, ['run', '-d', '--name', 'web', '--net', 'crashnet', '-p', `${port}:80`, 'busybox', 'httpd', '-f', '-p', '80', '-h', '/etc']);
    const page = async () => (await fetchText(`http://127.0.0.1:${port}/hostname`)).trim();
    assert.equal(await poll(page, id.slice(0, 12)), id.slice(0, 12));

    first.proc.kill('SIGKILL');
    await new Promise((r) => (first.proc.exitCode !== null || first.proc.signalCode !== null ? r(null) : first.proc.once('exit', r)));
    assert.equal(await page(), id.slice(0, 12), 'the published port answers while no daemon runs');
    const second = d = await startDaemon({ reuse: first });
    assert.equal(await ok(second, ['port', 'web', '80']), `0.0.0.0:${port}`);
    assert.equal(await page(), id.slice(0, 12));
    assert.match(await ok(second, ['run', '--rm', '--net', 'crashnet', 'busybox', 'wget', '-qO-', 'http://web/hostname']), new RegExp(id.slice(0, 12)));
    await ok(second, ['restart', '-t', '0', 'web']);
    assert.equal(await poll(page, id.slice(0, 12)), id.slice(0, 12), 'the port answers after docker restart');
    await ok(second, ['rm', '-f', 'web']);
    await ok(second, ['network', 'rm', 'crashnet']);
    let left: string[] = [];
    for (let i = 0; i < 50; i++) {
      left = await leftovers(second.instance, { containerIds: [id], networkIds: [netId], ports: [port] });
      if (!left.length) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(left, []);
  });
});

/** GET over loopback; '' when nothing answers. */
async function fetchText(url: string): Promise<string> {
  try {
    return await (await fetch(url, { signal: AbortSignal.timeout(3000) })).text();
  } catch { return ''; }
}

/** Calls fn until it returns want (or 10 s passed); returns the last value. */
async function poll(fn: () => Promise<string>, want: string): Promise<string> {
  let v = '';
  for (const end = Date.now() + 10_000; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
    if ((v = await fn()) === want) break;
  }
  return v;
}

/** docker -H <d> args with stdin from a file, stdout as bytes (killed after 60 s). */
function dockerFromFile(d: TestDaemon, args: string[], file: string): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve) => {
    const fd = openSync(file, 'r');
    const p = spawn(DOCKER, ['-H', `unix://${d.socket}`, ...args], { stdio: [fd, 'pipe', 'pipe'], env: { ...process.env, DOCKER_CONFIG: d.tmp } });
    closeSync(fd);
    const out: Buffer[] = [];
    let stderr = '';
    p.stdout!.on('data', (b: Buffer) => out.push(b));
    p.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    const t = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.on('close', (code) => { clearTimeout(t); resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr }); });
  });
}
