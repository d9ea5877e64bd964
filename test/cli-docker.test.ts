/**
 * hako's CLI next to the stock docker CLI, both against one test hakod: for each row of the
 * table the two run the same arguments on the same objects, and their stdout, stderr and exit
 * status must be equal once "docker" is read as "hako" and relative times are masked. Then
 * `hako ns`, which docker has no counterpart of, checked against /proc.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, repoRoot, type TestDaemon } from './helpers/daemon.js';
import { busyboxTar } from './helpers/images.js';
import { runTool } from './helpers/clients.js';
import { DOCKER, dockerOk, skipReason, stopChecked } from './helpers/hostobjects.js';
import { startRegistry } from './helpers/registry.js';

const HAKO = join(repoRoot, 'bin', 'hako');

/** What may differ between two runs a second apart, and the CLI's own name. */
function normalize(s: string, fromDocker: boolean): string {
  if (fromDocker) s = s.replace(/docker/g, 'hako').replace(/Docker/g, 'hako').replace(/docs\.hako\.com/g, 'docs.docker.com').replace(/hako Root Dir/g, 'Docker Root Dir');
  return s
    .replace(/(Less than a|About a|an|a|\d+) (second|minute|hour)s?( ago)?/g, 'T$3')
    .replace(/ {2,}/g, '  '); // a masked time changes a column's width
}

