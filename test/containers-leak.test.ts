/**
 * Nothing leaks: 100 containers (half with named or anonymous volumes, some --rm) go
 * through create, start, stop and remove in parallel batches of 8, and afterwards the
 * daemon's instance holds no mount, cgroup, netns, veth, conmon process or container dir.
 * Also the basic lifecycle under both OCI runtimes: --runtime per container and
 * --default-runtime for the daemon.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, type TestDaemon } from './helpers/daemon.js';
import { busyboxTar } from './helpers/images.js';
import { dockerCli, dockerOk, settledLeftovers, skipReason } from './helpers/hostobjects.js';

const skip = skipReason();

async function cleanup(d: TestDaemon | undefined): Promise<void> {
  if (!d) return;
  const ids = (await dockerCli(d, ['ps', '-aq'])).stdout.split('\n').filter(Boolean);
  if (ids.length) await dockerCli(d, ['rm', '-f', '-v', ...ids]);
  const vols = (await dockerCli(d, ['volume', 'ls', '-q'])).stdout.split('\n').filter(Boolean);
  if (vols.length) await dockerCli(d, ['volume', 'rm', '-f', ...vols]);
  await d.stop();
}

describe('container leaks', { skip }, () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon();
    await dockerOk(d, ['load', '-i', await busyboxTar()]);
  });
  after(() => cleanup(d));

  it('leaves nothing behind after 100 create/start/stop/remove cycles', async () => {
    const t0 = Date.now();
    const cycle = async (i: number) => {
      const vol = i % 4 === 0 ? ['-v', `leak${i}:/data`] : i % 4 === 1 ? ['-v', '/data'] : [];
      if (i % 5 === 0) {
        // --rm: the daemon removes it when it stops.
        const id = await dockerOk(d, ['run', '-d', '--rm', ...vol, 'busybox', 'sleep', '100000']);
        await dockerOk(d, ['stop', '-t', '0', id]);
        await dockerOk(d, ['wait', '--condition', 'removed', id]).catch(() => '');
        return;
      }
      const id = await dockerOk(d, ['create', ...vol, 'busybox', 'sh', '-c', 'echo x > /tmp/f; sleep 100000']);
      await dockerOk(d, ['start', id]);
      await dockerOk(d, ['stop', '-t', '0', id]);
      await dockerOk(d, ['rm', '-v', id]);
    };
    for (let i = 0; i < 100; i += 8) {
      // allSettled: a failing cycle must not leave its batch running past the clean-up.
      const rs = await Promise.allSettled(Array.from({ length: Math.min(8, 100 - i) }, (_, j) => cycle(i + j)));
      for (const r of rs) if (r.status === 'rejected') throw r.reason;
    }
    console.log(`# 100 container cycles in ${Date.now() - t0} ms`);
    assert.equal(await dockerOk(d, ['ps', '-aq']), '');
    // Anonymous volumes went with their containers (rm -v, --rm); named ones stay until removed.
    const vols = (await dockerOk(d, ['volume', 'ls', '-q'])).split('\n').filter(Boolean).sort();
    assert.deepEqual(vols, Array.from({ length: 25 }, (_, k) => `leak${k * 4}`).sort());
    await dockerOk(d, ['volume', 'rm', ...vols]);
    assert.deepEqual(await settledLeftovers(d), [], 'host objects left behind');
  });
});

describe('both OCI runtimes', { skip: skip || (!existsSync('/usr/bin/runc') ? 'runc is not installed' : false) }, () => {
  const lifecycle = async (d: TestDaemon, runtime: 'runc' | 'crun', flags: string[]) => {
    const id = await dockerOk(d, ['run', '-d', ...flags, 'busybox', 'sleep', '100000']);
    assert.equal(await dockerOk(d, ['inspect', '-f', '{{.HostConfig.Runtime}}', id]), runtime);
    // The runtime that holds the container's state is the one asked for.
    assert.ok(existsSync(join(d.execRoot, 'runtime', runtime, id)), `${runtime} state dir`);
    assert.ok(!existsSync(join(d.execRoot, 'runtime', runtime === 'runc' ? 'crun' : 'runc', id)), 'not under the other runtime');
    assert.equal(await dockerOk(d, ['exec', id, 'echo', 'hi']), 'hi');
    await dockerOk(d, ['pause', id]);
    assert.equal(await dockerOk(d, ['inspect', '-f', '{{.State.Status}}', id]), 'paused');
    await dockerOk(d, ['unpause', id]);
    await dockerOk(d, ['update', '--cpu-shares', '300', id]);
    await dockerOk(d, ['restart', '-t', '0', id]);
    assert.equal(await dockerOk(d, ['inspect', '-f', '{{.State.Running}}', id]), 'true');
    await dockerOk(d, ['stop', '-t', '0', id]);
    assert.equal(await dockerOk(d, ['inspect', '-f', '{{.State.ExitCode}}', id]), '137');
    await dockerOk(d, ['start', id]);
    await dockerOk(d, ['rm', '-f', id]);
    const r = await dockerCli(d, ['run', '--rm', ...flags, 'busybox', 'sh', '-c', 'echo out; exit 3']);
    assert.equal(r.code, 3);
    assert.equal(r.stdout, 'out\n');
    assert.deepEqual(await settledLeftovers(d), [], `${runtime}: host objects left behind`);
  };

  it('runs a container with --runtime runc and with the default crun side by side', async (t) => {
    const d = await startDaemon();
    t.after(() => cleanup(d));
    await dockerOk(d, ['load', '-i', await busyboxTar()]);
    await lifecycle(d, 'runc', ['--runtime', 'runc']);
    const def = JSON.parse((await d.request('GET', '/info')).text()).DefaultRuntime as 'runc' | 'crun';
    await lifecycle(d, def, []);
    const bad = await dockerCli(d, ['run', '--rm', '--runtime', 'nope', 'busybox', 'true']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /Unknown runtime specified nope/);
  });

  it('honours --default-runtime runc', async (t) => {
    const d = await startDaemon({ args: ['--default-runtime', 'runc'] });
    t.after(() => cleanup(d));
    await dockerOk(d, ['load', '-i', await busyboxTar()]);
    await lifecycle(d, 'runc', []);
    if (existsSync('/usr/bin/crun')) await lifecycle(d, 'crun', ['--runtime', 'crun']);
  });
});
