/** docker exec and health checks against a real hakod with busybox, through the docker CLI and the API. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from './helpers/daemon.js';
import { busyboxTar } from './helpers/images.js';
import { dockerCli, skipReason, stopChecked } from './helpers/hostobjects.js';

const skip = skipReason();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('exec', { skip }, () => {
  let d: TestDaemon;
  const docker = (args: string[], input?: string) => dockerCli(d, args, { input });

  before(async () => {
    d = await startDaemon();
    assert.equal((await docker(['load', '-i', await busyboxTar()])).code, 0);
    assert.equal((await docker(['run', '-d', '--name', 's1', 'busybox', 'sleep', '1000'])).code, 0);
  });
  after(async () => {
    if (!d) return;
    await docker(['rm', '-f', 's1', 's2', 'h1', 'h2']);
    assert.deepEqual(await stopChecked(d), [], 'host objects left behind');
  });

  it('prints output and passes exit codes', async () => {
    assert.deepEqual(await docker(['exec', 's1', 'echo', 'hi']), { code: 0, stdout: 'hi\n', stderr: '' });
    assert.equal((await docker(['exec', 's1', 'sh', '-c', 'exit 3'])).code, 3);
    const r = await docker(['exec', 's1', 'sh', '-c', 'echo out; echo err >&2']);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
  });

  it('feeds stdin and keeps output after stdin closes', async () => {
    const r = await docker(['exec', '-i', 's1', 'sh', '-c', 'cat; sleep 0.3; echo after'], 'abc\n');
    assert.equal(r.stdout, 'abc\nafter\n');
    assert.equal(r.code, 0);
  });

  it('honours -u, -w, -e and -t', async () => {
    assert.match((await docker(['exec', '-u', 'nobody', 's1', 'id'])).stdout, /^uid=65534\(nobody\) gid=65534/);
    assert.equal((await docker(['exec', '-w', '/tmp', 's1', 'pwd'])).stdout, '/tmp\n');
    assert.match((await docker(['exec', '-e', 'A=1', 's1', 'env'])).stdout, /^A=1$/m);
    assert.match((await docker(['exec', '-t', 's1', 'tty'])).stdout, /^\/dev\/pts\/\d+\r?\n$/);
  });

  it('runs detached with -d', async () => {
    assert.equal((await docker(['exec', '-d', 's1', 'touch', '/tmp/x'])).code, 0);
    for (let i = 0; i < 50 && (await docker(['exec', 's1', 'test', '-e', '/tmp/x'])).code !== 0; i++) await sleep(100);
    assert.equal((await docker(['exec', 's1', 'test', '-e', '/tmp/x'])).code, 0);
  });

  it('reports a missing command with 127', async () => {
    const r = await docker(['exec', 's1', 'no-such-command']);
    assert.equal(r.code, 127);
  });

  it('creates, inspects and lists execs through the API', async () => {
    const c = await d.request('POST', '/containers/s1/exec', { Cmd: ['sh', '-c', 'exit 4'], AttachStdout: true });
    assert.equal(c.status, 201);
    const id = c.json().Id as string;
    const before = (await d.request('GET', `/exec/${id}/json`)).json();
    assert.equal(before.Running, false);
    assert.equal(before.ExitCode, null);
    assert.deepEqual(before.ProcessConfig, { tty: false, entrypoint: 'sh', arguments: ['-c', 'exit 4'], privileged: false, user: '' });
    const s = await d.request('POST', `/exec/${id}/start`, { Detach: false });
    assert.equal(s.status, 200);
    const done = (await d.request('GET', `/exec/${id}/json`)).json();
    assert.equal(done.ExitCode, 4);
    assert.ok((await d.request('GET', '/containers/s1/json')).json().ExecIDs.includes(id));
    assert.equal((await d.request('GET', '/exec/nope/json')).status, 404);
  });

  it('refuses exec in a stopped container with 409', async () => {
    assert.equal((await docker(['create', '--name', 's2', 'busybox', 'true'])).code, 0);
    const r = await d.request('POST', '/containers/s2/exec', { Cmd: ['true'] });
    assert.equal(r.status, 409);
    assert.match(r.json().message, /^Container [0-9a-f]{64} is not running$/);
  });

  it('runs health checks: healthy and unhealthy', async () => {
    assert.equal((await docker(['run', '-d', '--name', 'h1', '--health-cmd', 'test -e /bin/sh', '--health-interval', '1s', 'busybox', 'sleep', '100'])).code, 0);
    assert.equal((await docker(['run', '-d', '--name', 'h2', '--health-cmd', 'echo no; exit 1', '--health-interval', '1s', '--health-retries', '2', 'busybox', 'sleep', '100'])).code, 0);
    const status = async (n: string) => (await d.request('GET', `/containers/${n}/json`)).json().State.Health?.Status;
    assert.equal(await status('h1'), 'starting');
    for (let i = 0; i < 80 && ((await status('h1')) !== 'healthy' || (await status('h2')) !== 'unhealthy'); i++) await sleep(100);
    assert.equal(await status('h1'), 'healthy');
    const h2 = (await d.request('GET', '/containers/h2/json')).json().State.Health;
    assert.equal(h2.Status, 'unhealthy');
    assert.ok(h2.FailingStreak >= 2);
    assert.equal(h2.Log.at(-1).ExitCode, 1);
    assert.equal(h2.Log.at(-1).Output, 'no\n');
    assert.match((await docker(['ps', '--filter', 'name=h1', '--format', '{{.Status}}'])).stdout, /^Up .* \(healthy\)$/m);
    assert.equal((await docker(['ps', '--filter', 'health=unhealthy', '--format', '{{.Names}}'])).stdout, 'h2\n');
    const ev = await d.request('GET', `/events?since=0&until=${Date.now() / 1000}`);
    assert.match(ev.text(), /"Action":"health_status: healthy"/);
  });
});