const ROWS: string[][] = [
  // events up to a second both runs share (UNTIL: the end of the set-up, before any row ran)
  ['events', '--since', '0', '--until', 'UNTIL'], ['events', '--since', '0', '--until', 'UNTIL', '--format', '{{json .}}'],
  ['events', '--since', '0', '--until', 'UNTIL', '-f', 'event=create', '--format', '{{.Actor.Attributes.name}} {{.Status}} {{.Type}}'],
  // lists and their formats
  ['images'], ['images', '-q'], ['images', '--format', '{{json .}}'], ['images', '--format', 'table {{.Repository}}\t{{.Tag}}'],
  ['image', 'ls', 'busybox'], ['history', 'busybox'], ['history', '-q', 'busybox'],
  ['ps', '-a'], ['ps', '-a', '--no-trunc'], ['ps', '-aq'], ['ps', '-a', '-s'], ['ps', '-a', '--format', '{{json .}}'],
  ['ps', '-a', '--format', 'json'], ['ps', '-a', '--filter', 'name=web'], ['ps', '-a', '--filter', 'label=a=b', '--format', '{{.Names}}'],
  ['ps', '-a', '--filter', 'status=exited', '--format', 'table {{.Names}}\t{{.Status}}'], ['ps', '--filter', 'exited=3', '-a', '-q'],
  ['volume', 'ls'], ['volume', 'ls', '--format', 'json'], ['volume', 'ls', '-q'], ['network', 'ls'], ['network', 'ls', '-q'],
  ['network', 'ls', '--format', 'json'], ['network', 'ls', '--no-trunc', '--filter', 'name=clinet'], ['system', 'df'],
  // one container
  ['logs', 'done'], ['logs', '--tail', '1', 'done'], ['logs', '-t', 'done'], ['logs', '--since', '2000-01-01', 'done'],
  ['port', 'web'], ['port', 'web', '80'], ['port', 'web', '81'], ['port', 'web', '90/udp'], ['top', 'web'], ['wait', 'done'], ['diff', 'done'],
  ['inspect', '-f', '{{.State.ExitCode}} {{.Name}}', 'done', 'web'], ['inspect', '-f', '{{json .Config.Labels}}', 'web'],
  ['volume', 'inspect', '-f', '{{.Name}} {{.Driver}}', 'clivol'], ['network', 'inspect', '-f', '{{.Name}} {{.Driver}}', 'clinet'],
  ['stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}}', 'web'],
  // missing objects: docker's wording, relayed or its own
  ['inspect', 'nope'], ['inspect', '--type', 'volume', 'nope'], ['container', 'inspect', 'nope'], ['image', 'inspect', 'nope'],
  ['network', 'inspect', 'nope'], ['volume', 'inspect', 'nope'], ['inspect', '-f', '{{.Name}}', 'web', 'nope'],
  ['rm', 'nope'], ['stop', 'nope'], ['kill', 'nope'], ['start', 'nope', 'nope2'], ['rename', 'nope', 'x'], ['logs', 'nope'], ['top', 'nope'],
  ['wait', 'nope'], ['port', 'nope'], ['pause', 'nope'], ['rmi', 'nope'], ['tag', 'nope', 'x'], ['network', 'rm', 'nope'], ['volume', 'rm', 'nope'],
  ['exec', 'done', 'true'], ['stats', '--no-stream', 'nope'],
  // usage errors
  ['tag'], ['rm'], ['logs'], ['port'], ['ps', 'x'], ['version', 'x'], ['network', 'create'], ['exec', 'web'], ['run'],
  ['ps', '--format'], ['ps', '-n'], ['ps', '-n', 'x'], ['images', '--bogus'], ['ps', '-x'], ['--bogus'], ['nosuch'], ['container', 'nosuch'], ['volume'],
  ['run', '-m'], ['create', '--cpu-shares', 'x', 'busybox'], ['run', '--rm', '-m', '1x', 'busybox'], ['create', '--ulimit', 'nofile', 'busybox'],
  ['run', '--rm', '--health-interval', 'x', 'busybox'], ['run', '--rm', '--mount', 'type=bind', 'busybox'],
  // help: docker's layout, flags sorted, descriptions wrapped at 79 columns
  ['ps', '--help'], ['logs', '--help'], ['stop', '--help'], ['rm', '--help'], ['kill', '--help'], ['exec', '--help'], ['wait', '--help'], ['tag', '-h'],
  // run and exec
  ['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 42'], ['run', '--rm', '-e', 'FROMENV', '-e', 'X=1', 'busybox', 'sh', '-c', 'echo $FROMENV $X'],
  ['run', '--rm', '--env-file', 'ENVFILE', 'busybox', 'sh', '-c', 'echo $A,$B'], ['run', '--rm', '-u', 'nobody', 'busybox', 'id'],
  ['run', '--rm', '-w', '/tmp', 'busybox', 'pwd'], ['run', '--rm', '-h', 'myhost', 'busybox', 'hostname'], ['run', '--rm', '--entrypoint', 'echo', 'busybox', 'hello'],
  ['run', '--rm', '--name=cli-x1', 'busybox', 'echo', 'ok'], ['run', '--rm', '--read-only', 'busybox', 'touch', '/x'], ['run', '--rm', '-i', 'busybox', 'cat'],
  ['run', '--rm', '--add-host', 'foo:1.2.3.4', 'busybox', 'grep', 'foo', '/etc/hosts'], ['run', '--rm', '--cap-drop', 'ALL', 'busybox', 'id'],
  ['run', '--rm', '--restart', 'always', 'busybox', 'true'], ['run', '-p', '99999:80', '--rm', 'busybox', 'true'], ['run', '--rm', '-p', '70000', 'busybox', 'true'],
  ['run', '--rm', '--network', 'nonet', 'busybox', 'true'], ['run', '--name', 'web', 'busybox', 'true'], ['create', '--name', 'web', 'busybox'],
  ['run', '--rm', '--security-opt', 'bogus', 'busybox', 'true'], ['run', '--rm', '--env-file', '/nonexist', 'busybox', 'true'],
  ['exec', 'web', 'sh', '-c', 'exit 7'], ['exec', '-w', '/tmp', '-e', 'FOO=bar', 'web', 'sh', '-c', 'pwd; echo $FOO'], ['exec', '-u', '1234', 'web', 'id'],
  ['exec', '-i', 'web', 'cat'], ['exec', '-it', 'web', 'true'], ['run', '--rm', '-it', 'busybox', 'true'], ['exec', '-t', 'web', 'echo', 'tty'], ['exec', '-e', 'FROMENV', 'web', 'sh', '-c', 'echo $FROMENV'],
  ['run', '--rm', '-a', 'stdout', 'busybox', 'sh', '-c', 'echo out; echo err >&2'], ['run', '--rm', '-a', 'stderr', 'busybox', 'sh', '-c', 'echo out; echo err >&2'],
  ['run', '--rm', '-t', 'busybox', 'sh', '-c', 'echo tty; exit 3'], ['load', '-i', '/nonexist'], ['import', '/nonexist'],
  ['cp', 'done:/etc/hostname', '-'], ['cp', 'done:/nonexist', '/tmp/x'], ['cp', 'nope:/x', '/tmp/x'],
];

