/**
 * The stock docker CLI (/usr/local/bin/docker) against hakod, unchanged: the sequences of
 * issue 4 point 2, and the exact stderr and exit status docker gives for a missing
 * container, image, network or volume (dockerd 20.10's wording). `docker run nosuch`
 * is left out: against hakod as against dockerd it would try to pull from Docker Hub.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { startDaemon, type TestDaemon } from './helpers/daemon.js';
import { busyboxTar } from './helpers/images.js';
import { runTool, type ToolResult } from './helpers/clients.js';
import { DOCKER_BIN } from './helpers/docker-bin.js';

const DOCKER = DOCKER_BIN;
const skip = process.getuid?.() !== 0 ? 'requires root' : !existsSync(DOCKER) ? 'no docker CLI (looked in /usr/local/bin and /usr/bin)' : false;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('docker CLI', { skip }, () => {
  let d: TestDaemon;
  let work: string;
  const docker = (args: string[], input?: string): Promise<ToolResult> =>
    runTool(DOCKER, ['-H', `unix://${d.socket}`, ...args], { input, env: { DOCKER_CONFIG: d.tmp }, timeoutMs: 60_000 });
  const ok = async (args: string[], input?: string) => {
    const r = await docker(args, input);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    d = await startDaemon();
    work = mkdtempSync(join(tmpdir(), 'hako-cli-'));
    await ok(['load', '-i', await busyboxTar()]);
  });
  after(async () => {
    if (work) rmSync(work, { recursive: true, force: true });
    if (!d) return;
    await docker(['rm', '-f', 'web', 'printer', 'renamed', 'job', 'stopped']);
    await docker(['network', 'rm', 'cli-net']);
    await docker(['volume', 'rm', 'cli-vol']);
    await d.stop();
  });

  it('run -d, port, top, stats --no-stream, inspect across kinds', async () => {
    const id = (await ok(['run', '-d', '--name', 'web', '-p', '127.0.0.1::80', 'busybox:latest', 'httpd', '-f', '-p', '80'])).trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const port = await ok(['port', 'web']);
    assert.match(port, /^80\/tcp -> 127\.0\.0\.1:\d+\n$/);
    assert.equal(await ok(['port', 'web', '80']), port.replace('80/tcp -> ', ''));
    const top = await ok(['top', 'web']);
    assert.match(top, /^UID +PID +PPID +C +STIME +TTY +TIME +CMD\n/);
    assert.match(top, /httpd -f -p 80/);
    const stats = await ok(['stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}}', 'web']);
    assert.equal(stats, 'web 1\n');
    await ok(['network', 'create', 'cli-net']);
    await ok(['volume', 'create', 'cli-vol']);
    const kinds = await ok(['inspect', '-f', '{{.Id}}', 'web', 'busybox:latest', 'cli-net']);
    const lines = kinds.trim().split('\n');
    assert.equal(lines[0], id);
    assert.match(lines[1]!, /^sha256:[0-9a-f]{64}$/);
    assert.match(lines[2]!, /^[0-9a-f]{64}$/);
    assert.equal(await ok(['inspect', '-f', '{{.Name}} {{.Driver}}', 'cli-vol']), 'cli-vol local\n');
    for (const [type, name, tmpl, want] of [
      ['container', 'web', '{{.State.Status}}', 'running'], ['image', 'busybox:latest', '{{.Os}}', 'linux'],
      ['network', 'cli-net', '{{.Driver}}', 'bridge'], ['volume', 'cli-vol', '{{.Driver}}', 'local'],
    ] as const) assert.equal(await ok(['inspect', '--type', type, '-f', tmpl, name]), `${want}\n`);
  });

  it('exec passes exit codes; run --rm -i feeds stdin and removes the container', async () => {
    for (const [cmd, code, stdout] of [['exit 0', 0, ''], ['exit 4', 4, ''], ['echo hi', 0, 'hi\n'], ['kill -9 $$', 137, '']] as const) {
      const r = await docker(['exec', 'web', 'sh', '-c', cmd]);
      assert.deepEqual([r.code, r.stdout], [code, stdout], `exec ${cmd}: ${r.stderr}`);
    }
    const before = await ok(['ps', '-aq']);
    const r = await docker(['run', '--rm', '-i', 'busybox:latest', 'sh', '-c', 'tr a-z A-Z; echo to-err >&2; exit 3'], 'from stdin\n');
    assert.deepEqual(r, { code: 3, stdout: 'FROM STDIN\n', stderr: 'to-err\n' });
    assert.equal(await ok(['ps', '-aq']), before);
  });

  it('logs -f follows a container that prints then exits; wait gives its status', async () => {
    await ok(['run', '-d', '--name', 'printer', 'busybox:latest', 'sh', '-c', 'echo one; sleep 0.5; echo two >&2; sleep 0.5; echo three; exit 6']);
    const r = await docker(['logs', '-f', 'printer']);
    assert.deepEqual(r, { code: 0, stdout: 'one\nthree\n', stderr: 'two\n' });
    assert.deepEqual(await docker(['wait', 'printer']), { code: 0, stdout: '6\n', stderr: '' });
  });

  it('events --since/--until lists past events and returns', async () => {
    const since = Math.floor(Date.now() / 1000) - 120;
    const until = Math.ceil(Date.now() / 1000) + 1;
    const r = await docker(['events', '--since', String(since), '--until', String(until), '--filter', 'container=printer',
      '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}']);
    assert.equal(r.code, 0, r.stderr);
    const evs = r.stdout.trim().split('\n');
    for (const a of ['create', 'start', 'die']) assert.ok(evs.includes(`container ${a} printer`), `${a} in ${r.stdout}`);
    assert.ok(evs.indexOf('container create printer') < evs.indexOf('container die printer'));
  });

  it('cp both ways and to stdout as tar', async () => {
    writeFileSync(join(work, 'in.txt'), 'copied in\n');
    await ok(['cp', join(work, 'in.txt'), 'web:/tmp/in.txt']);
    assert.equal(await ok(['exec', 'web', 'cat', '/tmp/in.txt']), 'copied in\n');
    await ok(['cp', 'web:/tmp/in.txt', join(work, 'out.txt')]);
    assert.equal(readFileSync(join(work, 'out.txt'), 'utf8'), 'copied in\n');
    const tar = await runTool('sh', ['-c', `${DOCKER} -H unix://${d.socket} cp web:/etc/hostname - | tar -t`]);
    assert.equal(tar.stdout, 'hostname\n');
  });

  it('rename and update --memory', async () => {
    await ok(['rename', 'printer', 'renamed']);
    assert.equal(await ok(['inspect', '-f', '{{.Name}}', 'renamed']), '/renamed\n');
    await ok(['update', '--memory', '64m', '--memory-swap', '128m', 'web']);
    assert.equal(await ok(['inspect', '-f', '{{.HostConfig.Memory}}', 'web']), `${64 * 1024 * 1024}\n`);
    // The running container's cgroup took the new limit.
    assert.equal(await ok(['exec', 'web', 'sh', '-c', 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max']),
      `${64 * 1024 * 1024}\n`);
  });

  it('system df counts images, containers and volumes', async () => {
    const df = await ok(['system', 'df', '--format', '{{.Type}} {{.TotalCount}} {{.Active}}']);
    const rows = Object.fromEntries(df.trim().split('\n').map((l) => { const p = l.split(' '); return [p.slice(0, -2).join(' '), p.slice(-2).join(' ')]; }));
    assert.equal(rows.Images, '1 1');
    assert.equal(rows.Containers, '2 1');
    assert.equal(rows['Local Volumes'], '1 0');
    assert.equal(rows['Build Cache'], '0 0');
  });

  it('missing objects: docker\'s stderr and exit status', async () => {
    const table: [string[], string][] = [
      [['rm', 'nosuch'], 'Error response from daemon: No such container: nosuch\n'],
      [['inspect', 'nosuch'], 'Error: No such object: nosuch\n'],
      [['container', 'inspect', 'nosuch'], 'Error response from daemon: No such container: nosuch\n'],
      [['logs', 'nosuch'], 'Error response from daemon: No such container: nosuch\n'],
      [['exec', 'nosuch', 'true'], 'Error response from daemon: No such container: nosuch\n'],
      [['stop', 'nosuch'], 'Error response from daemon: No such container: nosuch\n'],
      [['kill', 'nosuch'], 'Error response from daemon: Cannot kill container: nosuch: No such container: nosuch\n'],
      [['wait', 'nosuch'], 'Error response from daemon: No such container: nosuch\n'],
      [['port', 'nosuch'], 'Error response from daemon: No such container: nosuch\n'],
      [['top', 'nosuch'], 'Error response from daemon: No such container: nosuch\n'],
      [['start', 'nosuch'], 'Error response from daemon: No such container: nosuch\nError: failed to start containers: nosuch\n'],
      [['rename', 'nosuch', 'x'], 'Error response from daemon: No such container: nosuch\nError: failed to rename container named nosuch\n'],
      [['image', 'inspect', 'nosuch:1'], 'Error response from daemon: no such image: nosuch:1: No such image: nosuch:1\n'],
      [['rmi', 'nosuch:1'], 'Error response from daemon: No such image: nosuch:1\n'],
      [['volume', 'inspect', 'nosuch'], 'Error response from daemon: get nosuch: no such volume\n'],
      [['volume', 'rm', 'nosuch'], 'Error response from daemon: get nosuch: no such volume\n'],
      [['network', 'inspect', 'nosuch'], 'Error response from daemon: network nosuch not found\n'],
    ];
    for (const [args, stderr] of table) {
      const r = await docker(args);
      assert.deepEqual([r.code, r.stderr], [1, stderr], `docker ${args.join(' ')}`);
    }
    await ok(['create', '--name', 'stopped', 'busybox:latest', 'true']);
    const r = await docker(['exec', 'stopped', 'true']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error response from daemon: Container [0-9a-f]{64} is not running\n$/);
    await ok(['rm', 'stopped']);
  });

  it('container, image, network and volume prune -f', async () => {
    await ok(['run', '--name', 'job', 'busybox:latest', 'true']);
    const jobId = (await ok(['inspect', '-f', '{{.Id}}', 'job'])).trim();
    await ok(['network', 'create', 'prune-net']);
    await ok(['volume', 'create', 'prune-vol']);
    await ok(['tag', 'busybox:latest', 'spare:1']);
    await ok(['rm', 'renamed']);

    assert.equal(await ok(['container', 'prune', '-f']), `Deleted Containers:\n${jobId}\n\nTotal reclaimed space: 0B\n`);
    assert.equal(await ok(['network', 'prune', '-f']), 'Deleted Networks:\ncli-net\nprune-net\n\n');
    // API >= 1.42 prunes only anonymous volumes unless --all.
    assert.equal(await ok(['volume', 'prune', '-f']), 'Total reclaimed space: 0B\n');
    assert.match(await ok(['volume', 'prune', '-af']), /^Deleted Volumes:\n(cli-vol\nprune-vol|prune-vol\ncli-vol)\n\nTotal reclaimed space: .*B\n$/);
    // Dangling images only: busybox (used by web) and spare:1 are tagged.
    assert.equal(await ok(['image', 'prune', '-f']), 'Total reclaimed space: 0B\n');
    await ok(['rmi', 'spare:1']);
    assert.equal(await ok(['images', '--format', '{{.Repository}}:{{.Tag}}']), 'busybox:latest\n');
    await ok(['rm', '-f', 'web']);
    for (let i = 0; i < 20 && (await ok(['ps', '-aq'])) !== ''; i++) await sleep(100);
    assert.equal(await ok(['ps', '-aq']), '');
  });
});
