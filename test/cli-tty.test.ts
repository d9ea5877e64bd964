/**
 * hako's CLI and the docker CLI in a real terminal (a tmux pane): an interactive shell,
 * its exit status, detaching with Ctrl-P Ctrl-Q, re-attaching (the prompt is redrawn
 * without a key press, as docker attach does it), and exec -it seeing the pane's size.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { repoRoot, startDaemon, type TestDaemon } from './helpers/daemon.js';
import { busyboxTar } from './helpers/images.js';
import { DOCKER, dockerOk, skipReason, sleep, stopChecked } from './helpers/hostobjects.js';

const HAKO = join(repoRoot, 'bin', 'hako');
const TMUX = ['/usr/bin/tmux', '/bin/tmux'].find((p) => existsSync(p));
const skip = skipReason() || (!TMUX ? 'no tmux (scripts/install-deps.sh installs it)' : false);

describe('interactive sessions in a terminal', { skip }, () => {
  let d: TestDaemon;
  // A private tmux server (-L) so the test never touches a user's sessions.
  const server = `hako-test-${randomBytes(4).toString('hex')}`;
  const tmux = (...args: string[]) => execFileSync(TMUX!, ['-L', server, ...args], { encoding: 'utf8' });
  const screen = () => tmux('capture-pane', '-p', '-t', 't').split('\n').map((l) => l.trimEnd()).filter(Boolean);
  const type = (...keys: string[]) => tmux('send-keys', '-t', 't', ...keys);
  /** Waits until the pane's last lines satisfy `ok` (the machine may be loaded: generous deadline). */
  const waitFor = async (what: string, ok: (lines: string[]) => boolean, ms = 15_000) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const lines = screen();
      if (ok(lines)) return lines;
      if (Date.now() > deadline) assert.fail(`${what}; the terminal shows:\n${lines.join('\n')}`);
      await sleep(100);
    }
  };
  const lastIs = (s: string | RegExp) => (lines: string[]) => {
    const l = lines.at(-1) ?? '';
    return typeof s === 'string' ? l === s : s.test(l);
  };

  before(async () => {
    d = await startDaemon();
    await dockerOk(d, ['load', '-i', await busyboxTar()]);
    // A plain shell in the pane; the CLIs run from it as a user would type them.
    tmux('new-session', '-d', '-s', 't', '-x', '91', '-y', '27', '--', 'env', '-i', `PATH=${process.env.PATH}`, `DOCKER_CONFIG=${d.tmp}`, 'TERM=xterm', 'PS1=$ ', 'sh');
    await waitFor('the host shell prompt', lastIs('$'));
  });
  after(async () => {
    try { tmux('kill-server'); } catch { /* already gone */ }
    if (d) assert.deepEqual(await stopChecked(d), [], 'host objects left behind');
  });

  for (const [cli, bin] of [['hako', HAKO], ['docker', DOCKER]] as const) {
    it(`${cli} run --rm -it: prompt, typing, exit status`, async () => {
      type('clear', 'Enter');
      type(`${bin} -H unix://${d.socket} run --rm -it busybox sh; echo "status=$?"`, 'Enter');
      await waitFor('the container shell prompt', lastIs('/ #'));
      type('echo $((6*7)) && exit 3', 'Enter');
      const lines = await waitFor('the exit status', (l) => l.some((x) => x.startsWith('status=')) && lastIs('$')(l));
      assert.ok(lines.includes('42'), lines.join('\n'));
      assert.equal(lines.find((x) => x.startsWith('status=')), 'status=3', lines.join('\n'));
    });

    it(`${cli}: Ctrl-P Ctrl-Q detaches, attach redraws the prompt and takes input`, async () => {
      const name = `tty-${cli}`;
      type('clear', 'Enter');
      type(`${bin} -H unix://${d.socket} run -it --name ${name} busybox sh`, 'Enter');
      await waitFor('the container shell prompt', lastIs('/ #'));
      type('C-p', 'C-q');
      await waitFor('back at the host prompt after detaching', lastIs(/\$ ?$/));
      assert.equal(await dockerOk(d, ['inspect', '-f', '{{.State.Running}}', name]), 'true');
      type('clear', 'Enter');
      await waitFor('a cleared screen', (l) => l.length === 1 && l[0] === '$');
      type(`${bin} -H unix://${d.socket} attach ${name}`, 'Enter');
      // no key pressed: the resize to size+1 and back makes the shell print its prompt again
      await waitFor('the prompt redrawn on attach', lastIs('/ #'));
      type('stty size', 'Enter');
      await waitFor('the pane size inside the container', (l) => l.includes('27 91'));
      type('exit', 'Enter');
      await waitFor('the host prompt after the shell ended', lastIs('$'));
      assert.equal(await dockerOk(d, ['inspect', '-f', '{{.State.Running}} {{.State.ExitCode}}', name]), 'false 0');
      await dockerOk(d, ['rm', name]);
    });
  }

  it('hako exec -it: a shell in a running container with the terminal size', async () => {
    const id = await dockerOk(d, ['run', '-d', 'busybox', 'sleep', '1000']);
    type('clear', 'Enter');
    type(`${HAKO} -H unix://${d.socket} exec -it ${id.slice(0, 12)} sh; echo "status=$?"`, 'Enter');
    await waitFor('the exec shell prompt', lastIs('/ #'));
    type('stty size; exit 5', 'Enter');
    const lines = await waitFor('the exec exit status', (l) => l.some((x) => x.startsWith('status=')) && lastIs('$')(l));
    assert.ok(lines.includes('27 91'), lines.join('\n'));
    assert.equal(lines.find((x) => x.startsWith('status=')), 'status=5', lines.join('\n'));
    await dockerOk(d, ['rm', '-f', id]);
  });
});