describe('hako CLI against docker CLI on one daemon', { skip: skipReason() }, () => {
  let d: TestDaemon;
  let envFile: string;
  let until = '';
  const run = (bin: string, args: string[]) =>
    runTool(bin, ['-H', `unix://${d.socket}`, ...args.map((a) => (a === 'ENVFILE' ? envFile : a === 'UNTIL' ? until : a))], {
      env: { DOCKER_CONFIG: d.tmp, FROMENV: 'from-env' }, input: 'typed in\n', timeoutMs: 60_000,
    });

  before(async () => {
    d = await startDaemon();
    envFile = join(d.tmp, 'env');
    writeFileSync(envFile, '# comment\nA=1\n\nB=two words\n');
    await dockerOk(d, ['load', '-i', await busyboxTar()]);
    await dockerOk(d, ['run', '-d', '--name', 'web', '-l', 'a=b', '-p', '127.0.0.1::80', '-p', '127.0.0.1::90/udp', 'busybox', 'sleep', '1000000']);
    await dockerOk(d, ['run', '--name', 'done', 'busybox', 'sh', '-c', 'echo hi; echo err >&2; touch /new; exit 3']).catch(() => undefined);
    await dockerOk(d, ['create', '--name', 'cr', 'busybox', 'true']);
    await dockerOk(d, ['volume', 'create', 'clivol']);
    await dockerOk(d, ['network', 'create', 'clinet']);
    until = String(Math.floor(Date.now() / 1000));
    await new Promise((r) => setTimeout(r, 1100));
  });
  after(async () => {
    if (!d) return;
    await runTool(DOCKER, ['-H', `unix://${d.socket}`, 'network', 'rm', 'clinet']);
    await runTool(DOCKER, ['-H', `unix://${d.socket}`, 'volume', 'rm', '-f', 'clivol']);
    assert.deepEqual(await stopChecked(d), []);
  });

  it('prints what docker prints and exits as docker does, command by command', async () => {
    const diffs: string[] = [];
    for (const args of ROWS) {
      const dk = await run(DOCKER, args);
      const hk = await run(HAKO, args);
      const want = { code: dk.code, stdout: normalize(dk.stdout, true), stderr: normalize(dk.stderr, true) };
      const got = { code: hk.code, stdout: normalize(hk.stdout, false), stderr: normalize(hk.stderr, false) };
      try {
        assert.deepEqual(got, want);
      } catch {
        diffs.push(`${args.join(' ')}\n  docker: ${JSON.stringify(want)}\n  hako:   ${JSON.stringify(got)}`);
      }
    }
    assert.deepEqual(diffs, []);
  });

  it('create sends what docker\'s create sends, flag set by flag set', async () => {
    const sets: string[][] = [
      ['-e', 'A=1', '-e', 'FROMENV', '--env-file', envFile, '-l', 'x=y', '--label-file', envFile, '-w', '/tmp', '-u', '1:2', '-h', 'hn', '--domainname', 'dn'],
      ['--cpus', '1.5', '--entrypoint', 'sh', '--stop-signal', 'SIGUSR1', '--stop-timeout', '7', '-t', '-i', '--init', '--read-only', '--privileged'],
      ['-m', '64m', '--memory-swap', '128m', '--memory-reservation', '32m', '-c', '512', '--cpu-period', '100000', '--cpu-quota', '50000', '--cpuset-cpus', '0', '--pids-limit', '20', '--oom-kill-disable', '--shm-size', '1g', '--memory-swappiness', '10', '--oom-score-adj', '5'],
      ['--cap-add', 'NET_ADMIN', '--cap-drop', 'MKNOD', '--security-opt', 'no-new-privileges', '--ulimit', 'nofile=100:200', '--sysctl', 'net.ipv4.ip_forward=1', '--device', '/dev/null:/dev/mynull:r', '--tmpfs', '/run:size=1m', '--group-add', '10'],
      ['-v', '/tmp:/host:ro', '-v', 'clivol:/data', '--mount', 'type=volume,source=clivol,target=/m', '--mount', 'type=tmpfs,target=/t,tmpfs-size=1000000', '--restart', 'on-failure:3'],
      ['-p', '127.0.0.1:18089:80/udp', '-p', '9000-9001:9000-9001', '--expose', '7000', '-P', '--dns', '9.9.9.9', '--dns-search', 'ex.com', '--dns-option', 'ndots:2', '--add-host', 'h:1.2.3.4'],
      ['--network', 'clinet', '--network-alias', 'al', '--ip', '', '--mac-address', '02:42:ac:11:00:09', '--health-cmd', 'true', '--health-interval', '5s', '--health-retries', '2', '--health-start-interval', '1s'],
      ['--pid', 'container:web', '--ipc', 'container:web', '--uts', 'host', '--cgroup-parent', 'cp', '--annotation', 'a=b', '--storage-opt', 'size=1G', '--log-opt', 'max-size=1m', '--gpus', 'all'],
    ];
    // docker sends every field of its structs, zero or not; hako only what is set: compare values
    const zero = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.some((x) => zero(x) !== undefined) ? v.map(zero) : undefined;
      if (v && typeof v === 'object') {
        const o = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, zero(x)]).filter(([, x]) => x !== undefined));
        return Object.keys(o).length ? o : undefined;
      }
      return v === null || v === '' || v === 0 || v === false ? undefined : v;
    };
    const strip = (c: any) => {
      const { Hostname: _h, ...config } = c.Config;
      // hakod fills these defaults only when the key is absent, and docker sends them empty
      // (reported to the lead): not the CLI's doing
      const { IpcMode: _i, CgroupnsMode: _c, LogConfig: _l, MaskedPaths: _m, ReadonlyPaths: _r, ShmSize: _s, ...host } = c.HostConfig;
      // the docker CLI collects -v binds through a Go map: their order is random
      if (Array.isArray(host.Binds)) host.Binds = [...host.Binds].sort();
      const nets = Object.fromEntries(Object.entries(c.NetworkSettings?.Networks ?? {}).map(([k, v]: [string, any]) => [k, { IPAMConfig: v.IPAMConfig, Aliases: v.Aliases, MacAddress: v.MacAddress }]));
      return zero({ config, host, nets });
    };
    for (const [n, set] of sets.entries()) {
      const args = set.map((a) => (a === '' ? '10.0.0.1' : a)).filter((a, i, all) => !(all[i - 1] === '--ip'));
      const flags = args.filter((a) => a !== '--ip');
      const dk = await run(DOCKER, ['create', '--name', `d${n}`, ...flags, 'busybox', 'echo', 'x']);
      const hk = await run(HAKO, ['create', '--name', `h${n}`, ...flags, 'busybox', 'echo', 'x']);
      assert.equal(hk.code, 0, `${flags.join(' ')}: ${hk.stderr}`);
      assert.equal(dk.code, 0, `${flags.join(' ')}: ${dk.stderr}`);
      const [dc, hc] = [(await d.request('GET', `/containers/d${n}/json`)).json(), (await d.request('GET', `/containers/h${n}/json`)).json()];
      assert.deepEqual(strip(hc), strip(dc), flags.join(' '));
      await runTool(DOCKER, ['-H', `unix://${d.socket}`, 'rm', `d${n}`, `h${n}`]);
    }
  });

  it('pull, push, run pulling, rmi and logout against a local registry, each CLI its own', async () => {
    // one registry per CLI, so neither finds what the other pushed
    const [rd, rh] = [await startRegistry(), await startRegistry()];
    try {
      const steps = (host: string) => [
        ['tag', 'busybox', `${host}/cli/bb:1`], ['push', `${host}/cli/bb:1`], ['push', `${host}/cli/nope:1`], ['rmi', `${host}/cli/bb:1`],
        ['pull', `${host}/cli/bb:1`], ['rmi', `${host}/cli/bb:1`], ['pull', '-q', `${host}/cli/bb:1`], ['pull', `${host}/cli/bb:nosuch`],
        ['rmi', `${host}/cli/bb:1`], ['run', '--rm', `${host}/cli/bb:1`, 'echo', 'pulled'], ['rmi', `${host}/cli/bb:1`], ['logout', host],
      ];
      const [ds, hs] = [steps(rd.host), steps(rh.host)];
      for (const [n, dargs] of ds.entries()) {
        const dk = await run(DOCKER, dargs);
        const hk = await run(HAKO, hs[n]!);
        const want = { code: dk.code, out: normalize(dk.stdout, true).replaceAll(rd.host, 'REG'), err: normalize(dk.stderr, true).replaceAll(rd.host, 'REG') };
        const got = { code: hk.code, out: normalize(hk.stdout, false).replaceAll(rh.host, 'REG'), err: normalize(hk.stderr, false).replaceAll(rh.host, 'REG') };
        assert.deepEqual(got, want, dargs.join(' '));
      }
    } finally {
      await rd.stop();
      await rh.stop();
    }
  });

  it('info and version: the Server section line for line (the Client section is each CLI\'s own)', async () => {
    // docker prints the runtimes in Go's map order (random): compare them as a set
    const server = (out: string) => out.slice(out.indexOf('Server:')).replace(/(System Time|File Descriptors|Goroutines|EventsListeners): .*/g, '$1: X')
      .replace(/^ Runtimes: (.*)$/m, (_l, names: string) => ` Runtimes: ${names.split(' ').sort().join(' ')}`);
    const dk = await run(DOCKER, ['info']);
    const hk = await run(HAKO, ['info']);
    assert.equal(hk.code, dk.code);
    assert.equal(server(normalize(hk.stdout, false)), server(normalize(dk.stdout, true)));
    const [dv, hv] = [await run(DOCKER, ['version']), await run(HAKO, ['version'])];
    assert.equal(server(hv.stdout), server(dv.stdout), 'version: the Server section');
  });

  it('ns: namespace inodes from /proc, shared ones named, table and json', async () => {
    await dockerOk(d, ['run', '-d', '--name', 'side', '--pid', 'container:web', '--network', 'container:web', 'busybox', 'sleep', '1000000']);
    try {
      const pid = (n: string) => dockerOk(d, ['inspect', '-f', '{{.State.Pid}}', n]).then(Number);
      const [webPid, sidePid] = [await pid('web'), await pid('side')];
      const ino = (p: number, k: string) => Number(/\[(\d+)\]/.exec(readlinkSync(`/proc/${p}/ns/${k}`))![1]);
      const json = await run(HAKO, ['ns', '--format', 'json']);
      assert.equal(json.code, 0, json.stderr);
      const rows = json.stdout.trim().split('\n').map((l) => JSON.parse(l));
      assert.deepEqual(rows.map((r) => r.Name).sort(), ['side', 'web']);
      const side = rows.find((r) => r.Name === 'side');
      const web = rows.find((r) => r.Name === 'web');
      assert.equal(side.Pid, sidePid);
      for (const k of ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'uts']) {
        assert.equal(side.Namespaces[k].Inode, ino(sidePid, k), k);
        assert.equal(web.Namespaces[k].Inode, ino(webPid, k), k);
        assert.equal(side.Namespaces[k].Host, false, k);
      }
      assert.deepEqual(side.Namespaces.net.SharedWith, ['web']);
      assert.deepEqual(side.Namespaces.pid.SharedWith, ['web']);
      assert.deepEqual(side.Namespaces.mnt.SharedWith, []);
      assert.notEqual(side.Namespaces.uts.Inode, web.Namespaces.uts.Inode);
      const table = await run(HAKO, ['ns']);
      assert.match(table.stdout, /^CONTAINER ID\s+NAME\s+PID\s+CGROUP\s+IPC\s+MNT\s+NET\s+PID\s+USER\s+UTS\n/);
      assert.match(table.stdout, new RegExp(`\\nSHARED\\s+INODE\\s+CONTAINERS\\nnet\\s+${ino(webPid, 'net')}\\s+side, web\\npid\\s+${ino(webPid, 'pid')}\\s+side, web\\n`));
      const one = await run(HAKO, ['ns', '--format', '{{.Name}} {{.Namespaces.net.SharedWith}}', 'side']);
      assert.equal(one.stdout, 'side [web]\n');
      const stopped = await run(HAKO, ['ns', 'cr']);
      assert.equal(stopped.code, 1);
      assert.equal(stopped.stderr, 'Error response from daemon: container cr is not running\n');
    } finally {
      await runTool(DOCKER, ['-H', `unix://${d.socket}`, 'rm', '-f', 'side']);
    }
  });
});
