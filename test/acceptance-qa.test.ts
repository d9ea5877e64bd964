/**
 * An outside tester's pass over the acceptance scenarios: what a user of the stock docker
 * CLI sees around them (stats, top, ps, inspect, system df, a shared netns), each compared
 * with what dockerd shows for the same commands.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { existsSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { repoRoot, type TestDaemon } from './helpers/daemon.js';
import { cgroupV1, dockerCli, dockerOk, skipReason, withBusyboxDaemon } from './helpers/hostobjects.js';

const skip = skipReason() || (!cgroupV1() ? 'reads cgroup v1 controller files' : false);

describe('acceptance: what a docker user sees around the scenarios', { skip }, () => {
  let d: TestDaemon;
  const ok = (args: string[]) => dockerOk(d, args);

  withBusyboxDaemon((x) => { d = x; });

  it('stats --no-stream shows the CPU a --cpus 0.5 spinner really gets, its throttling and its network bytes', async () => {
    // dockerd primes a non-streamed answer with a first sample, so precpu_stats is filled.
    const id = await ok(['run', '-d', '--cpus', '0.5', 'busybox', 'sh', '-c', 'while :; do :; done']);
    await new Promise((r) => setTimeout(r, 1500));
    const pct = Number((await ok(['stats', '--no-stream', '--format', '{{.CPUPerc}}', id])).replace('%', ''));
    // Without precpu_stats the CLI shows ~0.02%; the machine may be loaded, so only an upper bound near the quota.
    assert.ok(pct > 5 && pct < 65, `CPU % of a spinner held to half a core: ${pct}`);
    const raw = JSON.parse((await d.request("GET", `/containers/${id}/stats?stream=false`)).text()) as {
      precpu_stats: { cpu_usage: { total_usage: number }; system_cpu_usage?: number };
      cpu_stats: { throttling_data: { periods: number; throttled_periods: number } };
      networks?: Record<string, { rx_bytes: number; tx_bytes: number }>;
    };
    assert.ok(raw.precpu_stats.cpu_usage.total_usage > 0 && (raw.precpu_stats.system_cpu_usage ?? 0) > 0, 'precpu_stats filled');
    assert.ok(raw.cpu_stats.throttling_data.periods > 0 && raw.cpu_stats.throttling_data.throttled_periods > 0, 'throttling from cpu.stat');
    assert.ok(raw.networks && 'eth0' in raw.networks, `networks per interface: ${JSON.stringify(raw.networks)}`);
    await ok(['rm', '-f', id]);
    // a container that is not running: dockerd's zeros, no memory limit
    const stopped = await ok(['create', 'busybox', 'true']);
    assert.match(await ok(['stats', '--no-stream', '--format', '{{.MemUsage}} {{.PIDs}}', stopped]), /^0B \/ 0B 0$/);
    await ok(['rm', stopped]);
  });

  it('top with ps options that select no processes by themselves (-o pid,comm) lists the container\'s', async () => {
    const id = await ok(['run', '-d', 'busybox', 'sleep', '1000']);
    const out = await ok(['top', id, '-o', 'pid,comm']);
    assert.match(out, /^PID\s+COMMAND\n\d+\s+sleep$/m);
    await ok(['rm', '-f', id]);
  });

  it('ps and inspect round durations down like docker (Up 1 minute is "About a minute")', async () => {
    // docker's units.HumanDuration truncates: 119 s is "About a minute", never "2 minutes".
    const { humanDuration } = await import('../src/engine/containers-views.js');
    assert.equal(humanDuration(119_000), 'About a minute');
    assert.equal(humanDuration(1_999), '1 second');
    assert.equal(humanDuration(59_900), '59 seconds');
    assert.equal(humanDuration(3_599_000), '59 minutes');
    assert.equal(humanDuration(90 * 60_000), '2 hours');
  });

  it('inspect: -m alone gives MemorySwap twice the memory, as dockerd records it', async () => {
    const id = await ok(['create', '-m', '32m', 'busybox', 'true']);
    assert.equal(await ok(['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}', id]), `${32 << 20} ${64 << 20}`);
    const id2 = await ok(['create', '-m', '32m', '--memory-swap', '-1', 'busybox', 'true']);
    assert.equal(await ok(['inspect', '-f', '{{.HostConfig.MemorySwap}}', id2]), '-1');
    await ok(['rm', id, id2]);
    // update -m past that swap limit without --memory-swap: dockerd's refusal, not the runtime's EINVAL
    const r = await ok(['run', '-d', '-m', '32m', 'busybox', 'sleep', '1000']);
    await ok(['update', '-m', '48m', r]);
    const bad = await dockerCli(d, ['update', '-m', '128m', r]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Cannot update container [0-9a-f]{64}: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time/);
    await ok(['update', '-m', '128m', '--memory-swap', '256m', r]);
    assert.equal(await ok(['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}', r]), `${128 << 20} ${256 << 20}`);
    await ok(['rm', '-f', r]);
  });

  it('system df: an image used by a container is not reclaimable; ps -s shows the writable layer size', async () => {
    const id = await ok(['run', '-d', 'busybox', 'sh', '-c', 'head -c 100000 /dev/zero > /big; sleep 1000']);
    await new Promise((r) => setTimeout(r, 500));
    const df = await ok(['system', 'df', '--format', '{{.Type}}={{.Reclaimable}}']);
    assert.match(df, /^Images=0B \(0%\)$/m);
    const size = await ok(['ps', '-s', '--filter', `id=${id}`, '--format', '{{.Size}}']);
    assert.match(size, /^100kB \(virtual 2\.\d+MB\)$/);
    const [rw, rootfs] = (await ok(['inspect', '-s', '-f', '{{.SizeRw}} {{.SizeRootFs}}', id])).split(' ').map(Number);
    assert.ok(rw! >= 100_000 && rw! < 110_000 && rootfs! > rw! + 1_000_000, `inspect -s: ${rw} ${rootfs}`);
    await ok(['rm', '-f', id]);
  });

  it('--network container:X takes X\'s hostname and /etc/hosts, so hostname -i works in it', async () => {
    await ok(['run', '-d', '--name', 'nsrv', 'busybox', 'sleep', '1000']);
    const [host, ip] = (await ok(['inspect', '-f', '{{.Config.Hostname}} {{.NetworkSettings.IPAddress}}', 'nsrv'])).split(' ');
    const out = await ok(['run', '--rm', '--network', 'container:nsrv', 'busybox', 'sh', '-c', 'hostname; hostname -i']);
    assert.equal(out, `${host}\n${ip}`);
    const conflicts: [string[], string][] = [
      [['-h', 'foo'], 'hostname and the network mode'], [['--dns', '10.1.1.1'], 'dns and the network mode'],
      [['--add-host', 'a:10.1.2.3'], 'custom host-to-IP mapping and the network mode'],
      [['--mac-address', '02:42:ac:11:00:99'], 'mac-address and the network mode'],
      [['-p', '18099:80'], 'port publishing and the container type network mode'], [['--expose', '90'], 'port exposing and the container type network mode'],
    ];
    for (const [flags, words] of conflicts) {
      const r = await dockerCli(d, ['create', '--network', 'container:nsrv', ...flags, 'busybox', 'true']);
      assert.match(r.stderr, new RegExp(`Error response from daemon: conflicting options: ${words}`), flags.join(' '));
    }
    await ok(['run', '-d', '--name', 'joiner', '--network', 'container:nsrv', 'busybox', 'sleep', '1000']);
    const nsrv = await ok(['inspect', '-f', '{{.Id}}', 'nsrv']);
    await ok(['rm', '-f', 'nsrv']);
    const r = await dockerCli(d, ['restart', 'joiner']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^Error response from daemon: Cannot restart container joiner: No such container: ${nsrv}`));
    await ok(['rm', '-f', 'joiner']);
  });

  it('hako ns: namespace inodes per container, the ones shared on request and the host\'s', async () => {
    await ok(['run', '-d', '--name', 'nsa', 'busybox', 'sleep', '1000']);
    await ok(['run', '-d', '--name', 'nsb', '--pid', 'container:nsa', '--network', 'container:nsa', 'busybox', 'sleep', '1000']);
    await ok(['run', '-d', '--name', 'nsh', '--uts', 'host', 'busybox', 'sleep', '1000']);
    const hako = join(repoRoot, 'bin', 'hako');
    type Ns = { Inode: number; Host: boolean; SharedWith: string[] };
    const out = (await promisify(execFile)(hako, ['-H', `unix://${d.socket}`, 'ns', '--format', 'json'])).stdout;
    const rows = out.trim().split('\n').map((l) => JSON.parse(l) as { Name: string; Pid: number; Namespaces: Record<string, Ns> });
    const by = Object.fromEntries(rows.map((r) => [r.Name, r]));
    assert.deepEqual(Object.keys(by).sort(), ['nsa', 'nsb', 'nsh']);
    const ino = (pid: number, k: string) => Number(/\[(\d+)\]/.exec(readlinkSync(`/proc/${pid}/ns/${k}`))![1]);
    for (const r of rows) for (const k of ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'uts']) assert.equal(r.Namespaces[k]!.Inode, ino(r.Pid, k), `${r.Name} ${k}`);
    assert.deepEqual(by.nsb!.Namespaces.net!.SharedWith, ['nsa']);
    assert.deepEqual(by.nsb!.Namespaces.pid!.SharedWith, ['nsa']);
    assert.deepEqual(by.nsa!.Namespaces.net!.SharedWith, ['nsb']);
    for (const k of ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'uts']) assert.deepEqual(by.nsh!.Namespaces[k]!.SharedWith, [], `nsh ${k}`);
    assert.ok(by.nsh!.Namespaces.uts!.Host && !by.nsa!.Namespaces.uts!.Host);
    const table = (await promisify(execFile)(hako, ['-H', `unix://${d.socket}`, 'ns', 'nsb'])).stdout;
    assert.match(table, /^CONTAINER ID\s+NAME\s+PID\s+CGROUP\s+IPC\s+MNT\s+NET\s+PID\s+USER\s+UTS\n[0-9a-f]{12}\s+nsb\s+\d+ /);
    await ok(['rm', '-f', 'nsa', 'nsb', 'nsh']);
  });

  it('network connect of a running default-bridge container to a user network: it resolves that network\'s names', async () => {
    await ok(['network', 'create', '-d', 'bridge', '--subnet', '10.231.0.0/24', 'qa_user']);
    await ok(['run', '-d', '--name', 'u3', '--net', 'qa_user', '--ip', '10.231.0.254', 'busybox', 'sleep', '1000']);
    await ok(['run', '-d', '--name', 'd1', 'busybox', 'sleep', '1000']);
    assert.equal((await dockerCli(d, ['exec', 'd1', 'ping', '-c1', '-W1', 'u3'])).code, 1, 'the default bridge resolves no names');
    await ok(['network', 'connect', 'qa_user', 'd1']);
    assert.match(await ok(['exec', 'd1', 'ping', '-c1', '-W2', 'u3']), /from 10\.231\.0\.254/);
    await ok(['rm', '-f', 'u3', 'd1']);
    await ok(['network', 'rm', 'qa_user']);
  });

  it('docker cp from a stopped container: /etc/hostname and /etc/hosts are its own files, not the empty mount points', async () => {
    await ok(['run', '--name', 'cpstop', 'busybox', 'true']);
    const short = await ok(['inspect', '-f', '{{.Config.Hostname}}', 'cpstop']);
    const r = await dockerCli(d, ['cp', 'cpstop:/etc/hostname', '-']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^hostname\0[\\s\\S]*\n?${short}\n`), 'a tar whose hostname entry holds the hostname');
    const hosts = await dockerCli(d, ['cp', 'cpstop:/etc/hosts', '-']);
    assert.match(hosts.stdout, /127\.0\.0\.1\tlocalhost/);
    await ok(['rm', 'cpstop']);
  });

  it('run of a missing or non-executable command: runc\'s words, so the docker CLI exits 127 or 126 as with dockerd', async () => {
    for (const runtime of ['crun', 'runc']) {
      const nf = await dockerCli(d, ['run', '--rm', '--network', 'none', '--runtime', runtime, 'busybox', 'nosuchcmd']);
      assert.equal(nf.code, 127, `${runtime}: ${nf.stderr}`);
      assert.match(nf.stderr, /exec: "nosuchcmd": executable file not found in \$PATH/, runtime);
      const abs = await dockerCli(d, ['run', '--rm', '--network', 'none', '--runtime', runtime, 'busybox', '/nonexist/x']);
      assert.equal(abs.code, 127, `${runtime}: ${abs.stderr}`);
      const perm = await dockerCli(d, ['run', '--rm', '--network', 'none', '--runtime', runtime, 'busybox', '/etc/passwd']);
      assert.equal(perm.code, 126, `${runtime}: ${perm.stderr}`);
    }
    assert.deepEqual(await ok(['ps', '-aq']), '');
  });

  it('--network host: the host\'s hostname and its /etc/hosts (plus --add-host), as dockerd gives them', async () => {
    const out = await ok(['run', '--rm', '--network', 'host', '--add-host', 'qa.test:10.9.9.9', 'busybox', 'sh', '-c', 'hostname; cat /etc/hosts']);
    const [name, ...hosts] = out.split('\n');
    assert.equal(name, hostname());
    assert.ok(hosts.join('\n').startsWith(readFileSync('/etc/hosts', 'utf8').trim()), hosts.join('\n'));
    assert.match(hosts.join('\n'), /^10\.9\.9\.9\tqa\.test$/m);
    assert.equal(await ok(['run', '--rm', '--network', 'host', '-h', 'own', 'busybox', 'hostname']), 'own');
  });

  it('--init: docker-init (tini) is PID 1 and reaps, the command runs under it; inspect keeps the command', async () => {
    const ps = await ok(['run', '--rm', '--init', 'busybox', 'ps', '-o', 'pid,args']);
    assert.match(ps, /^\s*1 \/sbin\/docker-init -- ps -o pid,args$/m);
    const id = await ok(['run', '-d', '--init', 'busybox', 'sleep', '1000']);
    assert.equal(await ok(['inspect', '-f', '{{.Path}} {{.Args}} {{.HostConfig.Init}}', id]), 'sleep [1000] true');
    // tini forwards SIGTERM to sleep, which dies of it at once (a bare sleep as PID 1 ignores it)
    const t0 = Date.now();
    await ok(['stop', '-t', '10', id]);
    assert.ok(Date.now() - t0 < 5000, `stop took ${Date.now() - t0} ms`);
    assert.equal(await ok(['inspect', '-f', '{{.State.ExitCode}}', id]), '143');
    await ok(['rm', id]);
  });

  it('--device HOST:CONTAINER[:PERMS] makes the node in the container and allows it in its device cgroup', async () => {
    const st = statSync('/dev/null');
    const ls = await ok(['run', '--rm', '--device', '/dev/null:/dev/mynull', 'busybox', 'sh', '-c', 'ls -l /dev/mynull; echo hi > /dev/mynull && echo wrote']);
    assert.match(ls, new RegExp(`^crw-rw-rw-\\s+1 root\\s+root\\s+${Math.floor(st.rdev / 256)},\\s+${st.rdev % 256} .*/dev/mynull\\nwrote$`));
    if (existsSync('/dev/loop0')) {
      // a node outside docker's default rules, allowed for reading only: opening it to write is refused
      const ro = await dockerCli(d, ['run', '--rm', '--device', '/dev/loop0:/dev/xloop:r', 'busybox', 'sh', '-c', ': < /dev/xloop && echo read-ok; : > /dev/xloop']);
      assert.match(ro.stdout, /read-ok/, ro.stderr);
      assert.notEqual(ro.code, 0, 'write refused by the device cgroup');
      assert.match(ro.stderr, /Operation not permitted/);
    }
    const missing = await dockerCli(d, ['run', '--rm', '--device', '/dev/nosuchdev', 'busybox', 'true']);
    assert.equal(missing.code, 127, 'the docker CLI maps "no such file or directory" at start to 127, with dockerd too');
    assert.match(missing.stderr, /error gathering device information while adding custom device "\/dev\/nosuchdev": no such file or directory/);
  });

  it('--log-opt max-size/max-file bound the log on disk; docker logs keeps the newest lines', async () => {
    const { logSizeMax } = await import('../src/engine/containers-bundle.js');
    assert.equal(logSizeMax({ 'max-size': '1k', 'max-file': '2' }), 2048);
    assert.equal(logSizeMax({ 'max-size': '10m' }), 10 << 20);
    assert.equal(logSizeMax({}), undefined);
    const id = await ok(['run', '-d', '--log-opt', 'max-size=1k', '--log-opt', 'max-file=2', 'busybox', 'sh', '-c',
      'i=0; while [ $i -lt 200 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done; echo end; sleep 1000']);
    for (let i = 0; i < 50 && !(await ok(['logs', '--tail', '1', id])).includes('end'); i++) await new Promise((r) => setTimeout(r, 100));
    const lines = (await ok(['logs', id])).split('\n');
    assert.ok(lines.length < 100 && lines.length > 2, `${lines.length} lines kept`);
    assert.deepEqual(lines.slice(-2), ['line-199-xxxxxxxxxxxxxxxxxxxx', 'end']);
    assert.ok(statSync(join(d.dataRoot, 'containers', id, `${id}-json.log`)).size <= 2048);
    await ok(['rm', '-f', id]);
  });

  it('logs -f keeps following when the log file starts afresh at its size bound, without losing a line', async () => {
    // ~50 bytes a line on disk: the 2 KiB bound is reached every ~40 lines, several times
    const id = await ok(['run', '-d', '--log-opt', 'max-size=1k', '--log-opt', 'max-file=2', 'busybox', 'sh', '-c',
      'i=0; while [ $i -lt 300 ]; do echo n$i; i=$((i+1)); usleep 10000; done; echo end']);
    const r = await dockerCli(d, ['logs', '-f', id], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n').filter(Boolean);
    assert.equal(lines.at(-1), 'end', `the follower stopped at ${lines.at(-2)}`);
    const nums = lines.slice(0, -1).map((l) => Number(l.slice(1)));
    // from where it started (a rotation may have dropped the oldest lines before it opened) to the end, every line once
    assert.deepEqual(nums, nums.map((_, i) => nums[0]! + i), 'lines lost or repeated across the rotations');
    assert.equal(nums.at(-1), 299);
    await ok(['rm', '-f', id]);
  });

  it('--ip and --network-alias on the default bridge are refused at create, in dockerd\'s words', async () => {
    const gw = await ok(['network', 'inspect', 'bridge', '-f', '{{(index .IPAM.Config 0).Gateway}}']);
    const ip = await dockerCli(d, ['run', '--rm', '--ip', gw.replace(/\.\d+$/, '.50'), 'busybox', 'true']);
    assert.equal(ip.code, 125);
    assert.match(ip.stderr, /Error response from daemon: user specified IP address is supported on user defined networks only/);
    // the docker CLI refuses an alias on the default network itself; API clients meet dockerd's check
    const alias = await d.request('POST', '/containers/create', { Image: 'busybox', NetworkingConfig: { EndpointsConfig: { bridge: { Aliases: ['x'] } } } });
    assert.equal(alias.status, 400);
    assert.equal(alias.json().message, 'network-scoped alias is supported only for containers in user defined networks');
    assert.equal(await ok(['ps', '-aq']), '');
  });
});
