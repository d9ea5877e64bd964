/**
 * An outside tester's second pass over the containers acceptance: the interactive
 * scenarios in a real terminal (tmux driving the stock docker CLI and hako's), restart
 * policies across a daemon crash as dockerd applies them when it starts, and what users
 * of `-v`, `attach` and `exec` see where hakod differed from dockerd.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, startDaemon, type TestDaemon } from './helpers/daemon.js';
import { busyboxTar } from './helpers/images.js';
import { DOCKER, dockerCli, dockerOk, settledLeftovers, skipReason, sleep, stopChecked, withBusyboxDaemon } from './helpers/hostobjects.js';
import { Terminal, tmuxSkip, until } from './helpers/terminal.js';

const exec = promisify(execFile);
const HAKO = join(repoRoot, 'bin', 'hako');
const skip = skipReason();
const terminalSkip = skip || tmuxSkip();

describe('acceptance round 2: what a docker user sees', { skip }, () => {
  let d: TestDaemon;
  const ok = (args: string[]) => dockerOk(d, args);

  withBusyboxDaemon((x) => { d = x; });

  it('a real terminal: run -it prompt, typing, exit 3, Ctrl-P Ctrl-Q, attach, exec -it, window size, start -ai', { skip: terminalSkip }, async () => {
    const t = new Terminal({ DOCKER_HOST: `unix://${d.socket}`, DOCKER_CONFIG: d.tmp });
    try {
      await t.open();
      await t.line(`${DOCKER} run --rm -it busybox sh`);
      await t.waitFor(/^\/ # $/m, 'container prompt');
      await t.line('echo typed$((40+2)); stty size');
      await t.waitFor(/^typed42\n40 120$/m, 'output and the terminal size');
      await t.line('exit 3');
      assert.equal(await t.status(), 3);

      await t.fresh();
      await t.line(`${DOCKER} run -it --name ia busybox sh`);
      await t.waitFor(/^\/ # $/m, 'container prompt');
      await t.keys('C-p', 'C-q');
      await t.prompt();
      assert.equal(await ok(['inspect', '-f', '{{.State.Running}}', 'ia']), 'true', 'still running after the detach keys');
      await t.fresh();
      await t.line(`${DOCKER} attach ia`);
      await t.line('echo back$((1+1))');
      await t.waitFor(/^back2$/m, 'reattached shell');
      await t.resize(100, 30);
      // the CLI passes SIGWINCH on as a resize: ask until the shell sees it
      const resized = await until(async () => { await t.line('stty size'); await sleep(300); return /^30 100$/m.test(await t.screen()); });
      assert.ok(resized, `window size after a resize:\n${await t.screen()}`);
      await t.line('exit 4');
      assert.equal(await t.status(), 4, 'docker attach exits with the container\'s status');

      await ok(['run', '-dit', '--name', 'ib', 'busybox', 'sh']);
      await t.fresh();
      await t.line(`${DOCKER} exec -it ib sh`);
      await t.waitFor(/^\/ # $/m, 'exec prompt');
      await t.line('tty; echo in$((2*3)); exit 5');
      await t.waitFor(/^\/dev\/pts\/\d+\nin6$/m, 'exec in a terminal');
      assert.equal(await t.status(), 5);

      await ok(['create', '-it', '--name', 'ic', 'busybox', 'sh']);
      await t.fresh();
      await t.line(`${DOCKER} start -ai ic`);
      await t.waitFor(/^\/ # $/m, 'start -ai prompt');
      await t.line('exit 6');
      assert.equal(await t.status(), 6);

      // hako's own CLI: --rm, detach, attach gives the exit code although the container is then removed
      await t.fresh();
      await t.line(`${HAKO} -H unix://${d.socket} run --rm -it --name id busybox sh`);
      await t.waitFor(/^\/ # $/m, 'hako run prompt');
      await t.keys('C-p', 'C-q');
      await t.prompt();
      await t.fresh();
      await t.line(`${HAKO} -H unix://${d.socket} attach id`);
      await t.line('echo hk$((3+4))');
      await t.waitFor(/^hk7$/m, 'hako attach');
      await t.line('exit 7');
      assert.equal(await t.status(), 7, 'hako attach exits with the status of a --rm container');
      await until(async () => (await dockerCli(d, ['inspect', 'id'])).code !== 0);
    } finally {
      await t.close();
      await dockerCli(d, ['rm', '-f', 'ia', 'ib', 'ic', 'id']);
    }
  });

  it('-v creates a missing host directory as dockerd does; --mount refuses it at create in dockerd\'s words', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'hako-bind-'));
    try {
      const src = join(tmp, 'not', 'yet');
      assert.equal(await ok(['run', '--rm', '-v', `${src}/:/x`, 'busybox', 'sh', '-c', 'echo hi > /x/f; cat /x/f']), 'hi');
      assert.ok(statSync(join(src, 'f')).isFile(), 'the file is in the created host dir');
      assert.equal(statSync(src).mode & 0o777, 0o755);
      // a source with ../ is cleaned as dockerd cleans it
      assert.equal(await ok(['run', '--rm', '-v', `${tmp}/not/../not/yet:/x`, 'busybox', 'cat', '/x/f']), 'hi');
      const missing = join(tmp, 'absent');
      const r = await dockerCli(d, ['run', '--rm', '--mount', `type=bind,src=${missing},dst=/x`, 'busybox', 'true']);
      assert.equal(r.code, 125);
      assert.match(r.stderr, new RegExp(`invalid mount config for type "bind": bind source path does not exist: ${missing}`));
      assert.equal(existsSync(missing), false);
      assert.equal(await ok(['ps', '-aq']), '', 'nothing created');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('exec in a paused container: dockerd\'s words, naming it as given', async () => {
    await ok(['run', '-d', '--name', 'pz', 'busybox', 'sleep', '1000']);
    await ok(['pause', 'pz']);
    const r = await dockerCli(d, ['exec', 'pz', 'true']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim(), 'Error response from daemon: Container pz is paused, unpause the container before exec');
    await ok(['rm', '-f', 'pz']);
  });

  it('ps --filter: every key dockerd accepts, bad keys and states refused in its words', async () => {
    await ok(['run', '-d', '--name', 'f1', '-l', 'a=1', '-p', '127.0.0.1::80', '-v', 'fvol:/data', 'busybox', 'sleep', '1000']);
    assert.equal((await dockerCli(d, ['run', '--name', 'f2', '-l', 'a=2', 'busybox', 'sh', '-c', 'exit 3'])).code, 3);
    await ok(['create', '--name', 'f3', 'busybox', 'true']);
    const hostPort = (await ok(['port', 'f1', '80'])).split(':').pop();
    const names = async (...filters: string[]) =>
      (await ok(['ps', '-a', ...filters.flatMap((x) => ['--filter', x]), '--format', '{{.Names}}'])).split('\n').filter(Boolean).sort().join(' ');
    assert.equal(await names('ancestor=busybox:latest'), 'f1 f2 f3');
    assert.equal(await names('ancestor=busybox'), 'f1 f2 f3');
    assert.equal(await names('ancestor=nosuchimage'), '');
    assert.equal(await names('before=f2'), 'f1');
    assert.equal(await names('since=f1'), 'f2 f3');
    assert.equal(await names('volume=fvol'), 'f1');
    assert.equal(await names('volume=/data'), 'f1');
    assert.equal(await names('network=bridge', 'status=running'), 'f1');
    assert.equal(await names('network=none'), '');
    assert.equal(await names(`publish=${hostPort}`), 'f1');
    assert.equal(await names('expose=80/tcp'), 'f1');
    assert.equal(await names('publish=80'), '');
    assert.equal(await names('label=a', 'exited=3'), 'f2');
    assert.equal(await names('name=^/f1$'), 'f1');
    assert.equal(await names('is-task=true'), '');
    for (const [filter, msg] of [['status=bogus', "Invalid filter 'status=bogus'"], ['bogus=1', "Invalid filter 'bogus'"], ['before=nosuch', 'no such container nosuch']]) {
      const r = await dockerCli(d, ['ps', '-a', '--filter', filter]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr.trim(), `Error response from daemon: ${msg}`);
    }
    await ok(['rm', '-f', '-v', 'f1', 'f2', 'f3']);
    await ok(['volume', 'rm', 'fvol']);
  });

  it('logs --since/--until with a timestamp copied from logs -t select that very line', async () => {
    const id = await ok(['run', '-d', 'busybox', 'sh', '-c', 'echo a; sleep 0.3; echo b; sleep 0.3; echo c; sleep 1000']);
    await until(async () => (await ok(['logs', id])).split('\n').length === 3);
    const stamps = (await ok(['logs', '-t', id])).split('\n').map((l) => l.split(' ')[0]!);
    const lines = async (flag: string, t: string) => (await ok(['logs', flag, t, id])).split('\n').filter(Boolean).join(' ');
    assert.equal(await lines('--until', stamps[0]!), 'a');
    assert.equal(await lines('--until', stamps[1]!), 'a b');
    assert.equal(await lines('--since', stamps[1]!), 'b c');
    assert.equal(await lines('--since', stamps[2]!), 'c');
    await ok(['rm', '-f', id]);
  });

  it('events in dockerd\'s order: attach on run and start -a, exec actions, kill 15/9 on stop and restart, kill 9 on rm -f', async () => {
    const since = (Date.now() / 1000).toFixed(3);
    await ok(['run', '--name', 'ev', 'busybox', 'true']);
    await ok(['start', '-a', 'ev']);
    await ok(['run', '-d', '--name', 'ev2', 'busybox', 'sleep', '1000']);
    await ok(['exec', 'ev2', 'true']);
    await ok(['restart', '-t', '0', 'ev2']);
    await ok(['stop', '-t', '0', 'ev2']);
    await ok(['run', '-d', '--name', 'ev3', 'busybox', 'sleep', '1000']);
    await ok(['rm', '-f', 'ev3']);
    await ok(['rm', 'ev', 'ev2']);
    await sleep(300);
    const out = await ok(['events', '--since', since, '--until', (Date.now() / 1000 + 1).toFixed(3), '--filter', 'type=container',
      '--format', '{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.signal}}']);
    const seen = out.split('\n').map((l) => l.replace(/ <no value>$/, '').trimEnd());
    const expected = [
      'create ev', 'attach ev', 'start ev', 'die ev', 'attach ev', 'start ev', 'die ev',
      'create ev2', 'start ev2', 'exec_create: true  ev2', 'exec_start: true  ev2', 'exec_die ev2',
      'kill ev2 15', 'kill ev2 9', 'die ev2', 'stop ev2', 'start ev2', 'restart ev2', 'kill ev2 15', 'kill ev2 9', 'die ev2', 'stop ev2',
      'create ev3', 'start ev3', 'kill ev3 9', 'die ev3', 'destroy ev3',
    ];
    assert.deepEqual(seen.filter((l) => !/^destroy ev2?$/.test(l)), expected);
    assert.deepEqual(seen.filter((l) => /^destroy ev2?$/.test(l)).sort(), ['destroy ev', 'destroy ev2']);
  });

  it('--cpus and --cpuset-cpus beyond the host\'s CPUs, an unknown --stop-signal: refused at create (and update) in dockerd\'s words', async () => {
    const n = availableParallelism();
    const refused = async (args: string[], msg: string, code = 125) => {
      const r = await dockerCli(d, args);
      assert.equal(r.code, code, r.stderr);
      assert.match(r.stderr, new RegExp(`Error response from daemon: ${msg.replace(/[.()]/g, '\\$&')}`));
    };
    await refused(['run', '--rm', '--cpus', String(n + 1), 'busybox', 'true'], `Range of CPUs is from 0.01 to ${n}.00, as there are only ${n} CPUs available`);
    await refused(['run', '--rm', '--cpuset-cpus', String(n), 'busybox', 'true'], `Requested CPUs are not available - requested ${n}, available: `);
    await refused(['run', '--rm', '--cpuset-cpus', 'abc', 'busybox', 'true'], 'Invalid value abc for cpuset cpus: invalid format: abc');
    await refused(['run', '--rm', '--stop-signal', 'BOGUS', 'busybox', 'true'], 'Invalid signal: BOGUS');
    assert.equal(await ok(['ps', '-aq']), '', 'nothing created');
    await ok(['run', '-d', '--name', 'cpu', 'busybox', 'sleep', '1000']);
    await refused(['update', '--cpus', String(n + 1), 'cpu'], `Range of CPUs is from 0.01 to ${n}.00`, 1);
    await ok(['update', '--cpuset-cpus', '0', 'cpu']);
    assert.equal(await ok(['exec', 'cpu', 'cat', '/sys/fs/cgroup/cpuset/cpuset.cpus']), '0');
    await ok(['rm', '-f', 'cpu']);
  });

  it('--privileged: the host\'s device nodes in /dev as dockerd gives them; without it only the standard ones', async () => {
    const host = ['kmsg', 'loop0', 'fuse'].filter((n) => existsSync(`/dev/${n}`));
    assert.ok(host.length > 0, 'the host has /dev/kmsg');
    const ls = (...flags: string[]) => ok(['run', '--rm', ...flags, 'busybox', 'sh', '-c', `ls /dev`]);
    const priv = (await ls('--privileged')).split('\n');
    for (const n of host) assert.ok(priv.includes(n), `/dev/${n} with --privileged: ${priv.join(' ')}`);
    assert.ok(priv.includes('pts') && priv.includes('shm') && priv.includes('null'));
    const plain = (await ls()).split('\n');
    for (const n of host) assert.ok(!plain.includes(n), `/dev/${n} without --privileged`);
    const st = statSync(`/dev/${host[0]}`);
    const inside = await ok(['run', '--rm', '--privileged', 'busybox', 'stat', '-c', '%t:%T %a', `/dev/${host[0]}`]);
    assert.equal(inside, `${(Number(st.rdev) >> 8 & 0xfff).toString(16)}:${(Number(st.rdev) & 0xff).toString(16)} ${(st.mode & 0o777).toString(8)}`);
  });

  it('exec failures in dockerd\'s words and statuses (crun\'s messages translated; a missing user in-band)', async () => {
    await ok(['run', '-d', '--name', 'ex', 'busybox', 'sleep', '1000']);
    const pre = 'OCI runtime exec failed: exec failed: unable to start container process: ';
    const rows: [string[], number, string][] = [
      [['nosuch'], 127, `${pre}exec: "nosuch": executable file not found in $PATH: unknown`],
      [['/nosuch'], 127, `${pre}exec: "/nosuch": stat /nosuch: no such file or directory: unknown`],
      [['/etc/passwd'], 126, `${pre}exec: "/etc/passwd": permission denied: unknown`],
      [['-w', '/nonexist', 'pwd'], 127, `${pre}chdir to cwd ("/nonexist") set in config.json failed: no such file or directory: unknown`],
      [['-u', 'nouser', 'true'], 126, 'unable to find user nouser: no matching entries in passwd file'],
    ];
    for (const [args, code, msg] of rows) {
      const flags = args.length > 1 && args[0]!.startsWith('-') ? args.slice(0, 2) : [];
      const r = await dockerCli(d, ['exec', ...flags, 'ex', ...args.slice(flags.length)]);
      assert.equal(r.code, code, `exec ${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.equal((r.stdout + r.stderr).trim(), msg);
    }
    await ok(['rm', '-f', 'ex']);
  });

  it('docker cp of a stopped container reaches its volumes and binds; a growing or a /proc file gives a valid tar', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'hako-cp-'));
    try {
      const file = join(tmp, 'f');
      writeFileSync(file, 'data\n');
      await ok(['run', '-d', '--name', 'cpv', '-v', 'cpvol:/vol', '-v', `${tmp}:/bm`, '-v', '/anon', 'busybox', 'sh', '-c',
        'echo in > /vol/inside; i=0; while :; do echo line $i >> /tmp/grow; i=$((i+1)); usleep 500; done']);
      await until(async () => (await dockerCli(d, ['exec', 'cpv', 'test', '-s', '/tmp/grow'])).code === 0);
      // a file written while it is copied: the tar still parses
      const grow = await new Promise<{ code: number | null; out: string }>((resolve) => {
        const p = spawn('sh', ['-c', `${DOCKER} -H unix://${d.socket} cp cpv:/tmp/grow - | tar tv`], { env: { ...process.env, DOCKER_CONFIG: d.tmp } });
        let out = '';
        p.stdout.on('data', (b: Buffer) => (out += b.toString()));
        p.stderr.on('data', (b: Buffer) => (out += b.toString()));
        p.on('close', (code) => resolve({ code, out }));
      });
      assert.equal(grow.code, 0, grow.out);
      assert.match(grow.out, /grow$/m);
      const status = await exec('sh', ['-c', `${DOCKER} -H unix://${d.socket} cp cpv:/proc/1/status - | tar xO`], { env: { ...process.env, DOCKER_CONFIG: d.tmp } });
      assert.match(status.stdout, /^Name:\s+sh$/m, 'a /proc file with its content');
      await ok(['stop', '-t', '0', 'cpv']);
      await ok(['cp', file, 'cpv:/vol/g']);
      await ok(['cp', file, 'cpv:/bm/h']);
      await ok(['cp', file, 'cpv:/anon/']);
      assert.equal(readFileSync(join(tmp, 'h'), 'utf8'), 'data\n', 'into the bind\'s host dir');
      const got = await exec('sh', ['-c', `${DOCKER} -H unix://${d.socket} cp cpv:/vol/inside - | tar xO`], { env: { ...process.env, DOCKER_CONFIG: d.tmp } });
      assert.equal(got.stdout, 'in\n', 'out of the volume');
      await ok(['start', 'cpv']);
      assert.equal(await ok(['exec', 'cpv', 'sh', '-c', 'cat /vol/g /anon/f']), 'data\ndata');
      await ok(['rm', '-f', '-v', 'cpv']);
      await ok(['volume', 'rm', 'cpvol']);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('container prune: label!=, until and unknown keys as dockerd', async () => {
    await ok(['create', '--name', 'p1', '-l', 'keep=1', 'busybox', 'true']);
    await ok(['create', '--name', 'p2', 'busybox', 'true']);
    await ok(['run', '-d', '--name', 'p3', 'busybox', 'sleep', '1000']);
    await ok(['container', 'prune', '-f', '--filter', 'label!=keep']);
    assert.equal((await ok(['ps', '-a', '--format', '{{.Names}}'])).split('\n').sort().join(' '), 'p1 p3');
    await ok(['container', 'prune', '-f', '--filter', 'until=1h']);
    assert.equal((await ok(['ps', '-a', '--format', '{{.Names}}'])).split('\n').sort().join(' '), 'p1 p3', 'created less than an hour ago');
    const r = await dockerCli(d, ['container', 'prune', '-f', '--filter', 'bogus=1']);
    assert.equal(r.stderr.trim(), "Error response from daemon: Invalid filter 'bogus'");
    await sleep(1100);
    await ok(['container', 'prune', '-f', '--filter', 'until=1s']);
    assert.equal(await ok(['ps', '-a', '--format', '{{.Names}}']), 'p3');
    await ok(['rm', '-f', 'p3']);
  });

  it('rename refusals in dockerd\'s words', async () => {
    await ok(['create', '--name', 'r1', 'busybox', 'true']);
    const r2 = await ok(['create', '--name', 'r2', 'busybox', 'true']);
    const refused = async (to: string, msg: string) => {
      const r = await dockerCli(d, ['rename', 'r1', to]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `Error response from daemon: ${msg}\nError: failed to rename container named r1\n`);
    };
    await refused('r2', `Error when allocating new name: Conflict. The container name "/r2" is already in use by container "${r2}". You have to remove (or rename) that container to be able to reuse that name.`);
    await refused('bad name', 'Error when allocating new name: Invalid container name (/bad name), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed');
    await refused('r1', 'Renaming a container with the same name as its current name');
    await ok(['rm', 'r1', 'r2']);
  });

  it('ps shows a crash-looping container as Restarting (code), as dockerd', async () => {
    await ok(['run', '-d', '--name', 'loop', '--restart', 'always', 'busybox', 'sh', '-c', 'exit 1']);
    const seen = await until(async () => {
      const st = await ok(['ps', '-a', '--filter', 'name=loop', '--format', '{{.Status}}']);
      return /^Restarting \(1\) /.test(st) ? st : '';
    });
    assert.ok(seen, 'Restarting (1) ... ago in ps');
    await ok(['rm', '-f', 'loop']);
  });

  it('--log-driver and --log-opt checked at create, logs of a none driver refused, in dockerd\'s words', async () => {
    const refused = async (flags: string[], msg: string) => {
      const r = await dockerCli(d, ['run', '--rm', ...flags, 'busybox', 'true']);
      assert.equal(r.code, 125, r.stderr);
      assert.match(r.stderr, new RegExp(`^docker: Error response from daemon: ${msg.replace(/[.()]/g, '\\$&')}`));
    };
    await refused(['--log-opt', 'bogus=1'], "unknown log opt 'bogus' for json-file log driver");
    await refused(['--log-driver', 'syslog2'], 'error looking up logging plugin syslog2: plugin "syslog2" not found');
    await refused(['--log-opt', 'max-size=abc'], "failed to initialize logging driver: invalid size: 'abc'");
    assert.equal(await ok(['ps', '-aq']), '', 'nothing created');
    await ok(['run', '--rm', '--log-driver', 'local', '--log-opt', 'max-size=1m', 'busybox', 'true']);
    await ok(['run', '--name', 'nolog', '--log-driver', 'none', 'busybox', 'echo', 'hi']);
    const r = await dockerCli(d, ['logs', 'nolog']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim(), 'Error response from daemon: configured logging driver does not support reading');
    await ok(['rm', 'nolog']);
  });

  it('hako attach without a terminal: stdin in, output out, the exit code of a --rm container', async () => {
    await ok(['run', '-d', '-i', '--rm', '--name', 'ra', 'busybox', 'sh', '-c', 'read x; echo got $x; exit 3']);
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const p = spawn(HAKO, ['-H', `unix://${d.socket}`, 'attach', 'ra']);
      let out = '';
      p.stdout.on('data', (b: Buffer) => (out += b.toString()));
      p.stderr.on('data', (b: Buffer) => (out += b.toString()));
      const timer = setTimeout(() => p.kill('SIGKILL'), 30_000);
      p.on('close', (code) => { clearTimeout(timer); resolve({ code, out }); });
      setTimeout(() => p.stdin.write('hello\n'), 500);
    });
    assert.equal(r.out, 'got hello\n');
    assert.equal(r.code, 3);
  });
});

describe('restart policies across a daemon crash, as dockerd applies them when it starts', { skip }, () => {
  let d: TestDaemon | undefined;
  after(async () => {
    if (d) assert.deepEqual(await stopChecked(d), [], 'host objects left behind');
  });

  it('always and on-failure come back after a manual stop, unless-stopped and no do not; FinishedAt is the real exit', async () => {
    const first = d = await startDaemon();
    await dockerOk(first, ['load', '-i', await busyboxTar()]);
    const run = (name: string, policy: string, ...cmd: string[]) => dockerOk(first, ['run', '-d', '--name', name, '--restart', policy, 'busybox', ...cmd]);
    await run('always', 'always', 'sleep', '100000');
    await run('unless', 'unless-stopped', 'sleep', '100000');
    await run('onfail', 'on-failure:3', 'sleep', '100000');
    await run('clean', 'on-failure', 'true');
    await run('none', 'no', 'sh', '-c', 'sleep 1; exit 5');
    await dockerOk(first, ['create', '--name', 'created', '--restart', 'always', 'busybox', 'sleep', '100000']);
    await dockerOk(first, ['stop', '-t', '0', 'always', 'unless', 'onfail']);
    assert.equal(await dockerOk(first, ['wait', 'clean']), '0');

    first.proc.kill('SIGKILL');
    await new Promise((r) => (first.proc.exitCode !== null || first.proc.signalCode !== null ? r(null) : first.proc.once('exit', r)));
    await sleep(2500); // `none` exits while no daemon runs
    const restartedAt = Date.now();
    const second = d = await startDaemon({ reuse: first });
    const state = async (n: string) => dockerOk(second, ['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}}', n]);
    // dockerd starts them before it answers; allow a slow machine a moment all the same
    await until(async () => (await state('always')).startsWith('running') && (await state('onfail')).startsWith('running'));
    assert.equal(await state('always'), 'running 0 0');
    assert.equal(await state('onfail'), 'running 0 0');
    assert.equal(await state('unless'), 'exited 137 0');
    assert.equal(await state('clean'), 'exited 0 0');
    assert.equal(await state('none'), 'exited 5 0');
    assert.equal(await state('created'), 'created 0 0');
    const finished = Date.parse(await dockerOk(second, ['inspect', '-f', '{{.State.FinishedAt}}', 'none']));
    assert.ok(finished < restartedAt - 500, `FinishedAt is when it exited, not when the new daemon noticed: ${restartedAt - finished} ms before`);
    assert.match(await dockerOk(second, ['ps', '-a', '--filter', 'name=none', '--format', '{{.Status}}']), /^Exited \(5\) \d+ seconds ago$/);
    await dockerOk(second, ['rm', '-f', 'always', 'unless', 'onfail', 'clean', 'none', 'created']);
    assert.deepEqual(await settledLeftovers(second), []);
  });
});
