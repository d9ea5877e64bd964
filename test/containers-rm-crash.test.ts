/**
 * `rm -f` answers once its SIGKILL is sent and the record is gone; the host clean-up
 * (waiting for conmon's exit file, runtime state, mounts, cgroups, dirs) runs after the
 * answer. A daemon SIGKILLed right after such answers must leave nothing behind once a new
 * daemon on the same roots has started (its boot sweep finishes the clean-up).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, type TestDaemon } from './helpers/daemon.js';
import { busyboxTar } from './helpers/images.js';
import { dockerCli, dockerOk, settledLeftovers, skipReason, sleep, stopChecked } from './helpers/hostobjects.js';

describe('rm -f and a crash before its clean-up', { skip: skipReason() }, () => {
  let d: TestDaemon | undefined;
  after(async () => {
    if (d) assert.deepEqual(await stopChecked(d), [], 'host objects left behind');
  });

  it('answers rm -f with die 137 and destroy; a restarted daemon sweeps what the crash left', async () => {
    const first = d = await startDaemon();
    await dockerOk(first, ['load', '-i', await busyboxTar()]);
    const names = Array.from({ length: 6 }, (_, i) => `k${i}`);
    await Promise.all(names.map((n) => dockerOk(first, ['run', '-d', '--network', 'none', '--name', n, 'busybox', 'sleep', '100000'])));
    const waited = dockerCli(first, ['wait', 'k0']);
    await sleep(700); // the wait request is in before the rm
    const since = Math.floor(Date.now() / 1000) - 1;
    await dockerOk(first, ['rm', '-f', 'k0']);
    assert.equal((await waited).stdout.trim(), '137');
    assert.equal(await dockerOk(first, ['ps', '-aq', '--filter', 'name=k0']), '', 'gone from the list once rm answered');
    const events = await dockerOk(first, ['events', '--since', String(since), '--until', String(Math.floor(Date.now() / 1000) + 1),
      '--filter', 'container=k0', '--format', '{{.Action}} {{index .Actor.Attributes "exitCode"}}']);
    assert.match(events, /die 137\s+destroy/);
    await Promise.all(names.slice(1).map((n) => dockerOk(first, ['rm', '-f', n])));
    // SIGKILL the daemon at once: some clean-ups have not run (or not finished).
    first.proc.kill('SIGKILL');
    await new Promise((r) => (first.proc.exitCode !== null || first.proc.signalCode !== null ? r(null) : first.proc.once('exit', r)));
    await sleep(300);
    const second = d = await startDaemon({ reuse: first });
    assert.deepEqual(await settledLeftovers(second), [], 'host objects left behind after the boot sweep');
    const rtState = join(second.execRoot, 'runtime', 'crun');
    assert.deepEqual(existsSync(rtState) ? readdirSync(rtState) : [], [], 'crun state left behind');
    // The names are free again.
    await dockerOk(second, ['run', '--rm', '--network', 'none', '--name', 'k0', 'busybox', 'true']);
    assert.deepEqual(await settledLeftovers(second), [], 'host objects of the run --rm left behind');
  });
});
