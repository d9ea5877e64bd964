/**
 * hako's CLI and the docker CLI in a real terminal: an interactive shell and its exit
 * status, detaching with Ctrl-P Ctrl-Q, re-attaching (the prompt is redrawn without a key
 * press, as docker attach does it, and the terminal ends at the pane's size: conmon 2.1.6
 * kept the size+1 of that redraw when both sizes reached it together), exec -it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { repoRoot, startDaemon, type TestDaemon } from './helpers/daemon.js';
import { busyboxTar } from './helpers/images.js';
import { DOCKER, dockerOk, skipReason, stopChecked } from './helpers/hostobjects.js';
import { Terminal, tmuxSkip } from './helpers/terminal.js';

const HAKO = join(repoRoot, 'bin', 'hako');

describe('interactive sessions in a terminal, both CLIs', { skip: skipReason() || tmuxSkip() }, () => {
  let d: TestDaemon;
  let t: Terminal;

  before(async () => {
    d = await startDaemon();
    await dockerOk(d, ['load', '-i', await busyboxTar()]);
    t = new Terminal({ DOCKER_CONFIG: d.tmp });
    await t.open();
  });
  after(async () => {
    await t?.close();
    if (d) assert.deepEqual(await stopChecked(d), [], 'host objects left behind');
  });

  for (const [cli, bin] of [['hako', HAKO], ['docker', DOCKER]] as const) {
    const run = (args: string) => t.line(`${bin} -H unix://${d.socket} ${args}`);

    it(`${cli} run --rm -it: prompt, typing, exit status`, async () => {
      await t.fresh();
      await run('run --rm -it busybox sh');
      await t.waitFor(/^\/ # $/m, 'the container shell prompt');
      await t.line('echo got$((6*7))');
      await t.waitFor(/^got42$/m, 'the command output');
      await t.line('exit 3');
      assert.equal(await t.status(), 3);
    });

    it(`${cli}: Ctrl-P Ctrl-Q detaches; attach redraws the prompt and has the pane's size`, async () => {
      const name = `tty-${cli}`;
      await t.fresh();
      await run(`run -it --name ${name} busybox sh`);
      await t.waitFor(/^\/ # $/m, 'the container shell prompt');
      await t.keys('C-p', 'C-q');
      await t.prompt();
      assert.equal(await dockerOk(d, ['inspect', '-f', '{{.State.Running}}', name]), 'true', 'still running after the detach keys');
      await t.fresh();
      await run(`attach ${name}`);
      // no key pressed: the resize to size+1 and back makes the shell print its prompt again
      await t.waitFor(/^\/ # $/m, 'the prompt redrawn on attach');
      await t.line('stty size');
      await t.waitFor(/^40 120$/m, 'the pane size inside the container');
      await t.line('exit');
      assert.equal(await t.status(), 0);
      assert.equal(await dockerOk(d, ['inspect', '-f', '{{.State.Running}} {{.State.ExitCode}}', name]), 'false 0');
      await dockerOk(d, ['rm', name]);
    });
  }

  it('hako exec -it: a shell in a running container with the terminal size and its exit status', async () => {
    const id = await dockerOk(d, ['run', '-d', 'busybox', 'sleep', '1000']);
    await t.fresh();
    await t.line(`${HAKO} -H unix://${d.socket} exec -it ${id.slice(0, 12)} sh`);
    await t.waitFor(/^\/ # $/m, 'the exec shell prompt');
    await t.line('stty size; exit 5');
    await t.waitFor(/^40 120$/m, 'the pane size in the exec');
    assert.equal(await t.status(), 5);
    await dockerOk(d, ['rm', '-f', id]);
  });
});
