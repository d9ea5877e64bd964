/**
 * Containers outlive a crashed daemon: SIGKILL hakod with 20 running containers, start a
 * new one on the same data root, exec root and instance, and find them all again: still
 * running, logs without a gap, exec working, and the exit of one that ended meanwhile.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from './helpers/daemon.js';
import { busyboxTar } from './helpers/images.js';
import { dockerCli, dockerOk, settledLeftovers, skipReason, sleep, stopChecked } from './helpers/hostobjects.js';

const LOOP = 'i=0; while :; do echo line $i; i=$((i+1)); sleep 0.1; done';

/** Line numbers of a log loop's output, in order. */
const numbers = (out: string) => out.split('\n').filter(Boolean).map((l) => Number(/^line (\d+)$/.exec(l)?.[1] ?? NaN));

describe('restore after a daemon crash', { skip: skipReason() }, () => {
  let d: TestDaemon | undefined;
  // the test checks what is left itself; after a failed step this only clears up
  after(async () => { if (d) await stopChecked(d); });

  it('finds 20 running containers, their logs, exec and an exit code again', async () => {
    const first = d = await startDaemon();
    await dockerOk(first, ['load', '-i', await busyboxTar()]);
    const names = Array.from({ length: 20 }, (_, i) => `c${i}`);
    for (let i = 0; i < names.length; i += 5) {
      await Promise.all(names.slice(i, i + 5).map((n, j) => dockerOk(first, ['run', '-d', '--name', n, 'busybox',
        ...(i + j < 3 ? ['sh', '-c', LOOP] : ['sleep', '100000'])])));
    }
    await dockerOk(first, ['run', '-d', '--name', 'exiter', 'busybox', 'sh', '-c', 'sleep 3; exit 7']);
    await sleep(500);
    const before = numbers(await dockerOk(first, ['logs', 'c0']));
    assert.ok(before.length > 0);

    first.proc.kill('SIGKILL');
    await new Promise((r) => (first.proc.exitCode !== null || first.proc.signalCode !== null ? r(null) : first.proc.once('exit', r)));
    await sleep(4000);
    const second = d = await startDaemon({ reuse: first });

    const running = (await dockerOk(second, ['ps', '--format', '{{.Names}}'])).split('\n').sort();
    assert.deepEqual(running, [...names].sort());
    const ex = JSON.parse(await dockerOk(second, ['inspect', '-f', '{{json .State}}', 'exiter']));
    assert.equal(ex.Status, 'exited');
    assert.equal(ex.ExitCode, 7);
    assert.equal((await dockerCli(second, ['wait', 'exiter'])).stdout.trim(), '7');

    await sleep(300);
    for (const n of ['c0', 'c1', 'c2']) {
      const got = numbers(await dockerOk(second, ['logs', n]));
      assert.ok(got.length > before.length + 30, `${n}: ${got.length} lines; the loop went on while no daemon ran`);
      assert.deepEqual(got, got.map((_, i) => i), `${n}: lines continuous across the crash`);
    }
    for (const n of ['c0', 'c7', 'c19']) assert.equal(await dockerOk(second, ['exec', n, 'echo', 'ok']), 'ok');
    // And the restored containers are fully managed again: stop records the exit.
    await dockerOk(second, ['stop', '-t', '1', 'c5']);
    assert.equal(await dockerOk(second, ['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'c5']), 'exited 137');

    await dockerOk(second, ['rm', '-f', ...names, 'exiter']);
    assert.deepEqual(await settledLeftovers(second), [], 'host objects left behind');
  });
});
